"""The MetaSR baseline as LIIF re-implemented it (Hu et al. 2019; LIIF, Sec. 4.2 baselines).

A small MLP maps (relative offset, 1/scale) to the weights of a per-query 3x3 filter over the
encoder's features; the filter is applied to the unfolded feature of the nearest latent code.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from inrkit.nn.coords import make_coord
from inrkit.nn.mlp import MLP


class MetaSR(nn.Module):
    """Meta-upscale module on top of an encoder; official call ``model(inp, coord, cell)``."""

    def __init__(self, encoder: nn.Module, hidden: int = 256) -> None:
        super().__init__()
        self.encoder = encoder
        # Every encoder's out_dim is an int (pyright: nn.Module attributes are Tensor | Module).
        code_dim: int = encoder.out_dim  # pyright: ignore[reportAssignmentType]
        self.imnet = MLP(3, code_dim * 9 * 3, [hidden])
        self.feat: torch.Tensor | None = None

    def encode(self, inp: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) normalised image -> (B, C, H, W) latent grid."""
        return self.encoder(inp)

    def query(self, feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        """(B, C, h, w), coords and cells (B, Q, 2) -> (B, Q, 3) normalised RGB."""
        b, c, h, w = feat.shape
        feat = F.unfold(feat, 3, padding=1).view(b, c * 9, h, w)
        # Latent pixels are addressed by their top-left corner here, not their centre.
        feat_coord = make_coord((h, w), flatten=False).to(feat)
        feat_coord[:, :, 0] -= 1 / h
        feat_coord[:, :, 1] -= 1 / w
        feat_coord = feat_coord.permute(2, 0, 1).unsqueeze(0).expand(b, 2, h, w)
        # Likewise each query is moved to its output pixel's top-left corner.
        corner = coord.clone()
        corner[:, :, 0] -= cell[:, :, 0] / 2
        corner[:, :, 1] -= cell[:, :, 1] / 2
        grid = (corner + 1e-6).clamp(-1 + 1e-6, 1 - 1e-6).flip(-1).unsqueeze(1)
        q_feat = F.grid_sample(feat, grid, mode="nearest", align_corners=False)[:, :, 0, :]
        q_coord = F.grid_sample(feat_coord, grid, mode="nearest", align_corners=False)[:, :, 0, :]
        q_feat, q_coord = q_feat.permute(0, 2, 1), q_coord.permute(0, 2, 1)
        rel = corner - q_coord
        rel[:, :, 0] *= h / 2
        rel[:, :, 1] *= w / 2
        r_rev = cell[:, :, 0] * (h / 2)
        n = coord.shape[1]
        weights = self.imnet(torch.cat([rel, r_rev.unsqueeze(-1)], dim=-1).view(b * n, -1))
        pred = torch.bmm(q_feat.contiguous().view(b * n, 1, -1), weights.view(b * n, c * 9, 3))
        return pred.view(b, n, 3)

    def forward(self, inp: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        """Official call: normalised image, coords and cells -> (B, Q, 3)."""
        return self.query(self.encode(inp), coord, cell)

    def gen_feat(self, inp: torch.Tensor) -> torch.Tensor:
        """Encode and remember the latent grid (official API)."""
        self.feat = self.encode(inp)
        return self.feat

    def query_rgb(self, coord: torch.Tensor, cell: torch.Tensor) -> torch.Tensor:
        """Query the remembered latent grid (official API)."""
        if self.feat is None:
            raise RuntimeError("call gen_feat(inp) before query_rgb(coord, cell)")
        return self.query(self.feat, coord, cell)
