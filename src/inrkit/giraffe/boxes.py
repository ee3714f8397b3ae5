"""Object poses: the bounding-box generator (GIRAFFE Sec. 3.2, "Object Representation").

Each object lives in a box given by a scale s (half-extents), a translation t and a rotation R
about the up axis. Slider values in [0, 1] map into the config's ranges exactly as the official
``get_scale`` / ``get_translation`` / ``get_rotation`` do; random poses draw from the same
random streams in the same order (torch for scale and translation, NumPy for rotations), so a
seeded run reproduces the official one.

The module has no weights (its state dict is empty, as the official one's).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from inrkit.giraffe.camera import rotation_z, slider
from inrkit.giraffe.config import BoxConfig


class BoundingBoxGenerator(nn.Module):
    """Scales (B, K, 3), translations (B, K, 3) and rotations (B, K, 3, 3) of K boxes.

    Args:
        cfg: Ranges of the pose parameters.
        prior: Optional table of box centres (P, K, 3) to draw from (Clevr's official prior).
    """

    def __init__(self, cfg: BoxConfig, prior: torch.Tensor | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.n_boxes = cfg.n_boxes
        self.rotation_range = list(cfg.rotation_range)
        self.prior = prior

    def _ranges(self) -> tuple[torch.Tensor, ...]:
        """(scale min, scale range, translation min, translation range), each (1, 1, 3)."""
        c = self.cfg
        s_min, s_max = torch.tensor(c.scale_range_min), torch.tensor(c.scale_range_max)
        t_min, t_max = torch.tensor(c.translation_range_min), torch.tensor(c.translation_range_max)
        return tuple(x.reshape(1, 1, 3) for x in (s_min, s_max - s_min, t_min, t_max - t_min))

    def get_scale(
        self, batch_size: int = 32, val: Sequence[Sequence[float]] = ((0.5, 0.5, 0.5),)
    ) -> torch.Tensor:
        """Scales for one slider triple per box; with a fixed ratio only the first counts."""
        s_min, s_range, _, _ = self._ranges()
        v = torch.tensor(val, dtype=torch.float32).reshape(1, len(val), -1)
        if self.cfg.fix_scale_ratio:
            v = v[..., :1]
        return (s_min + v * s_range).repeat(batch_size, 1, 1)

    def get_translation(
        self, batch_size: int = 32, val: Sequence[Sequence[float]] = ((0.5, 0.5, 0.5),)
    ) -> torch.Tensor:
        """Translations for one slider triple per box (z pinned to the plane if configured)."""
        _, _, t_min, t_range = self._ranges()
        v = torch.tensor(val, dtype=torch.float32).reshape(1, len(val), 3)
        t = (t_min + v * t_range).repeat(batch_size, 1, 1)
        if self.cfg.object_on_plane:
            t[..., -1] = self.cfg.z_level_plane
        return t

    def get_rotation(self, batch_size: int = 32, val: Sequence[float] = (0.0,)) -> torch.Tensor:
        """Rotations about z for one slider value per box, (B, K, 3, 3)."""
        turns = [slider(v, self.rotation_range) for v in val]
        return torch.stack([rotation_z(a, batch_size) for a in turns], dim=1)

    def check_for_collision(self, s: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B,) whether all pairs of boxes are apart along some axis by their sizes + padding.

        The official version stops at three boxes; pairs are checked for any number here.
        """
        free = torch.ones(s.shape[0], dtype=torch.bool, device=s.device)
        for i in range(s.shape[1]):
            for j in range(i + 1, s.shape[1]):
                d_t = (t[:, i] - t[:, j]).abs()
                d_s = (s[:, i] + s[:, j]).abs() + self.cfg.collision_padding
                free &= (d_t >= d_s).any(-1)
        return free

    def get_random_offset(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        """Random (s, t, R) with R flattened to (B, K, 9), as the official helper returns."""
        k = self.n_boxes
        s_min, s_range, t_min, t_range = self._ranges()
        s = s_min + torch.rand(batch_size, k, 1 if self.cfg.fix_scale_ratio else 3) * s_range
        if self.prior is not None:
            t = self.prior[np.random.randint(self.prior.shape[0], size=batch_size)]
        else:
            t = t_min + torch.rand(batch_size, k, 3) * t_range
            if self.cfg.check_collision:
                free = self.check_for_collision(s, t)
                while not bool(torch.all(free)):
                    t_new = t_min + torch.rand(batch_size, k, 3) * t_range
                    t[~free] = t_new[~free]
                    free = self.check_for_collision(s, t)
            if self.cfg.object_on_plane:
                t[..., -1] = self.cfg.z_level_plane
        # One NumPy draw per box, in the official order.
        turns = [slider(np.random.rand(), self.rotation_range) for _ in range(batch_size * k)]
        R = torch.cat([rotation_z(a) for a in turns]).reshape(batch_size, k, -1)
        return s, t, R

    def forward(self, batch_size: int = 32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Random poses for ``batch_size`` scenes."""
        s, t, R = self.get_random_offset(batch_size)
        return s, t, R.reshape(batch_size, self.n_boxes, 3, 3)
