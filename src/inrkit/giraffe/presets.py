"""Presets: the official GIRAFFE configs (``configs/64res``, ``configs/256res``) as facts.

Each preset is the official ``default.yaml`` overridden by one official config file, written as
a :class:`~inrkit.giraffe.config.GiraffeConfig`. Names are the official file stems
(``cars_64``); :func:`preset` also accepts them without the underscore (``cars64``).
The pretrained checkpoints published with the paper are listed in :data:`PRETRAINED`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from inrkit.giraffe.config import (
    BACKGROUND_FIELD,
    BoxConfig,
    FieldConfig,
    GeneratorConfig,
    GiraffeConfig,
    NeuralRendererConfig,
)
from inrkit.weights.catalogue import CATALOGUE, GIRAFFE_OFFICIAL

_FACES_PROGRAM = ("object_rotation", "interpolate_app", "interpolate_shape")
_CLEVR_PROGRAM = ("render_add_clevr10", "render_add_clevr6", "object_translation_circle")

_CARS_BOXES = BoxConfig(
    scale_range_min=(0.2, 0.16, 0.16),
    scale_range_max=(0.25, 0.2, 0.2),
    translation_range_min=(-0.22, -0.12, 0.0),
    translation_range_max=(0.22, 0.12, 0.0),
)
_CHURCH_BOXES = BoxConfig(
    scale_range_min=(0.45, 0.45, 0.45),
    scale_range_max=(0.55, 0.55, 0.55),
    translation_range_min=(-0.15, -0.15, 0.0),
    translation_range_max=(0.15, 0.15, 0.0),
)
_CHURCH_CAMERA = GeneratorConfig(
    range_v=(0.5, 0.5), fov=30.0, background_rotation_range=(0.0, 0.25)
)


def _face_boxes(rotation_range: tuple[float, float]) -> BoxConfig:
    """A single centred box of fixed size that only turns (cats, faces)."""
    return BoxConfig(
        scale_range_min=(0.21, 0.21, 0.21),
        scale_range_max=(0.21, 0.21, 0.21),
        translation_range_min=(0.0, 0.0, 0.0),
        translation_range_max=(0.0, 0.0, 0.0),
        rotation_range=rotation_range,
    )


def _clevr_boxes(n_boxes: int, t: float, prior: str) -> BoxConfig:
    """Clevr: fixed-size boxes on the ground plane, no rotation."""
    return BoxConfig(
        n_boxes=n_boxes,
        scale_range_min=(0.17, 0.17, 0.17),
        scale_range_max=(0.17, 0.17, 0.17),
        translation_range_min=(-t, -t, 0.0),
        translation_range_max=(t, t, 0.0),
        rotation_range=(0.0, 0.0),
        prior_npz_file=prior,
        z_level_plane=0.1665,
        object_on_plane=True,
    )


def _at_256(cfg: GiraffeConfig) -> GiraffeConfig:
    """The 256-pixel configs: 256 feature channels throughout and half the learning rate."""
    return replace(
        cfg,
        img_size=256,
        decoder=replace(cfg.decoder, rgb_out_dim=256),
        background=replace(cfg.background, rgb_out_dim=256),
        neural_renderer=replace(cfg.neural_renderer, input_dim=256, n_feat=256),
        learning_rate=0.00025,
    )


CARS_64 = GiraffeConfig(
    boxes=_CARS_BOXES, generator=GeneratorConfig(range_v=(0.41667, 0.5), fov=10.0)
)
CATS_64 = GiraffeConfig(
    boxes=_face_boxes((0.40278, 0.59722)),
    generator=GeneratorConfig(range_v=(0.41667, 0.5), fov=10.0),
    render_program=_FACES_PROGRAM,
)
CELEBA_64 = replace(CATS_64, generator=GeneratorConfig(range_v=(0.4167, 0.5), fov=10.0))
CHAIRS_64 = GiraffeConfig(
    boxes=BoxConfig(translation_range_min=(0.0, 0.0, 0.0), translation_range_max=(0.0, 0.0, 0.0)),
    generator=GeneratorConfig(range_v=(0.05, 0.5)),
)
CHURCH_64 = GiraffeConfig(boxes=_CHURCH_BOXES, generator=_CHURCH_CAMERA)

CARS_256 = _at_256(CARS_64)
CELEBAHQ_256 = _at_256(replace(CELEBA_64, boxes=_face_boxes((0.375, 0.625))))
CHURCH_256 = _at_256(CHURCH_64)
FFHQ_256 = _at_256(CELEBA_64)
CLEVR2_256 = _at_256(
    GiraffeConfig(
        boxes=_clevr_boxes(2, 0.713, "data/clevr2/prior/clevr2_256.npz"),
        generator=GeneratorConfig(range_v=(0.33333, 0.33333)),
        render_program=_CLEVR_PROGRAM,
    )
)
# Clevr2345 keeps 128 feature channels and the default learning rate, with smaller fields.
CLEVR2345_256 = GiraffeConfig(
    img_size=256,
    z_dim=64,
    z_dim_bg=32,
    decoder=FieldConfig(hidden_size=64),
    background=replace(BACKGROUND_FIELD, hidden_size=32),
    boxes=_clevr_boxes(5, 0.71, "data/clevr2345/prior/clevr2345_256.npz"),
    generator=GeneratorConfig(range_v=(0.33333, 0.33333), sample_object_existence=True),
    neural_renderer=NeuralRendererConfig(),
    render_program=_CLEVR_PROGRAM,
)

PRESETS: dict[str, GiraffeConfig] = {
    "cars_64": CARS_64,
    "cats_64": CATS_64,
    "celeba_64": CELEBA_64,
    "chairs_64": CHAIRS_64,
    "church_64": CHURCH_64,
    "cars_256": CARS_256,
    "celebahq_256": CELEBAHQ_256,
    "church_256": CHURCH_256,
    "clevr2_256": CLEVR2_256,
    "clevr2345_256": CLEVR2345_256,
    "ffhq_256": FFHQ_256,
}


def preset_key(name: str) -> str | None:
    """The preset for ``name`` (``cars_64``, ``cars64``, ``Cars-64``), or None."""
    wanted = name.strip().lower().replace("-", "").replace("_", "")
    for key in PRESETS:
        if key.replace("_", "") == wanted:
            return key
    return None


def preset(name: str) -> GiraffeConfig:
    """The preset called ``name``; raises ``KeyError`` listing the known names."""
    key = preset_key(name)
    if key is None:
        raise KeyError(f"unknown GIRAFFE preset {name!r} (known: {', '.join(PRESETS)})")
    return PRESETS[key]


@dataclass(frozen=True)
class Pretrained:
    """A checkpoint published with the paper (the official ``*_pretrained.yaml`` files)."""

    preset: str
    """The preset it was trained with (a key of :data:`PRESETS`)."""
    url: str
    """The official download link (``test.model_file``)."""

    @property
    def filename(self) -> str:
        """File name in the cache; its ``-xxxxxxxx`` suffix is the start of its sha256."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def sha256_prefix(self) -> str:
        """The first hex digits of the file's sha256 (torch.hub's naming convention)."""
        return self.filename.rsplit("-", 1)[-1].split(".")[0]


# Files, checksums and links live in the catalogue of named weights, which also fetches them.
PRETRAINED: dict[str, Pretrained] = {
    name: Pretrained(name, str(CATALOGUE[name].url)) for name in GIRAFFE_OFFICIAL
}
