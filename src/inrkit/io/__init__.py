"""Files in and out: images (the names below: safe reading, modes to float RGB, atomic saving);
its modules also hold video through ffmpeg, checkpoints, YAML, downloads, archives, the cache.
"""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
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

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "DEFAULT_MAX_INPUT_PIXELS": "inrkit.io.images",
        "ImageTooLarge": "inrkit.io.images",
        "image_files_in": "inrkit.io.images",
        "read_image": "inrkit.io.images",
        "read_image_bytes": "inrkit.io.images",
        "save_image": "inrkit.io.images",
        "ImageLayout": "inrkit.io.modes",
        "from_float_rgb": "inrkit.io.modes",
        "resize_alpha": "inrkit.io.modes",
        "to_float_rgb": "inrkit.io.modes",
    },
)
