"""Images in and out: safe reading, mode conversion to float RGB, atomic writing."""

from inrkit.io.images import (
    DEFAULT_MAX_INPUT_PIXELS,
    ImageTooLarge,
    image_files_in,
    read_image,
    read_image_bytes,
    save_image,
)
from inrkit.io.modes import ImageLayout, from_float_rgb, resize_alpha, to_float_rgb

__all__ = [
    "DEFAULT_MAX_INPUT_PIXELS",
    "ImageLayout",
    "ImageTooLarge",
    "from_float_rgb",
    "image_files_in",
    "read_image",
    "read_image_bytes",
    "resize_alpha",
    "save_image",
    "to_float_rgb",
]
