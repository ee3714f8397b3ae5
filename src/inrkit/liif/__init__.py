"""LIIF: Local Implicit Image Function (Chen, Liu and Wang, CVPR 2021).

Public entry points:

* :func:`load` / :func:`save` — checkpoints in the official format, read safely.
* :func:`upscale` — any image to any scale or size, tiled and chunked in bounded memory.
* :func:`upscale_video` — a video, frame by frame, into a resumable H.264 MP4.
* :func:`make_model` — build a model from an official spec ``{'name', 'args'}``.
* :class:`LIIF`, :class:`MetaSR` — the modules themselves.
"""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
    from inrkit.liif.checkpoint import OFFICIAL_MODELS, load, save
    from inrkit.liif.inference import output_size, upscale
    from inrkit.liif.metasr import MetaSR
    from inrkit.liif.model import LIIF
    from inrkit.liif.spec import make_model
    from inrkit.liif.video import upscale_video

__all__ = [
    "LIIF",
    "OFFICIAL_MODELS",
    "MetaSR",
    "load",
    "make_model",
    "output_size",
    "save",
    "upscale",
    "upscale_video",
]

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "OFFICIAL_MODELS": "inrkit.liif.checkpoint",
        "load": "inrkit.liif.checkpoint",
        "save": "inrkit.liif.checkpoint",
        "output_size": "inrkit.liif.inference",
        "upscale": "inrkit.liif.inference",
        "MetaSR": "inrkit.liif.metasr",
        "LIIF": "inrkit.liif.model",
        "make_model": "inrkit.liif.spec",
        "upscale_video": "inrkit.liif.video",
    },
)
