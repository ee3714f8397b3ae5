"""Pillow modes to float RGB and back.

The models see every image as float32 RGB in [0, 1] (LIIF, Sec. 4.1 normalises inputs the same
way); alpha travels beside it and is resized on its own. :class:`ImageLayout` remembers what the
source looked like, so that the output comes back in the same family: gray stays gray, 16-bit
gray stays 16-bit, transparency stays transparent.

Choices where Pillow leaves room:
    * 16-bit gray (``I;16``, ``I;16B``, ...) and ``I`` are scaled by 65535; ``I`` values outside
      0..65535 are clipped, because Pillow uses ``I`` for 16-bit PNGs.
    * ``F`` (float) is read as [0, 1] when its largest finite value is at most 1, else as 0..255;
      NaN becomes 0 and the result is clipped. It comes back as 16-bit gray to keep precision.
    * Gray output is the BT.601 luma ``0.299 R + 0.587 G + 0.114 B``, the formula Pillow's
      ``convert("L")`` uses; for gray inputs R = G = B, so it returns the value unchanged.
    * Pillow has no 16-bit gray-with-alpha mode, so 16-bit gray with alpha comes back as ``LA``.
    * Palette, CMYK, YCbCr, HSV and LAB come back as ``RGB`` (``RGBA`` with alpha).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image

from inrkit.errors import InrkitError

#: Modes Pillow uses for 16-bit (or wider) single-channel integers.
SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
#: Single-channel modes, which come back as gray.
_GRAY_MODES = frozenset({"1", "L", "LA", "La", "F"}) | SIXTEEN_BIT_MODES
#: Modes that carry an alpha band (premultiplied ones included).
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})


@dataclass(frozen=True)
class ImageLayout:
    """How a source image was stored, so the output can be rebuilt in the same family."""

    mode: str
    """The original Pillow mode, e.g. ``"P"`` or ``"I;16"``."""
    gray: bool
    """Whether the source had one colour channel; the output is then ``L``/``LA``/``I;16``."""
    has_alpha: bool
    """Whether the source had an alpha band or a transparent colour."""
    bit_depth: Literal[8, 16] = 8
    """Bits per channel of the output; 16 only for gray without alpha."""


def _has_alpha(img: Image.Image) -> bool:
    # A palette, gray or RGB image can mark one colour transparent instead of having a band.
    return img.mode in _ALPHA_MODES or (
        img.mode in ("P", "L", "RGB") and "transparency" in img.info
    )


def _gray_values(img: Image.Image) -> np.ndarray:
    """The single channel of a gray image as float64 in [0, 1], shape (H, W)."""
    values = np.asarray(img).astype(np.float64)
    if img.mode in SIXTEEN_BIT_MODES:
        return np.clip(values, 0, 65535) / 65535
    if img.mode == "F":
        values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
        scale = 255.0 if values.size and values.max() > 1.0 else 1.0
        return np.clip(values / scale, 0.0, 1.0)
    # "1" and "L"
    return np.asarray(img.convert("L")).astype(np.float64) / 255


def to_float_rgb(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None, ImageLayout]:
    """Convert an image of any Pillow mode to float RGB plus optional alpha.

    Args:
        img: A loaded Pillow image.

    Returns:
        ``(rgb, alpha, layout)``: rgb is float32 (H, W, 3) in [0, 1]; alpha is float32 (H, W)
        in [0, 1], or None when the image is opaque; layout describes the source.
    """
    mode = img.mode
    has_alpha = _has_alpha(img)
    gray = mode in _GRAY_MODES
    if gray and not has_alpha:
        values = _gray_values(img)
        rgb = np.repeat(values[..., None], 3, axis=2).astype(np.float32)
        deep = mode in SIXTEEN_BIT_MODES or mode == "F"
        return rgb, None, ImageLayout(mode, True, False, 16 if deep else 8)
    try:
        # Pillow knows the colour maths for CMYK/YCbCr/HSV/LAB, palettes, transparency keys
        # and premultiplied alpha; 8 bits is all these modes hold.
        rgba = np.asarray(img.convert("RGBA" if has_alpha else "RGB"))
    except ValueError as exc:
        raise InrkitError(f"unsupported image mode '{mode}': {exc}") from None
    rgb = (rgba[..., :3] / np.float32(255)).astype(np.float32)
    alpha = (rgba[..., 3] / np.float32(255)).astype(np.float32) if has_alpha else None
    return rgb, alpha, ImageLayout(mode, gray, has_alpha, 8)


def _quantize(values: np.ndarray, bit_depth: int) -> np.ndarray:
    """Round (not truncate) [0, 1] floats to unsigned integers of ``bit_depth`` bits."""
    top = 65535 if bit_depth == 16 else 255
    # One float32 working copy, updated in place: an 8192x8192 RGB result stays ~0.8 GB.
    # float32 holds k / 65535 * 65535 to well under half a step, so rounding is exact.
    values = np.array(values, dtype=np.float32, copy=True)
    np.nan_to_num(values, copy=False, nan=0.0)
    np.clip(values, 0.0, 1.0, out=values)
    values *= top
    np.rint(values, out=values)
    return values.astype(np.uint16 if top > 255 else np.uint8)


def from_float_rgb(rgb: np.ndarray, alpha: np.ndarray | None, layout: ImageLayout) -> Image.Image:
    """Inverse of :func:`to_float_rgb`: build a Pillow image in the layout's family.

    Args:
        rgb: Float (H, W, 3) in [0, 1]; values outside are clipped, NaN becomes 0.
        alpha: Float (H, W) in [0, 1], or None for an opaque output.
        layout: The source's layout; gray gives ``L``/``LA``/``I;16``, others ``RGB``/``RGBA``.

    Returns:
        A new image; 8-bit unless the layout is 16-bit gray without alpha.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"rgb must have shape (H, W, 3), got {rgb.shape}")
    if alpha is not None and alpha.shape != rgb.shape[:2]:
        raise ValueError(f"alpha must have shape {rgb.shape[:2]}, got {alpha.shape}")
    if layout.gray:
        # BT.601 luma in float64 so that R = G = B = v gives back v to well under half a step.
        colour = np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])
        if alpha is None:
            return Image.fromarray(_quantize(colour, 16 if layout.bit_depth == 16 else 8))
        colour = colour[..., None]
    else:
        colour = rgb
    if alpha is not None:
        colour = np.concatenate([colour, np.asarray(alpha)[..., None]], axis=2)
    data = _quantize(colour, 8)  # (H, W, 1|2|3|4) -> L, LA, RGB or RGBA
    return Image.fromarray(data[..., 0] if data.shape[2] == 1 else data)


def resize_alpha(alpha: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Resize an alpha channel bicubically; the colour goes through the model instead.

    Args:
        alpha: Float (H, W) in [0, 1].
        size_hw: Output ``(height, width)``, both positive.

    Returns:
        Float32 (height, width) in [0, 1]; bicubic overshoot at edges is clipped.
    """
    if alpha.ndim != 2:
        raise ValueError(f"alpha must have shape (H, W), got {alpha.shape}")
    height, width = size_hw
    if height <= 0 or width <= 0:
        raise ValueError(f"size must be positive, got {size_hw}")
    # Mode F keeps the full float precision through Pillow's resampler.
    image = Image.fromarray(np.ascontiguousarray(alpha, dtype=np.float32))
    resized = image.resize((width, height), Image.Resampling.BICUBIC)
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)
