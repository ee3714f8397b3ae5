"""GIRAFFE configuration: frozen dataclasses whose defaults are the official ``default.yaml``.

GIRAFFE (Niemeyer and Geiger, CVPR 2021) composes one feature field per object and one for the
background (Sec. 3.1-3.2), volume-renders a low-resolution feature image (Sec. 3.3) and
upsamples it with a 2D neural renderer (Sec. 3.4). Each dataclass below mirrors one block of
the official YAML (``model.decoder_kwargs``, ``model.generator_kwargs``, ...); field names follow
the official keywords, except three official misspellings that are renamed here and mapped back
in :mod:`inrkit.giraffe.official_config` (``backround_rotation_range``,
``sample_object_existance``, ``check_collison``).

Named instances for every official config live in :mod:`inrkit.giraffe.presets`. The modules
take plain keyword arguments named as these fields; :mod:`inrkit.giraffe.build` passes a block
to its module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldConfig:
    """A feature field MLP (official ``Decoder``, the "simple" decoder; Sec. 3.1, Fig. 3)."""

    hidden_size: int = 128
    """Width of every hidden layer."""
    n_blocks: int = 8
    """Layers of the density branch (``fc_in`` plus ``n_blocks - 1`` hidden layers)."""
    n_blocks_view: int = 1
    """Layers of the view-dependent branch; the official code only runs with 1."""
    skips: tuple[int, ...] = (4,)
    """Hidden layers after which the encoded point and shape code are added again."""
    use_viewdirs: bool = True
    """Condition the features on the viewing direction."""
    n_freq_posenc: int = 10
    """Octaves of the positional encoding of points (Eq. 2)."""
    n_freq_posenc_views: int = 4
    """Octaves of the positional encoding of viewing directions."""
    rgb_out_dim: int = 128
    """Channels of the feature output (M_f in the paper)."""
    final_sigmoid_activation: bool = False
    """Squash the features with a sigmoid."""
    downscale_p_by: float = 2.0
    """Points are divided by this before the encoding (the field's extent)."""


@dataclass(frozen=True)
class BoxConfig:
    """The bounding-box generator: object poses as scale, translation, rotation (Sec. 3.2)."""

    n_boxes: int = 1
    """Objects in a scene (the background is extra)."""
    scale_range_min: tuple[float, float, float] = (0.5, 0.5, 0.5)
    """Smallest half-extent of a box along x, y, z."""
    scale_range_max: tuple[float, float, float] = (0.5, 0.5, 0.5)
    """Largest half-extent of a box along x, y, z."""
    translation_range_min: tuple[float, float, float] = (-0.75, -0.75, 0.0)
    """Smallest box centre."""
    translation_range_max: tuple[float, float, float] = (0.75, 0.75, 0.0)
    """Largest box centre."""
    z_level_plane: float = 0.0
    """Height of the ground plane when ``object_on_plane``."""
    rotation_range: tuple[float, float] = (0.0, 1.0)
    """Rotation about the up axis as a fraction of a full turn (slider ``val`` in [0, 1])."""
    check_collision: bool = False
    """Resample translations until boxes do not overlap (official ``check_collison``)."""
    collision_padding: float = 0.1
    """Extra distance between boxes when checking collisions."""
    fix_scale_ratio: bool = True
    """One random number scales all three axes (keeps the aspect ratio)."""
    object_on_plane: bool = False
    """Put every box centre on the plane z = ``z_level_plane``."""
    prior_npz_file: str | None = None
    """Official npz of object locations to sample from (Clevr); only used for training."""


@dataclass(frozen=True)
class GeneratorConfig:
    """Camera, sampling and composition settings of the generator (Sec. 3.2-3.3)."""

    range_u: tuple[float, float] = (0.0, 0.0)
    """Camera azimuth range, as a fraction of a full turn."""
    range_v: tuple[float, float] = (0.25, 0.25)
    """Camera elevation range; v maps to the polar angle arccos(1 - 2v)."""
    range_radius: tuple[float, float] = (2.732, 2.732)
    """Camera distance from the origin."""
    fov: float = 49.13
    """Field of view in degrees."""
    n_ray_samples: int = 64
    """Stratified samples per ray."""
    depth_range: tuple[float, float] = (0.5, 6.0)
    """Near and far bounds of the samples, in units of the ray vector to the image plane."""
    resolution_vol: int = 16
    """Height and width of the volume-rendered feature image."""
    background_rotation_range: tuple[float, float] = (0.0, 0.0)
    """Background rotation range about the up axis (official ``backround_rotation_range``)."""
    sample_object_existence: bool = False
    """Drop objects at random while training (official ``sample_object_existance``): each
    scene's object count is drawn from ``object_existence_prior``."""
    object_existence_prior: tuple[float, ...] | None = None
    """Probabilities of 0, 1, ..., n_boxes objects in a scene (length n_boxes + 1, summing to
    1); None: :func:`default_existence_prior` (the official Clevr2345 values for five boxes)."""
    use_max_composition: bool = False
    """Composite with the max of the densities instead of their sum (Eq. 5 vs. max)."""


# Clevr2345's share of scenes with 2, 3, 4 and 5 objects (hard-coded in the official generator,
# which therefore only samples object existence for five boxes; official giraffe issue #33).
CLEVR2345_OBJECT_COUNTS = (
    0.19456788355146545395,
    0.24355003312266127155,
    0.25269546846185522711,
    0.30918661486401804737,
)


def default_existence_prior(n_boxes: int) -> tuple[float, ...]:
    """P(0 objects), ..., P(n_boxes objects) when the config names none.

    Five or more boxes: the official Clevr2345 counts (2 to 5 objects), as the official code
    draws them (for more than five boxes it never draws more than five objects). Fewer: the
    same counts with every count above ``n_boxes`` moved to ``n_boxes`` (the official code
    crashes there), so one box always holds its object.
    """
    prior = [0.0] * (n_boxes + 1)
    for count, p in zip(range(2, 6), CLEVR2345_OBJECT_COUNTS, strict=True):
        prior[min(count, n_boxes)] += p
    return tuple(prior)


@dataclass(frozen=True)
class NeuralRendererConfig:
    """The 2D neural renderer from feature image to RGB (Sec. 3.4, Fig. 4)."""

    n_feat: int = 128
    """Channels of the first convolution (halved per upsampling, down to ``min_feat``)."""
    input_dim: int = 128
    """Channels of the feature image; a 1x1 convolution maps them to ``n_feat`` if they differ."""
    out_dim: int = 3
    """Output channels."""
    final_actvn: bool = True
    """Sigmoid on the output."""
    min_feat: int = 32
    """Fewest channels of a convolution."""
    use_rgb_skip: bool = True
    """Sum RGB predictions from every resolution (the skip connections in Fig. 4)."""
    upsample_feat: str = "nn"
    """Feature upsampling: "nn" or "bilinear" (bilinear plus a blur)."""
    upsample_rgb: str = "bilinear"
    """RGB upsampling: "nn" or "bilinear" (bilinear plus a blur)."""
    use_norm: bool = False
    """Instance normalisation after each convolution."""


@dataclass(frozen=True)
class DiscriminatorConfig:
    """The DCGAN-style discriminator (official ``dc``; Sec. 3.5)."""

    in_dim: int = 3
    """Input channels."""
    n_feat: int = 512
    """Channels of the last convolution (halved towards the input)."""


BACKGROUND_FIELD = FieldConfig(hidden_size=64, n_blocks=4, skips=(), downscale_p_by=12.0)
"""The official default background field: smaller, no skip, a 12x larger extent."""

DEFAULT_RENDER_PROGRAM = (
    "object_translation_vertical",
    "object_translation_horizontal",
    "object_rotation",
    "interpolate_app",
    "interpolate_shape",
    "interpolate_app_bg",
)


@dataclass(frozen=True)
class GiraffeConfig:
    """Everything needed to build a GIRAFFE model; defaults are the official ``default.yaml``."""

    img_size: int = 64
    """Output image size (official ``data.img_size``)."""
    z_dim: int = 256
    """Size of each object's shape and appearance codes."""
    z_dim_bg: int = 128
    """Size of the background's shape and appearance codes."""
    decoder: FieldConfig = field(default_factory=FieldConfig)
    """The object feature field."""
    background: FieldConfig = BACKGROUND_FIELD
    """The background feature field."""
    boxes: BoxConfig = field(default_factory=BoxConfig)
    """Object poses."""
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    """Camera, ray sampling and composition."""
    neural_renderer: NeuralRendererConfig = field(default_factory=NeuralRendererConfig)
    """Feature image to RGB."""
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    """The discriminator."""
    take_generator_average: bool = True
    """Keep an averaged generator (``generator_test``) and render with it."""
    learning_rate: float = 0.0005
    """Generator learning rate (RMSprop)."""
    learning_rate_d: float = 0.0001
    """Discriminator learning rate (RMSprop)."""
    render_program: tuple[str, ...] = DEFAULT_RENDER_PROGRAM
    """Render programs run when none is named."""

    def __post_init__(self) -> None:
        check_config(self)


def check_config(cfg: GiraffeConfig) -> None:
    """Raise ``ValueError`` naming the official key for settings the model cannot be built with."""
    n_up = math.log2(cfg.img_size / 16) if cfg.img_size > 0 else -1
    if not float(n_up).is_integer() or n_up < 1:
        raise ValueError(f"data.img_size must be 16 * 2^k with k >= 1, got {cfg.img_size}")
    if cfg.generator.resolution_vol != 16:
        # The official neural renderer upsamples log2(img_size) - 4 times, i.e. from 16 pixels.
        raise ValueError(
            f"generator_kwargs.resolution_vol must be 16, got {cfg.generator.resolution_vol}"
        )
    for name, fld in (
        ("decoder_kwargs", cfg.decoder),
        ("background_generator_kwargs", cfg.background),
    ):
        if fld.n_blocks_view != 1:
            # The official forward feeds the hidden state alone to layers built for
            # (hidden + view encoding) inputs, so any other value fails there.
            raise ValueError(f"{name}.n_blocks_view must be 1, got {fld.n_blocks_view}")
        if fld.hidden_size < 1 or fld.n_blocks < 1 or fld.rgb_out_dim < 1:
            raise ValueError(f"{name}: hidden_size, n_blocks and rgb_out_dim must be >= 1")
    if cfg.decoder.rgb_out_dim != cfg.background.rgb_out_dim:
        raise ValueError(
            "decoder_kwargs.rgb_out_dim and background_generator_kwargs.rgb_out_dim must match "
            f"(got {cfg.decoder.rgb_out_dim} and {cfg.background.rgb_out_dim})"
        )
    if cfg.neural_renderer.input_dim != cfg.decoder.rgb_out_dim:
        raise ValueError(
            f"neural_renderer_kwargs.input_dim ({cfg.neural_renderer.input_dim}) must equal the "
            f"fields' rgb_out_dim ({cfg.decoder.rgb_out_dim})"
        )
    for key in ("upsample_feat", "upsample_rgb"):
        if getattr(cfg.neural_renderer, key) not in ("nn", "bilinear"):
            raise ValueError(f"neural_renderer_kwargs.{key} must be 'nn' or 'bilinear'")
    if cfg.z_dim < 1 or cfg.z_dim_bg < 1:
        raise ValueError("model.z_dim and model.z_dim_bg must be >= 1")
    if cfg.boxes.n_boxes < 1:
        raise ValueError(
            f"bounding_box_generator_kwargs.n_boxes must be >= 1, got {cfg.boxes.n_boxes}"
        )
    _check_existence_prior(cfg.generator.object_existence_prior, cfg.boxes.n_boxes)
    if cfg.generator.n_ray_samples < 2:
        raise ValueError("generator_kwargs.n_ray_samples must be >= 2")
    near, far = cfg.generator.depth_range
    if not 0 <= near < far:
        raise ValueError(f"generator_kwargs.depth_range must be 0 <= near < far, got {near}, {far}")
    if not 0 < cfg.generator.fov < 180:
        raise ValueError(
            f"generator_kwargs.fov must be in (0, 180) degrees, got {cfg.generator.fov}"
        )


def _check_existence_prior(prior: tuple[float, ...] | None, n_boxes: int) -> None:
    """ValueError naming the key unless ``prior`` is None or a distribution over 0..n_boxes."""
    if prior is None:
        return
    key = "generator_kwargs.object_existence_prior"
    if len(prior) != n_boxes + 1:
        raise ValueError(
            f"{key} must have n_boxes + 1 = {n_boxes + 1} probabilities (of 0 to {n_boxes} "
            f"objects), got {len(prior)}"
        )
    if not all(math.isfinite(p) and p >= 0 for p in prior):
        raise ValueError(f"{key} must hold probabilities >= 0, got {list(prior)}")
    if abs(math.fsum(prior) - 1.0) > 1e-6:
        raise ValueError(f"{key} must sum to 1, got {math.fsum(prior):.6g}")
