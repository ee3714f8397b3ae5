"""What the workers run: request values in, image bytes out (LIIF upscales, GIRAFFE frames).

These are plain functions of a model and numbers, run in the :mod:`inrkit.server.work` pool;
they know nothing of HTTP, and no method logic: they translate requests into library calls and
results into PNG and GIF bytes. A GIRAFFE frame is rendered by
:func:`inrkit.giraffe.sliders.render_sliders` (the one slider renderer, also behind
``inrkit giraffe render --path``); an animation's frames come from
:func:`inrkit.giraffe.sliders.sweep_frames`; a path plays keyframes
(:mod:`inrkit.giraffe.keyframes`). A LIIF upscale's progress is counted by
:func:`inrkit.liif.upscale` itself (``on_progress``).
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import torch
from PIL import Image

from inrkit.errors import InrkitError
from inrkit.giraffe import GiraffeModel
from inrkit.giraffe.animation import save_gif
from inrkit.giraffe.keyframes import frame_times, load_path_text
from inrkit.giraffe.path import iter_path
from inrkit.giraffe.sliders import (
    FrameSliders,
    object_count,
    render_sliders,
    sweep_frames,
    uniform_frame,
)
from inrkit.io import ImageTooLarge
from inrkit.liif import output_size, upscale


@dataclass
class Stats:
    """Counters the app keeps (read by ``/health`` and the tests)."""

    chunks: int = 0
    """LIIF decoder chunks computed, over all jobs."""
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
    """Output pixels finished."""
    total: int | None = None
    """Output pixels in all, as :func:`inrkit.liif.upscale` counts them; None until it starts."""


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
    out = output_size(in_hw, scale, size, width, height, max_pixels=math.inf)
    if out[0] * out[1] > max_pixels:
        raise ImageTooLarge(
            f"output {out[1]}x{out[0]} = {out[0] * out[1]} pixels is more than the limit of "
            f"{max_pixels}"
        )
    return out


def upscale_png(
    model: torch.nn.Module,
    img: Image.Image,
    out_hw: tuple[int, int],
    stop: threading.Event,
    stats: Stats,
    tile: int,
    progress: Progress | None = None,
    *,
    precision: str = "fp32",
    between: Callable[[], None] | None = None,
) -> bytes:
    """Upscale ``img`` to ``out_hw`` (H, W) and encode it; stops between chunks once ``stop``.

    ``between()`` runs after every chunk (the pool's :meth:`~inrkit.server.work.Turns.offer`).
    """
    progress = progress or Progress()
    progress.running = True

    def on_progress(done: int, total: int) -> None:
        # The library counts (where the tiles are made); the first call, done 0, is the total.
        if done > progress.done:
            stats.chunks += 1
        progress.done, progress.total = done, total
        if done and between is not None:
            between()

    out = upscale(
        model,
        img,
        size=out_hw,
        tile=tile,
        should_stop=stop.is_set,
        precision=precision,
        on_progress=on_progress,
    )
    return to_png(out)


@dataclass(frozen=True)
class Sliders:
    """The page's frame: every object takes these seeds and sliders (fractions of the model's
    ranges), shown at ``size`` x ``size`` pixels."""

    appearance_seed: int
    shape_seed: int
    rotation: float
    translation_x: float
    translation_depth: float
    scale: float
    elevation: float
    size: int


def to_frame(model: GiraffeModel, s: Sliders) -> FrameSliders:
    """The page's sliders as the frame :func:`inrkit.giraffe.sliders.render_sliders` renders."""
    return uniform_frame(
        object_count(model),
        rotation=s.rotation,
        translation_x=s.translation_x,
        translation_depth=s.translation_depth,
        scale=s.scale,
        elevation=s.elevation,
        shape_seed=s.shape_seed,
        appearance_seed=s.appearance_seed,
    )


def to_images(frames: Iterable[torch.Tensor], size: int) -> list[Image.Image]:
    """Frames (3, H, W) in [0, 1] as RGB images of ``size`` x ``size`` (Lanczos if resized)."""
    images = []
    for rgb in frames:
        # (3, H, W) in [0, 1] -> (H, W, 3) bytes
        arr = rgb.permute(1, 2, 0).mul(255).round().byte().numpy()
        img = Image.fromarray(arr, "RGB")
        if img.size != (size, size):
            img = img.resize((size, size), Image.Resampling.LANCZOS)
        images.append(img)
    return images


def _checkpoint(
    stop: threading.Event | None, between: Callable[[], None] | None
) -> Callable[[], bool] | None:
    """A renderer's ``should_stop``: run ``between()`` (a turn offered), then ask ``stop``."""
    if stop is None and between is None:
        return None

    def should_stop() -> bool:
        if between is not None:
            between()
        return stop is not None and stop.is_set()

    return should_stop


def render_frames(
    model: GiraffeModel,
    frames: list[FrameSliders],
    size: int,
    stop: threading.Event | None = None,
    *,
    precision: str = "fp32",
    between: Callable[[], None] | None = None,
) -> list[Image.Image]:
    """Frames (each ``size`` x ``size`` RGB), rendered by the library's slider renderer;
    ``between()`` runs before each batch of frames.

    Raises:
        InrkitError: ``stop`` was set between two batches (the client left).
    """
    rendered = render_sliders(
        model, frames, should_stop=_checkpoint(stop, between), precision=precision
    )
    return to_images(rendered, size)


def render_png(model: GiraffeModel, s: Sliders, *, precision: str = "fp32") -> bytes:
    """One frame (s.size x s.size RGB) as PNG bytes."""
    return to_png(render_frames(model, [to_frame(model, s)], s.size, precision=precision)[0])


def animation_gif(
    model: GiraffeModel,
    s: Sliders,
    slider: str,
    n_frames: int,
    fps: int,
    stop: threading.Event | None = None,
    *,
    precision: str = "fp32",
    between: Callable[[], None] | None = None,
) -> bytes:
    """A looping GIF of ``slider`` swept over its range from its value in ``s``
    (:func:`inrkit.giraffe.sliders.sweep_frames`)."""
    frames = sweep_frames(model, to_frame(model, s), slider, n_frames)
    images = render_frames(model, frames, s.size, stop, precision=precision, between=between)
    buf = io.BytesIO()
    save_gif(buf, images, fps)
    return buf.getvalue()


def path_gif(
    model: GiraffeModel,
    data: bytes,
    name: str,
    max_frames: int,
    stop: threading.Event | None = None,
    *,
    precision: str = "fp32",
    between: Callable[[], None] | None = None,
) -> bytes:
    """A keyframed path file (JSON if ``name`` ends in .json, else YAML) as a looping GIF at
    the model's size and the path's fps.

    Raises:
        InrkitError: A bad path (naming the keyframe and field), more than ``max_frames``
            frames, or ``stop`` set between batches.
    """
    path = load_path_text(data, name, json_format=name.lower().endswith(".json"))
    n = len(frame_times(path))
    if n > max_frames:
        raise InrkitError(
            f"{name}: {n} frames is more than the server's {max_frames}; lower 'fps' or give "
            "'frames'"
        )
    frames = iter_path(model, path, should_stop=_checkpoint(stop, between), precision=precision)
    images = to_images(frames, model.config.img_size)
    buf = io.BytesIO()
    save_gif(buf, images, path.fps)
    return buf.getvalue()
