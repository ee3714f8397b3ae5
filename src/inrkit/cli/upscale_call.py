"""What both branches of ``inrkit upscale`` (images and videos) share: the size tag in output
names, and the call of :func:`inrkit.liif.upscale` with the command's knobs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inrkit.errors import InrkitError, file_error

if TYPE_CHECKING:
    import numpy as np
    import torch


def size_tag(args: argparse.Namespace) -> str:
    """What follows ``_`` in output names: ``x4``, ``x3.5``, ``x2x3``, ``1080x1920``, ``w800``."""
    if args.scale is not None:
        factors = args.scale if isinstance(args.scale, tuple) else (args.scale,)
        return "x" + "x".join(format(s, ".10g") for s in factors)
    if args.size is not None:
        return f"{args.size[0]}x{args.size[1]}"
    return f"w{args.width}" if args.width is not None else f"h{args.height}"


def upscale_with_flags(
    model: torch.nn.Module, image: Any, src: Path, args: argparse.Namespace, **size: Any
) -> Any:
    """``inrkit.liif.upscale`` with the command's knobs; errors name ``src``."""
    import torch

    from inrkit.liif import upscale

    try:
        return upscale(
            model,
            image,
            max_pixels=args.max_pixels,
            tile=args.tile,
            chunk=args.chunk,
            precision=args.precision,
            **size,
        )
    except InrkitError as e:  # size problems: the library does not know the file's name
        raise file_error(src, str(e)) from None
    except (torch.OutOfMemoryError, RuntimeError) as e:
        # GPU and CPU allocators report running out as RuntimeErrors; inrkit.cli words it.
        if isinstance(e, torch.OutOfMemoryError) or "can't allocate memory" in str(e):
            raise MemoryError from None
        raise


def upscale_frame(
    model: torch.nn.Module,
    frame: np.ndarray,
    size: tuple[int, int],
    src: Path,
    args: argparse.Namespace,
) -> np.ndarray:
    """One video frame (h, w, 3) uint8 -> (H, W, 3) uint8 of ``size``."""
    return upscale_with_flags(model, frame, src, args, size=size)
