"""Properties of pixel coordinates and cells (LIIF, Sec. 3.1) for any grid of at least 1x1."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from inrkit.data.sr_wrappers import to_pixel_samples
from inrkit.nn.coords import make_cell, make_coord

sides = st.integers(1, 300)
FAST = settings(max_examples=60, deadline=None, derandomize=True)


@FAST
@given(h=sides, w=sides)
def test_pixel_centres_cover_the_square(h: int, w: int) -> None:
    coord = make_coord((h, w))  # (H*W, 2) row-first, row-major
    assert coord.shape == (h * w, 2) and coord.dtype == torch.float32
    i, j = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    expected = torch.stack([-1 + (2 * i + 1) / h, -1 + (2 * j + 1) / w], -1).reshape(-1, 2)
    torch.testing.assert_close(coord, expected.float(), rtol=0, atol=2e-6)
    assert coord.abs().max() < 1  # centres, never the edges of the square
    # Symmetric about 0: the last pixel mirrors the first.
    torch.testing.assert_close(coord.flip(0), -coord, rtol=0, atol=2e-6)
    assert torch.equal(make_coord((h, w), flatten=False).reshape(-1, 2), coord)


@FAST
@given(h=sides, w=sides, lead=st.integers(1, 3))
def test_cells_tile_the_square_edge_to_edge(h: int, w: int, lead: int) -> None:
    coord = make_coord((h, w), flatten=False).expand(lead, h, w, 2)
    cell = make_cell(coord, (h, w))
    assert cell.shape == coord.shape
    assert torch.all(cell[..., 0] == 2 / h) and torch.all(cell[..., 1] == 2 / w)
    # Each pixel spans centre +- cell/2; neighbours meet, and the ends are -1 and 1.
    rows, cols = coord[0, :, 0, 0], coord[0, 0, :, 1]
    for centres, size in ((rows, 2 / h), (cols, 2 / w)):
        low, high = centres - size / 2, centres + size / 2
        torch.testing.assert_close(low[1:], high[:-1], rtol=0, atol=2e-6)
        assert abs(low[0].item() + 1) < 2e-6 and abs(high[-1].item() - 1) < 2e-6


@FAST
@given(n=sides, data=st.data())
def test_a_window_of_the_grid_is_the_grid_of_the_window(n: int, data: st.DataObject) -> None:
    # What tiling relies on: the centres of pixels a..b of an n-pixel axis are those of a
    # (b - a)-pixel axis over the window's own interval.
    a = data.draw(st.integers(0, n - 1))
    b = data.draw(st.integers(a + 1, n))
    window = make_coord((b - a,), ranges=((-1 + 2 * a / n, -1 + 2 * b / n),))
    torch.testing.assert_close(window, make_coord((n,))[a:b], rtol=0, atol=4e-6)


@FAST
@given(h=st.integers(1, 40), w=st.integers(1, 40))
def test_sampling_at_the_centres_returns_every_pixel(h: int, w: int) -> None:
    img = torch.rand(3, h, w, generator=torch.Generator().manual_seed(h * 41 + w))
    coord, rgb = to_pixel_samples(img)
    assert coord.shape == (h * w, 2) and rgb.shape == (h * w, 3)
    # grid_sample takes (x, y): the flipped coordinates, as the LIIF model uses them.
    grid = coord.flip(-1).view(1, 1, -1, 2)
    sampled = F.grid_sample(img[None], grid, mode="nearest", align_corners=False)
    torch.testing.assert_close(sampled[0, :, 0].T, rgb, rtol=0, atol=0)
    # And back from a coordinate to its pixel index.
    index = ((coord + 1) / 2 * torch.tensor([h, w]) - 0.5).round().long()
    assert torch.equal(index[:, 0] * w + index[:, 1], torch.arange(h * w))
