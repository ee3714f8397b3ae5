"""Image grids: a batch of images tiled into one picture with white gaps, and its 8-bit image.

The layout of GIRAFFE's official renderer (torchvision's ``make_grid`` with white padding):
the programs' animation frames and strips, and the trainer's visualisation, use it.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

GRID_COLUMNS = 5  # the official renderer's images per row


def make_grid(images: torch.Tensor, ncol: int = GRID_COLUMNS, padding: int = 2) -> torch.Tensor:
    """Images (N, 3, H, W) in [0, 1] -> one grid image (3, H', W') with white gaps."""
    n, c, h, w = images.shape
    ncol = min(ncol, n)
    nrow = -(-n // ncol)
    grid = torch.ones(c, nrow * (h + padding) + padding, ncol * (w + padding) + padding)
    for i in range(n):
        y, x = padding + (i // ncol) * (h + padding), padding + (i % ncol) * (w + padding)
        grid[:, y : y + h, x : x + w] = images[i]
    return grid


def to_pil(image: torch.Tensor) -> Image.Image:
    """(3, H, W) in [0, 1] -> an 8-bit RGB image (rounded, as torchvision's save_image)."""
    array = (image.clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).numpy()
    return Image.fromarray(np.ascontiguousarray(array), mode="RGB")
