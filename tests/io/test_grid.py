"""Image grids (the official GIRAFFE renderer's layout)."""

import torch

from inrkit.io.grid import make_grid, to_pil


def test_grid_layout() -> None:
    grid = make_grid(torch.zeros(7, 3, 4, 4))
    assert grid.shape == (3, 2 * 6 + 2, 5 * 6 + 2)  # 5 per row, 2 rows
    assert grid[:, 0].eq(1).all() and grid[:, 2:6, 2:6].eq(0).all()


def test_to_pil_rounds_to_8_bits() -> None:
    image = to_pil(torch.full((3, 2, 5), 0.5))
    assert image.size == (5, 2) and image.mode == "RGB" and image.getpixel((0, 0)) == (128,) * 3
