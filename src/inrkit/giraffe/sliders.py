"""Sliders to frames: one scene, posed by slider values, rendered frame by frame (Sec. 4.2).

The web page's controls, keyframed paths (:mod:`inrkit.giraffe.keyframes`) and the page's GIF
export all describe a frame the same way: per object a rotation, a horizontal and a depth
position and a size, each a fraction in [0, 1] of the model's range (as the official
``get_transformations`` sliders), the camera's elevation, azimuth and distance (``get_camera``)
and latent codes named by seeds. :func:`render_sliders` turns a list of such frames into images;
everything that renders sliders calls it (the server's frames and GIF export, ``inrkit giraffe
render --path``, the slider report of :mod:`inrkit.giraffe.controllability`). :func:`sweep_frames`
makes the frames of a looping animation of one slider (Sec. 4.2's controllable animations,
started at the slider's current value).

Codes by seed: seed ``s`` draws, from its own ``torch.Generator``, a (K, z_dim) block of object
codes and then a background code (z_dim_bg), scaled by the official sample temperature 0.65.
Object ``k`` with seed ``s`` takes row ``k`` of the block, so a scene whose objects share one
seed is the page's scene for that seed. A code between two seeds is their spherical
interpolation (the official ``interpolate_sphere``), as in the ``interpolate_*`` programs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace

import torch

from inrkit.errors import InrkitError
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.programs import SAMPLE_TMP, generator_of, slerp
from inrkit.nn.precision import check_precision, compute_dtype

RENDER_BATCH = 8
"""Frames per generator call; a stop request is checked between calls."""
SWEEPABLE = ("rotation", "translation_x", "translation_depth", "scale", "elevation")
"""The sliders :func:`sweep_frames` can animate."""


@dataclass(frozen=True)
class SeedCode:
    """A latent code named by seeds: ``seed``'s code, slerped towards ``to_seed``'s by
    ``weight`` in [0, 1] (0: ``seed``'s code alone)."""

    seed: int = 0
    to_seed: int | None = None
    weight: float = 0.0


@dataclass(frozen=True)
class ObjectSliders:
    """One object's pose and codes; each slider is a fraction of the model's range."""

    rotation: float = 0.5
    """Rotation about the up axis (0 to 1 is a full turn when the range is)."""
    translation_x: float = 0.5
    """Position left to right in the image (the box's y)."""
    translation_depth: float = 0.5
    """Position towards or away from the camera (the box's x)."""
    scale: float = 0.5
    """Size."""
    shape: SeedCode = field(default_factory=SeedCode)
    """Shape code."""
    appearance: SeedCode = field(default_factory=SeedCode)
    """Appearance code."""


@dataclass(frozen=True)
class FrameSliders:
    """Everything one frame shows: the objects (one entry per box), camera and background."""

    objects: tuple[ObjectSliders, ...]
    elevation: float = 0.5
    """Camera elevation (``val_v`` of ``get_camera``)."""
    azimuth: float = 0.5
    """Camera azimuth (``val_u``); no effect where the model's azimuth range is one value."""
    radius: float = 0.5
    """Camera distance (``val_r``); no effect where the model's range is one value."""
    background_shape: SeedCode = field(default_factory=SeedCode)
    background_appearance: SeedCode = field(default_factory=SeedCode)


def uniform_frame(
    n_objects: int,
    *,
    rotation: float = 0.5,
    translation_x: float = 0.5,
    translation_depth: float = 0.5,
    scale: float = 0.5,
    elevation: float = 0.5,
    shape_seed: int = 0,
    appearance_seed: int = 0,
) -> FrameSliders:
    """The page's frame: every object (and the background) takes the same sliders and seeds."""
    obj = ObjectSliders(
        rotation=rotation,
        translation_x=translation_x,
        translation_depth=translation_depth,
        scale=scale,
        shape=SeedCode(shape_seed),
        appearance=SeedCode(appearance_seed),
    )
    return FrameSliders(
        objects=(obj,) * n_objects,
        elevation=elevation,
        background_shape=SeedCode(shape_seed),
        background_appearance=SeedCode(appearance_seed),
    )


def seed_codes(gen: Generator, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(object codes (K, z_dim), background code (z_dim_bg,)) of ``seed``, on the CPU.

    A private ``torch.Generator``, not the global stream: concurrent renders (the server's
    threads) must not share one.
    """
    rng = torch.Generator().manual_seed(seed)
    k, z, z_bg = gen.get_n_boxes(), gen.z_dim, gen.z_dim_bg
    objects = torch.randn(k, z, generator=rng) * SAMPLE_TMP
    background = torch.randn(z_bg, generator=rng) * SAMPLE_TMP
    return objects, background


class SeedCodes:
    """Codes by seed for one generator, each seed drawn once (paths reuse a few seeds)."""

    def __init__(self, gen: Generator) -> None:
        self.gen = gen
        self._cache: dict[int, tuple[torch.Tensor, torch.Tensor]] = {}

    def by_seed(self, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
        """:func:`seed_codes`, drawn once per seed."""
        if seed not in self._cache:
            self._cache[seed] = seed_codes(self.gen, seed)
        return self._cache[seed]

    def code(self, c: SeedCode, part: int, row: int | None) -> torch.Tensor:
        """The code ``c`` names: ``part`` 0 the object block's ``row``, 1 the background."""

        def pick(seed: int) -> torch.Tensor:
            drawn = self.by_seed(seed)[part]
            return drawn[row] if row is not None else drawn

        if c.to_seed is None or c.weight == 0.0 or c.to_seed == c.seed:
            return pick(c.seed)
        if c.weight == 1.0:
            return pick(c.to_seed)
        return slerp(pick(c.seed), pick(c.to_seed), c.weight)


def frame_inputs(gen: Generator, frame: FrameSliders, codes: SeedCodes) -> tuple:
    """Generator inputs of one frame (batch 1): codes, camera, box poses, background."""
    k = gen.get_n_boxes()
    if len(frame.objects) != k:
        raise InrkitError(f"the frame poses {len(frame.objects)} objects, the model has {k}")
    objs = frame.objects
    z_shape = torch.stack([codes.code(o.shape, 0, i) for i, o in enumerate(objs)])
    z_app = torch.stack([codes.code(o.appearance, 0, i) for i, o in enumerate(objs)])
    z_shape_bg = codes.code(frame.background_shape, 1, None)
    z_app_bg = codes.code(frame.background_appearance, 1, None)
    latent = tuple(
        c.unsqueeze(0).to(gen.device) for c in (z_shape, z_app, z_shape_bg, z_app_bg)
    )  # (1, K, z), (1, K, z), (1, z_bg), (1, z_bg)
    camera = gen.get_camera(frame.azimuth, frame.elevation, frame.radius, batch_size=1)
    # Box translation slider order is (x: depth, y: horizontal, z: height), as in the
    # official translation programs; the height slider stays at the middle.
    poses = gen.get_transformations(
        [[o.scale] * 3 for o in objs],
        [[o.translation_depth, o.translation_x, 0.5] for o in objs],
        [o.rotation for o in objs],
        batch_size=1,
    )
    bg = gen.get_bg_rotation(0.5, batch_size=1)
    return latent, camera, poses, bg


def render_sliders(
    model: object,
    frames: Sequence[FrameSliders],
    *,
    should_stop: Callable[[], bool] | None = None,
    batch_size: int = RENDER_BATCH,
    precision: str = "fp32",
) -> Iterator[torch.Tensor]:
    """Render each frame: (3, H, W) RGB in [0, 1] on the CPU, in order.

    Frames go through the generator ``batch_size`` at a time (eval mode, no random object
    removal, so nothing flickers). The model is not modified, so several threads may render
    with one model at once.

    Args:
        model: A loaded model (its averaged generator renders) or a :class:`Generator`.
        frames: The frames; every one poses all of the model's objects.
        should_stop: Asked before each batch; True stops with an InrkitError.
        batch_size: Frames per generator call.
        precision: "fp32" or "bf16", as :func:`inrkit.giraffe.render`.
    """
    gen = generator_of(model)
    dtype = compute_dtype(check_precision(precision), gen.device)
    codes = SeedCodes(gen)
    for start in range(0, len(frames), batch_size):
        if should_stop is not None and should_stop():
            raise InrkitError("rendering stopped: the client left")
        batch = [frame_inputs(gen, f, codes) for f in frames[start : start + batch_size]]
        # Concatenate each input along the batch axis: (codes, camera, poses) are tuples.
        latent, camera, poses = (
            tuple(torch.cat(parts) for parts in zip(*group, strict=True))
            for group in zip(*(b[:3] for b in batch), strict=True)
        )
        bg = torch.cat([b[3] for b in batch])
        with torch.no_grad():
            rgb = gen(
                len(batch),
                latent,
                camera,
                poses,
                bg,
                mode="val",
                sample_existence=False,
                dtype=dtype,
            )
        yield from rgb.clamp(0, 1).cpu()


def object_count(model: object) -> int:
    """How many objects (boxes) a model's frames pose: the length of ``FrameSliders.objects``."""
    return generator_of(model).get_n_boxes()


def rotation_wraps(model: object) -> bool:
    """Whether the rotation slider covers a full turn (0 and 1 are the same pose)."""
    return list(generator_of(model).bounding_box_generator.rotation_range) == [0.0, 1.0]


def sweep_frames(
    model: object, frame: FrameSliders, slider: str, n_frames: int
) -> list[FrameSliders]:
    """``n_frames`` frames of a seamless loop of ``slider`` (one of :data:`SWEEPABLE`), each
    object's value (or the camera's elevation) starting from its value in ``frame``.

    The rotation keeps turning where the model's range is a full turn (:func:`rotation_wraps`);
    every other sweep goes up to 1, down to 0 and back (:func:`sweep`).

    Raises:
        InrkitError: ``slider`` is not one of :data:`SWEEPABLE`.
    """
    if slider not in SWEEPABLE:
        raise InrkitError(f"slider must be one of {', '.join(SWEEPABLE)}, got {slider!r}")
    wrap = slider == "rotation" and rotation_wraps(model)
    if slider == "elevation":
        return [replace(frame, elevation=v) for v in sweep(frame.elevation, n_frames, wrap)]
    # One loop per object, each from its own value (the page's objects share one).
    per_object = [sweep(getattr(o, slider), n_frames, wrap) for o in frame.objects]
    return [
        replace(
            frame,
            objects=tuple(
                replace(o, **{slider: values[t]})
                for o, values in zip(frame.objects, per_object, strict=True)
            ),
        )
        for t in range(n_frames)
    ]


def sweep(start: float, n_frames: int, wrap: bool) -> list[float]:
    """``n_frames`` slider values of a seamless loop that begins at ``start`` (in [0, 1]).

    ``wrap``: a full turn (0 and 1 are the same pose), so the value keeps rising mod 1.
    Otherwise a triangle wave: up to 1, down to 0, back up to ``start``.
    """
    steps = [i / n_frames for i in range(n_frames)]
    if wrap:
        return [(start + t) % 1.0 for t in steps]
    phase = start / 2  # where ``start`` sits on the rising half of the triangle
    out = []
    for t in steps:
        p = (phase + t) % 1.0
        out.append(2 * p if p < 0.5 else 2 - 2 * p)
    return out
