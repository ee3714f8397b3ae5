"""What the workers run: request values in, image bytes out (LIIF upscales, GIRAFFE frames).

These are plain functions of a model and numbers, run in the :mod:`inrkit.server.work` pool;
they know nothing of HTTP. A GIRAFFE frame is one sample of the paper's controllable
generation (Sec. 3-4.2): codes from two seeded generators (shape and appearance, temperature
0.65 as in the official renderings), the box poses and the camera elevation from sliders. An
animation sweeps one slider over its range and back, starting at its current value (Sec. 4.2's
controllable animations, centred on what the user sees).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass, replace

import torch
from PIL import Image

from inrkit.errors import InrkitError
from inrkit.giraffe import GiraffeModel
from inrkit.giraffe.animation import save_gif
from inrkit.giraffe.programs import SAMPLE_TMP
from inrkit.io import ImageTooLarge
from inrkit.liif import LIIF, output_size, upscale
from inrkit.liif.tiling import split

RENDER_BATCH = 8  # frames per generator call in an animation; cancellation is checked between
SLIDERS = ("rotation", "translation_x", "translation_depth", "scale", "elevation")


@dataclass
class Stats:
    """Counters the app keeps (read by ``/health`` and the tests)."""

    tiles: int = 0
    """LIIF tiles computed, over all jobs."""
    stopped: int = 0
    """Upscales stopped early because their client left."""
    busy: int = 0
    """Requests refused with 503."""


@dataclass
class Progress:
    """How far one upscale is, for ``GET /api/upscale/progress/{id}`` (the page's bar)."""

    running: bool = False
    """A worker has started it (else it waits in the queue)."""
    done: int = 0
    """Tiles finished."""
    total: int | None = None
    """Tiles in all, where the model's tiling is known (the fast LIIF path); else None."""


def to_png(img: Image.Image) -> bytes:
    """PNG bytes of any image (alpha, gray and 16-bit kept where PNG can hold them)."""
    buf = io.BytesIO()
    # zlib level 1: several times faster than the default 6 on a 1-megapixel result, and the
    # file is only slightly bigger (it goes over a local connection).
    try:
        img.save(buf, format="PNG", compress_level=1)
    except (OSError, ValueError):
        # Modes PNG cannot store (CMYK, float): 8-bit RGBA keeps colour and alpha.
        buf = io.BytesIO()
        img.convert("RGBA").save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def upscale_size(
    in_hw: tuple[int, int],
    scale: float | None,
    width: int | None,
    height: int | None,
    max_pixels: int,
) -> tuple[int, int]:
    """The output (H, W) for a scale, or a width and/or height; 413 past ``max_pixels``.

    Raises:
        InrkitError: Bad or missing parameters.
        ImageTooLarge: The output would have more than ``max_pixels`` pixels.
    """
    if scale is None and width is None and height is None:
        raise InrkitError("give a scale, or a width and a height")
    if scale is not None and (width is not None or height is not None):
        raise InrkitError("give either a scale or a width and height, not both")
    size = (height, width) if width is not None and height is not None else None
    if size is not None:
        width = height = None
    out = output_size(in_hw, scale, size, width, height, max_pixels=math.inf)  # type: ignore[arg-type]
    if out[0] * out[1] > max_pixels:
        raise ImageTooLarge(
            f"output {out[1]}x{out[0]} = {out[0] * out[1]} pixels is more than the limit of "
            f"{max_pixels}"
        )
    return out


def expected_tiles(model: torch.nn.Module, in_hw: tuple[int, int], tile: int) -> int | None:
    """Tiles an upscale of an ``in_hw`` input will report, or None where that is unknown.

    The fast LIIF path reports once per input tile; the reference path (MetaSR, LIIF without
    a decoder) once per query chunk, which depends on the output size and the chunking.
    """
    if isinstance(model, LIIF) and model.imnet is not None:
        return len(split(in_hw[0], tile)) * len(split(in_hw[1], tile))
    return None


def upscale_png(
    model: torch.nn.Module,
    img: Image.Image,
    out_hw: tuple[int, int],
    stop: threading.Event,
    stats: Stats,
    tile: int,
    progress: Progress | None = None,
) -> bytes:
    """Upscale ``img`` to ``out_hw`` (H, W) and encode it; stops between tiles once ``stop``."""
    progress = progress or Progress()
    progress.total = expected_tiles(model, (img.height, img.width), tile)
    progress.running = True

    def should_stop() -> bool:
        stats.tiles += 1  # asked once per finished tile
        progress.done += 1
        return stop.is_set()

    out = upscale(model, img, size=out_hw, tile=tile, should_stop=should_stop)
    return to_png(out)


@dataclass(frozen=True)
class Sliders:
    """One GIRAFFE frame's controls; every slider is a fraction of the model's range."""

    appearance_seed: int
    shape_seed: int
    rotation: float
    translation_x: float
    translation_depth: float
    scale: float
    elevation: float
    size: int


def _codes(gen: torch.nn.Module, shape_seed: int, appearance_seed: int) -> tuple[torch.Tensor, ...]:
    """(z_shape_obj, z_app_obj (1, K, z_dim), z_shape_bg, z_app_bg (1, z_dim_bg)), seeded.

    Private generators, not the global stream: concurrent requests must not share one.
    """
    k, z, z_bg = gen.get_n_boxes(), gen.z_dim, gen.z_dim_bg
    shape, app = (
        torch.Generator().manual_seed(shape_seed),
        torch.Generator().manual_seed(appearance_seed),
    )
    codes = (
        torch.randn(1, k, z, generator=shape),
        torch.randn(1, k, z, generator=app),
        torch.randn(1, z_bg, generator=shape),
        torch.randn(1, z_bg, generator=app),
    )
    return tuple(c.mul(SAMPLE_TMP).to(gen.device) for c in codes)


def _frame_inputs(gen: torch.nn.Module, s: Sliders) -> tuple:
    """Generator inputs of one frame (batch 1): codes, camera, box poses, background."""
    k = gen.get_n_boxes()
    codes = _codes(gen, s.shape_seed, s.appearance_seed)
    camera = gen.get_camera(val_v=s.elevation, batch_size=1)
    # Box translation slider order is (x: depth, y: horizontal, z: height), as in the
    # official translation programs.
    poses = gen.get_transformations(
        [[s.scale] * 3] * k,
        [[s.translation_depth, s.translation_x, 0.5]] * k,
        [s.rotation] * k,
        batch_size=1,
    )
    bg = gen.get_bg_rotation(0.5, batch_size=1)
    return codes, camera, poses, bg


def render_frames(
    model: GiraffeModel, frames: list[Sliders], stop: threading.Event | None = None
) -> list[Image.Image]:
    """Frames (each s.size x s.size RGB), rendered RENDER_BATCH at a time.

    Raises:
        InrkitError: ``stop`` was set between two batches (the client left).
    """
    gen = model.generator
    images = []
    for start in range(0, len(frames), RENDER_BATCH):
        if stop is not None and stop.is_set():
            raise InrkitError("rendering stopped: the client left")
        batch = [_frame_inputs(gen, s) for s in frames[start : start + RENDER_BATCH]]
        # Concatenate each input along the batch axis: (codes, camera, poses) are tuples.
        codes, camera, poses = (
            tuple(torch.cat(parts) for parts in zip(*group, strict=True))
            for group in zip(*(b[:3] for b in batch), strict=True)
        )
        bg = torch.cat([b[3] for b in batch])
        with torch.no_grad():
            rgb = gen(len(batch), codes, camera, poses, bg, mode="val").clamp(0, 1)
        # (B, 3, H, W) in [0, 1] -> B RGB images of (H, W, 3) bytes
        arrays = rgb.permute(0, 2, 3, 1).mul(255).round().byte().cpu().numpy()
        for arr, s in zip(arrays, frames[start : start + RENDER_BATCH], strict=True):
            img = Image.fromarray(arr, "RGB")
            if img.size != (s.size, s.size):
                img = img.resize((s.size, s.size), Image.Resampling.LANCZOS)
            images.append(img)
    return images


def render_png(model: GiraffeModel, s: Sliders) -> bytes:
    """One frame (s.size x s.size RGB) as PNG bytes."""
    return to_png(render_frames(model, [s])[0])


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


def animation_gif(
    model: GiraffeModel,
    s: Sliders,
    slider: str,
    n_frames: int,
    fps: int,
    stop: threading.Event | None = None,
) -> bytes:
    """A looping GIF of ``slider`` swept over its range from its value in ``s``."""
    if slider not in SLIDERS:
        raise InrkitError(f"slider must be one of {', '.join(SLIDERS)}, got {slider!r}")
    rotation_range = model.generator.bounding_box_generator.rotation_range
    wrap = slider == "rotation" and list(rotation_range) == [0.0, 1.0]
    values = sweep(getattr(s, slider), n_frames, wrap)
    images = render_frames(model, [replace(s, **{slider: v}) for v in values], stop)
    buf = io.BytesIO()
    save_gif(buf, images, fps)
    return buf.getvalue()
