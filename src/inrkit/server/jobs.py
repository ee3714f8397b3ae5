"""What the workers run: request values in, PNG bytes out (LIIF upscales, GIRAFFE frames).

These are plain functions of a model and numbers, run in the :mod:`inrkit.server.work` pool;
they know nothing of HTTP. A GIRAFFE frame is one sample of the paper's controllable
generation (Sec. 3-4.2): codes from two seeded generators (shape and appearance, temperature
0.65 as in the official renderings), the box poses and the camera elevation from sliders.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass

import torch
from PIL import Image

from inrkit.errors import InrkitError
from inrkit.giraffe import GiraffeModel
from inrkit.giraffe.programs import SAMPLE_TMP
from inrkit.io import ImageTooLarge
from inrkit.liif import output_size, upscale


@dataclass
class Stats:
    """Counters the app keeps (read by ``/health`` and the tests)."""

    tiles: int = 0
    """LIIF tiles computed, over all jobs."""
    stopped: int = 0
    """Upscales stopped early because their client left."""
    busy: int = 0
    """Requests refused with 503."""


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


def upscale_png(
    model: torch.nn.Module,
    img: Image.Image,
    out_hw: tuple[int, int],
    stop: threading.Event,
    stats: Stats,
    tile: int,
) -> bytes:
    """Upscale ``img`` to ``out_hw`` (H, W) and encode it; stops between tiles once ``stop``."""

    def should_stop() -> bool:
        stats.tiles += 1  # asked once per finished tile
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


def render_png(model: GiraffeModel, s: Sliders) -> bytes:
    """One frame (s.size x s.size RGB) as PNG bytes."""
    gen = model.generator
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
    with torch.no_grad():
        rgb = gen(1, codes, camera, poses, bg, mode="val")[0].clamp(0, 1)
    arr = rgb.permute(1, 2, 0).mul(255).round().byte().cpu().numpy()
    img = Image.fromarray(arr, "RGB")
    if img.size != (s.size, s.size):
        img = img.resize((s.size, s.size), Image.Resampling.LANCZOS)
    return to_png(img)
