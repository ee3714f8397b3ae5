"""The Local Implicit Image Function (LIIF, Sec. 3).

``LIIF`` keeps the official module layout (``encoder``, ``imnet``) and the official call
``model(inp, coord, cell)``, plus the stateful ``gen_feat`` / ``query_rgb`` pair. Our own code
uses the stateless ``encode(inp)`` and ``query(feat, coord, cell)``.

Two formulations of the query give the same numbers:

* :meth:`LIIF.query_reference` is the paper's (and the official code's) formulation: unfold
  the 3x3 neighbourhood of every latent pixel (Sec. 3.3 feature unfolding), and for each of the
  four nearest latent codes (Sec. 3.2 local ensemble) concatenate code, relative coordinate and
  cell (Sec. 3.4 cell decoding) and run the whole MLP.
* :meth:`LIIF.query` is the fast path. The first MLP layer is linear in its input, and on an
  unfolded 3x3 feature it *is* a 3x3 convolution of the feature map; so its feature part is
  computed once per latent pixel (``prepare``) instead of once per query and shift, and the
  queries only add the coordinate and cell terms. The four shifts then go through the rest of
  the MLP as one batch. The latent pixel each query reads is chosen by the very same
  ``grid_sample`` call as in the reference, so ties at pixel borders break identically.
* :meth:`LIIF.query_grid_prepared` serves whole-image inference: on a grid of queries the code
  a query reads depends on its row and its column separately, so lookups happen once per row
  and once per column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from inrkit.liif.fast_mlp import MLPTail, blend
from inrkit.nn.coords import make_coord
from inrkit.nn.mlp import MLP

# Official constants: the ensemble shift is nudged off pixel borders, queries are kept inside
# the image, and a tiny area keeps the normalisation finite.
_EPS_SHIFT = 1e-6
_CLAMP = 1 - 1e-6
_AREA_EPS = 1e-9


@dataclass
class PreparedLatent:
    """First-layer tables of a window of the latent grid (see :meth:`LIIF.prepare`).

    Attributes:
        hidden: (B * nh * nw, D1) first-layer pre-activations of the codes in the window.
        grid_hw: (h, w) size of the whole latent grid the coordinates refer to.
        origin: (row, col) of the window's top-left latent pixel in the whole grid.
        window_hw: (nh, nw) size of the window.
    """

    hidden: torch.Tensor
    grid_hw: tuple[int, int]
    origin: tuple[int, int]
    window_hw: tuple[int, int]


def _nearest(grid: torch.Tensor, coord: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour read of ``grid`` (B, C, h, w) at ``coord`` (B, Q, 2) -> (B, Q, C)."""
    out = F.grid_sample(grid, coord.flip(-1).unsqueeze(1), mode="nearest", align_corners=False)
    return out[:, :, 0, :].permute(0, 2, 1)


def nearest_index(coord: torch.Tensor, size: int) -> torch.Tensor:
    """Index of the latent pixel ``grid_sample(mode='nearest')`` reads along one axis.

    Args:
        coord: (...) coordinates in [-1, 1] along an axis with ``size`` pixels.

    Returns:
        (...) int64 indices. The row a query reads depends on its row coordinate only, so a
        (size x 1) index map read through the very same ``grid_sample`` call reproduces the
        official choice bit for bit, ties at pixel borders included.
    """
    index_map = torch.arange(size, dtype=coord.dtype, device=coord.device).view(1, 1, size, 1)
    grid = torch.stack((torch.zeros_like(coord), coord), dim=-1).reshape(1, 1, -1, 2)
    out = F.grid_sample(index_map, grid, mode="nearest", align_corners=False)
    return out.reshape(coord.shape).long()


