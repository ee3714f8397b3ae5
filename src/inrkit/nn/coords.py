"""Continuous pixel coordinates (LIIF, Sec. 3.1).

An image of H x W pixels covers the square [-1, 1]^2; pixel (i, j) has its centre at
``(-1 + (2i + 1)/H, -1 + (2j + 1)/W)``, row coordinate first. A query's *cell* is the size of
the output pixel it stands for in the same units, ``(2/H_out, 2/W_out)``.
"""

from __future__ import annotations

import torch


def make_coord(
    shape: tuple[int, ...] | torch.Size,
    ranges: tuple[tuple[float, float], ...] | None = None,
    flatten: bool = True,
) -> torch.Tensor:
    """Pixel-centre coordinates of a grid.

    Args:
        shape: Grid size per dimension, e.g. ``(H, W)``.
        ranges: Optional ``(v0, v1)`` interval per dimension; default ``[-1, 1]``.
        flatten: Return ``(H*W, 2)`` in row-major order instead of ``(H, W, 2)``.

    Returns:
        Float32 coordinates, row coordinate first.
    """
    seqs = []
    for i, n in enumerate(shape):
        v0, v1 = (-1.0, 1.0) if ranges is None else ranges[i]
        r = (v1 - v0) / (2 * n)
        # Same arithmetic (and so the same float32 rounding) as the official make_coord.
        seqs.append(v0 + r + (2 * r) * torch.arange(n).float())
    grid = torch.stack(torch.meshgrid(*seqs, indexing="ij"), dim=-1)
    return grid.view(-1, grid.shape[-1]) if flatten else grid


def make_cell(coord: torch.Tensor, shape: tuple[int, int]) -> torch.Tensor:
    """Cell size ``(2/H, 2/W)`` for every query of ``coord`` (same leading shape)."""
    cell = torch.ones_like(coord)
    cell[..., 0] *= 2 / shape[0]
    cell[..., 1] *= 2 / shape[1]
    return cell
