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


class BoundingBoxGenerator(nn.Module):
    """Scales (B, K, 3), translations (B, K, 3) and rotations (B, K, 3, 3) of K boxes.

    Built from a :class:`~inrkit.giraffe.config.BoxConfig` by
    :func:`inrkit.giraffe.build.box_generator`; the arguments are its fields (see there).

    Args:
        n_boxes: Objects in a scene.
        scale_range_min / scale_range_max: Smallest / largest half-extent along x, y, z.
        translation_range_min / translation_range_max: Smallest / largest box centre.
        z_level_plane: Height of the ground plane when ``object_on_plane``.
        rotation_range: Rotation about the up axis as a fraction of a full turn.
        check_collision / collision_padding: Resample overlapping boxes, with this padding.
        fix_scale_ratio: One random number scales all three axes.
        object_on_plane: Put every box centre on the plane z = ``z_level_plane``.
        prior: Optional table of box centres (P, K, 3) to draw from (Clevr's official prior).
    """

    def __init__(
        self,
        n_boxes: int = 1,
        *,
        scale_range_min: Sequence[float] = (0.5, 0.5, 0.5),
        scale_range_max: Sequence[float] = (0.5, 0.5, 0.5),
        translation_range_min: Sequence[float] = (-0.75, -0.75, 0.0),
        translation_range_max: Sequence[float] = (0.75, 0.75, 0.0),
        z_level_plane: float = 0.0,
        rotation_range: Sequence[float] = (0.0, 1.0),
        check_collision: bool = False,
        collision_padding: float = 0.1,
        fix_scale_ratio: bool = True,
        object_on_plane: bool = False,
        prior: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.n_boxes = n_boxes
        self.scale_range_min, self.scale_range_max = tuple(scale_range_min), tuple(scale_range_max)
        self.translation_range_min = tuple(translation_range_min)
        self.translation_range_max = tuple(translation_range_max)
        self.z_level_plane, self.object_on_plane = z_level_plane, object_on_plane
        self.rotation_range = list(rotation_range)
        self.check_collision, self.collision_padding = check_collision, collision_padding
        self.fix_scale_ratio = fix_scale_ratio
        self.prior = prior

    def _ranges(self) -> tuple[torch.Tensor, ...]:
        """(scale min, scale range, translation min, translation range), each (1, 1, 3)."""
        s_min, s_max = torch.tensor(self.scale_range_min), torch.tensor(self.scale_range_max)
        t_min = torch.tensor(self.translation_range_min)
        t_max = torch.tensor(self.translation_range_max)
        return tuple(x.reshape(1, 1, 3) for x in (s_min, s_max - s_min, t_min, t_max - t_min))

    def get_scale(
        self, batch_size: int = 32, val: Sequence[Sequence[float]] = ((0.5, 0.5, 0.5),)
    ) -> torch.Tensor:
        """Scales for one slider triple per box; with a fixed ratio only the first counts."""
        s_min, s_range, _, _ = self._ranges()
        v = torch.tensor(val, dtype=torch.float32).reshape(1, len(val), -1)
        if self.fix_scale_ratio:
            v = v[..., :1]
        return (s_min + v * s_range).repeat(batch_size, 1, 1)

    def get_translation(
        self, batch_size: int = 32, val: Sequence[Sequence[float]] = ((0.5, 0.5, 0.5),)
    ) -> torch.Tensor:
        """Translations for one slider triple per box (z pinned to the plane if configured)."""
        _, _, t_min, t_range = self._ranges()
        v = torch.tensor(val, dtype=torch.float32).reshape(1, len(val), 3)
        t = (t_min + v * t_range).repeat(batch_size, 1, 1)
        if self.object_on_plane:
            t[..., -1] = self.z_level_plane
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
                d_s = (s[:, i] + s[:, j]).abs() + self.collision_padding
                free &= (d_t >= d_s).any(-1)
        return free

    def get_random_offset(self, batch_size: int) -> tuple[torch.Tensor, ...]:
        """Random (s, t, R) with R flattened to (B, K, 9), as the official helper returns."""
        k = self.n_boxes
        s_min, s_range, t_min, t_range = self._ranges()
        s = s_min + torch.rand(batch_size, k, 1 if self.fix_scale_ratio else 3) * s_range
        if self.prior is not None:
            t = self.prior[np.random.randint(self.prior.shape[0], size=batch_size)]
        else:
            t = t_min + torch.rand(batch_size, k, 3) * t_range
            if self.check_collision:
                free = self.check_for_collision(s, t)
                while not bool(torch.all(free)):
                    t_new = t_min + torch.rand(batch_size, k, 3) * t_range
                    t[~free] = t_new[~free]
                    free = self.check_for_collision(s, t)
            if self.object_on_plane:
                t[..., -1] = self.z_level_plane
        # One NumPy draw per box, in the official order.
        turns = [slider(np.random.rand(), self.rotation_range) for _ in range(batch_size * k)]
        R = torch.cat([rotation_z(a) for a in turns]).reshape(batch_size, k, -1)
        return s, t, R

    def forward(self, batch_size: int = 32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Random poses for ``batch_size`` scenes."""
        s, t, R = self.get_random_offset(batch_size)
        return s, t, R.reshape(batch_size, self.n_boxes, 3, 3)