class LIIF(nn.Module):
    """Encoder + MLP decoder queried at continuous coordinates.

    Args:
        encoder: Module mapping (B, 3, H, W) to (B, C, H, W); must expose ``out_dim`` = C.
        imnet_hidden: Hidden widths of the decoder MLP; ``None`` means no decoder (the query
            returns the nearest latent code, as in the official code).
        local_ensemble: Blend the four nearest codes by area (Sec. 3.2).
        feat_unfold: Concatenate each code's 3x3 neighbourhood (Sec. 3.3).
        cell_decode: Feed the query's cell size to the decoder (Sec. 3.4).
        out_dim: Decoder outputs (3 for RGB).
    """

    def __init__(
        self,
        encoder: nn.Module,
        imnet_hidden: Sequence[int] | None = (256, 256, 256, 256),
        local_ensemble: bool = True,
        feat_unfold: bool = True,
        cell_decode: bool = True,
        out_dim: int = 3,
    ) -> None:
        super().__init__()
        self.local_ensemble = local_ensemble
        self.feat_unfold = feat_unfold
        self.cell_decode = cell_decode
        self.encoder = encoder
        self.imnet: MLP | None = None
        if imnet_hidden is not None:
            # Every encoder's out_dim is an int (pyright: nn.Module attributes are Tensor | Module).
            code_dim: int = encoder.out_dim  # pyright: ignore[reportAssignmentType]
            in_dim = code_dim * (9 if feat_unfold else 1) + 2 + (2 if cell_decode else 0)
            self.imnet = MLP(in_dim, out_dim, list(imnet_hidden))
        self.feat: torch.Tensor | None = None  # only for the official stateful API

    # ----- stateless API -------------------------------------------------------------------
    def encode(self, inp: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised image -> (B, C, H, W) latent grid."""
        return self.encoder(inp)

    def _shifts(self) -> tuple[list[tuple[int, int]], float]:
        if self.local_ensemble:
            return [(-1, -1), (-1, 1), (1, -1), (1, 1)], _EPS_SHIFT
        return [(0, 0)], 0.0

    def _shifted(
        self, coord: torch.Tensor, shape: tuple[int, int], v: tuple[int, int], eps: float
    ) -> torch.Tensor:
        """Query coords moved by v half-latent-pixels, clamped inside the image (official)."""
        c = coord.clone()
        c[:, :, 0] += v[0] / shape[0] + eps  # v * rx with rx = 2 / h / 2
        c[:, :, 1] += v[1] / shape[1] + eps
        return c.clamp_(-_CLAMP, _CLAMP)

    _blend = staticmethod(blend)

    def query_reference(
        self, feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor | None = None
    ) -> torch.Tensor:
        """The official formulation of the query.

        Args:
            feat: (B, C, h, w) latent grid from :meth:`encode`.
            coord: (B, Q, 2) query coordinates in [-1, 1], row first.
            cell: (B, Q, 2) cell sizes (2/H_out, 2/W_out); needed when ``cell_decode``.

        Returns:
            (B, Q, out_dim) normalised RGB.
        """
        if self.imnet is None:
            return _nearest(feat, coord)
        h, w = feat.shape[-2:]
        if self.feat_unfold:
            feat = F.unfold(feat, 3, padding=1).view(feat.shape[0], feat.shape[1] * 9, h, w)
        feat_coord = make_coord((h, w), flatten=False).to(feat)
        feat_coord = feat_coord.permute(2, 0, 1).unsqueeze(0).expand(feat.shape[0], 2, h, w)
        shifts, eps = self._shifts()
        bs, q = coord.shape[:2]
        preds, areas = [], []
        for v in shifts:
            c = self._shifted(coord, (h, w), v, eps)
            q_feat = _nearest(feat, c)
            rel = coord - _nearest(feat_coord, c)
            rel[:, :, 0] *= h
            rel[:, :, 1] *= w
            parts = [q_feat, rel]
            if self.cell_decode:
                assert cell is not None, "a model with cell_decode needs cell"
                rel_cell = cell.clone()
                rel_cell[:, :, 0] *= h
                rel_cell[:, :, 1] *= w
                parts.append(rel_cell)
            inp = torch.cat(parts, dim=-1)
            preds.append(self.imnet(inp.view(bs * q, -1)).view(bs, q, -1))
            areas.append(torch.abs(rel[:, :, 0] * rel[:, :, 1]) + _AREA_EPS)
        return self._blend(preds, areas)

    # ----- fast path -----------------------------------------------------------------------
    def prepare(
        self,
        feat: torch.Tensor,
        grid_hw: tuple[int, int] | None = None,
        feat_origin: tuple[int, int] = (0, 0),
        window: tuple[int, int, int, int] | None = None,
    ) -> PreparedLatent:
        """Precompute the code part of the first MLP layer for a window of latent pixels.

        Args:
            feat: (B, C, fh, fw) latent codes; by default the whole grid.
            grid_hw: Size (h, w) of the whole latent grid; default ``feat``'s size.
            feat_origin: Position of ``feat[..., 0, 0]`` in the whole grid.
            window: (row0, row1, col0, col1) latent pixels to prepare, in whole-grid indices;
                default all of ``feat``. ``feat`` must hold one more pixel on every side of
                the window that is not an edge of the whole grid (the 3x3 unfold needs it).
        """
        assert self.imnet is not None
        # An MLP starts with a Linear (pyright: a Sequential's items are Modules).
        first: nn.Linear = self.imnet.layers[0]  # pyright: ignore[reportAssignmentType]
        b, c, fh, fw = feat.shape
        grid_hw = grid_hw or (fh, fw)
        oy, ox = feat_origin
        r0, r1, c0, c1 = window or (oy, oy + fh, ox, ox + fw)
        k = 3 if self.feat_unfold else 1
        # Unfold orders its output channel-major (c * 9 + ky * 3 + kx), exactly a conv kernel;
        # zero padding matches unfold's at the edges of the whole grid.
        kernel = first.weight[:, : c * k * k].reshape(-1, c, k, k)
        # The tables stay fp32 whatever the encoder ran in: every query's layer 1 starts here.
        feat = feat.to(kernel.dtype)
        hidden = F.conv2d(feat, kernel, first.bias, padding=k // 2)  # (B, D1, fh, fw)
        hidden = hidden[:, :, r0 - oy : r1 - oy, c0 - ox : c1 - ox]
        # Row-major (pixel, channel) so that each gathered code is one contiguous row.
        hidden = hidden.permute(0, 2, 3, 1).reshape(b * (r1 - r0) * (c1 - c0), -1).contiguous()
        return PreparedLatent(hidden, grid_hw, (r0, c0), (r1 - r0, c1 - c0))

    def query_prepared(
        self, prep: PreparedLatent, coord: torch.Tensor, cell: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Fast query against :meth:`prepare`'s tables; same contract as :meth:`query_reference`.

        Every code a query reads must lie inside the prepared window.
        """
        assert self.imnet is not None
        linears: list[nn.Linear] = [m for m in self.imnet.layers if isinstance(m, nn.Linear)]
        first = linears[0]
        h, w = prep.grid_hw
        nh, nw = prep.window_hw
        n_feat = first.in_features - 2 - (2 if self.cell_decode else 0)
        w_tail = first.weight[:, n_feat:].t()  # (2 or 4, D1): coordinate and cell columns
        shifts, eps = self._shifts()
        bs, q = coord.shape[:2]
        flat = coord.reshape(-1, 2)
        batch_offset = torch.arange(bs, device=coord.device).repeat_interleave(q) * (nh * nw)
        rel_cell = None
        if self.cell_decode:
            assert cell is not None, "a model with cell_decode needs cell"
            rel_cell = cell.reshape(-1, 2) * cell.new_tensor([h, w])
        # Inference writes layer 1 straight into one buffer; autograd cannot follow out=.
        grad = torch.is_grad_enabled()
        x = None if grad else prep.hidden.new_empty(len(shifts), bs * q, first.out_features)
        layer1, areas = [], []
        for s, v in enumerate(shifts):
            c = self._shifted(coord, (h, w), v, eps).reshape(-1, 2)
            row, col = nearest_index(c[:, 0], h), nearest_index(c[:, 1], w)
            # Code centres come from the official make_coord, so rel matches it exactly.
            centre = torch.stack((make_coord((h,))[row, 0], make_coord((w,))[col, 0]), dim=-1)
            rel = (flat - centre.to(flat)) * flat.new_tensor([h, w])
            areas.append(torch.abs(rel[:, 0] * rel[:, 1]).view(bs, q) + _AREA_EPS)
            idx = (row - prep.origin[0]) * nw + (col - prep.origin[1]) + batch_offset
            tail = rel if rel_cell is None else torch.cat((rel, rel_cell), dim=-1)
            # Layer 1 = precomputed code term + coordinate/cell term, added in place.
            if x is None:
                layer1.append(prep.hidden.index_select(0, idx).addmm_(tail, w_tail))
            else:
                torch.index_select(prep.hidden, 0, idx, out=x[s]).addmm_(tail, w_tail)
        # All shifts go through the remaining layers as one batch.
        x = (torch.stack(layer1) if x is None else x).view(len(shifts) * bs * q, -1)
        for layer in linears[1:]:
            x = torch.addmm(layer.bias, x.relu_(), layer.weight.t())
        out = x.view(len(shifts), bs, q, -1)
        return self._blend(list(out.unbind(0)), areas)

    @torch.no_grad()
    def query_grid_prepared(
        self,
        prep: PreparedLatent,
        ys: torch.Tensor,
        xs: torch.Tensor,
        cell: tuple[float, float],
        max_queries: int = 1024,
        dtype: torch.dtype = torch.float32,
        on_chunk: Callable[[int], None] | None = None,
    ) -> torch.Tensor:
        """Inference on a whole grid of queries: rows ``ys`` (R,) x columns ``xs`` (C,).

        Same numbers as :meth:`query_prepared` on the flattened grid (up to float rounding),
        but the code a query reads and its relative offset depend on its row and its column
        separately, so both are found once per row and once per column, and the coordinate
        terms of layer 1 are added as a row term plus a column term.

        ``dtype`` bfloat16 runs the hidden layers' GEMMs in bf16 (:class:`MLPTail`); the
        lookups, relative coordinates, areas, layer 1 and the blend stay fp32, so every query
        reads the same codes with the same weights as in fp32.

        ``on_chunk(n)`` is called after each chunk of ``n`` queries (progress, cancellation:
        it may raise to stop).

        Returns:
            (B, R, C, out_dim) normalised RGB.
        """
        assert self.imnet is not None
        linears: list[nn.Linear] = [m for m in self.imnet.layers if isinstance(m, nn.Linear)]
        first = linears[0]
        (h, w), (nh, nw), (a0, b0) = prep.grid_hw, prep.window_hw, prep.origin
        n_feat = first.in_features - 2 - (2 if self.cell_decode else 0)
        w_tail = first.weight[:, n_feat:]  # (D1, 2 or 4): row, col (, cell row, cell col)
        bs = prep.hidden.shape[0] // (nh * nw)
        rows_c, cols_c = make_coord((h,))[:, 0].to(ys), make_coord((w,))[:, 0].to(xs)
        cell_term = 0.0
        if self.cell_decode:  # the cell is the same for every query of the grid
            cell_term = w_tail[:, 2] * (cell[0] * h) + w_tail[:, 3] * (cell[1] * w)
        shifts, eps = self._shifts()
        tables = []
        for vy, vx in shifts:
            ri = nearest_index((ys + vy / h + eps).clamp(-_CLAMP, _CLAMP), h)
            ci = nearest_index((xs + vx / w + eps).clamp(-_CLAMP, _CLAMP), w)
            rel_r, rel_c = (ys - rows_c[ri]) * h, (xs - cols_c[ci]) * w
            u_r = rel_r[:, None] * w_tail[:, 0] + cell_term  # (R, D1)
            u_c = rel_c[:, None] * w_tail[:, 1]  # (C, D1)
            tables.append((ri - a0, ci - b0, rel_r, rel_c, u_r, u_c))
        # Each table stacked over the shifts, so that a chunk takes a few calls for all four.
        ri, ci, rel_r, rel_c, u_r, u_c = (torch.stack(t) for t in zip(*tables, strict=True))
        n_shifts, (n_rows, n_cols) = len(shifts), (len(ys), len(xs))
        step = max(1, max_queries // n_cols)
        batch_offset = torch.arange(bs, device=ys.device)[:, None] * (nh * nw)
        out = prep.hidden.new_empty(bs, n_rows, n_cols, linears[-1].out_features)
        mlp = MLPTail(linears, n_shifts * bs * min(step, n_rows) * n_cols, dtype)
        for r0 in range(0, n_rows, step):
            r1 = min(r0 + step, n_rows)
            n = (r1 - r0) * n_cols
            x = mlp.layer1(n_shifts, bs * n)  # (S, B n, D1)
            idx = (ri[:, r0:r1, None] * nw + ci[:, None, :]).reshape(n_shifts, 1, -1)
            torch.index_select(
                prep.hidden, 0, (idx + batch_offset).reshape(-1), out=x.view(-1, x.shape[-1])
            )
            layer1 = x.view(n_shifts, bs, r1 - r0, n_cols, -1)
            layer1.add_(u_r[:, None, r0:r1, None, :])
            # + u_c and the ReLU in one pass; the very values of add_ then relu_.
            torch.ops.aten._add_relu_(layer1, u_c[:, None, None, :, :])
            area = torch.abs(rel_r[:, r0:r1, None] * rel_c[:, None, :]) + _AREA_EPS  # (S, r, C)
            areas = list(area.reshape(n_shifts, 1, -1).expand(-1, bs, -1).unbind(0))
            out[:, r0:r1] = mlp(x, areas).view(bs, r1 - r0, n_cols, -1)
            if on_chunk is not None:
                on_chunk(bs * n)
        return out

    def query(
        self, feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode RGB at ``coord`` (B, Q, 2) from ``feat`` (B, C, h, w) -> (B, Q, 3)."""
        if self.imnet is None:
            return _nearest(feat, coord)
        return self.query_prepared(self.prepare(feat), coord, cell)

    def forward(self, inp: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        """Official call: normalised image (B, 3, H, W), coords and cells (B, Q, 2) -> (B, Q, 3)."""
        return self.query(self.encode(inp), coord, cell)

    # ----- official stateful API -----------------------------------------------------------
    def gen_feat(self, inp: torch.Tensor) -> torch.Tensor:
        """Encode and remember the latent grid (official API)."""
        self.feat = self.encode(inp)
        return self.feat

    def query_rgb(self, coord: torch.Tensor, cell: torch.Tensor | None = None) -> torch.Tensor:
        """Query the remembered latent grid (official API)."""
        if self.feat is None:
            raise RuntimeError("call gen_feat(inp) before query_rgb(coord, cell)")
        return self.query(self.feat, coord, cell)
