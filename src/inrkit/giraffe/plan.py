"""A render program's frames before rendering (GIRAFFE, Sec. 4.2): the generator inputs of each
distinct frame and the order in which the frames play.

Kept apart from :mod:`inrkit.giraffe.programs` so that the programs of
:mod:`inrkit.giraffe.add_programs` build plans without importing the registry that lists them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

SAMPLE_TMP = 0.65
"""Truncation of the latent codes for renderings (official ``sample_tmp``)."""

Inputs = tuple[
    tuple[torch.Tensor, ...], tuple[torch.Tensor, ...], tuple[torch.Tensor, ...], torch.Tensor
]
"""(latent_codes, camera_matrices, transformations, bg_rotation) of one frame."""


@dataclass(frozen=True)
class Plan:
    """A program's frames before rendering.

    Attributes:
        name: The official program name.
        inputs: Generator inputs of each distinct frame.
        order: Which distinct frame each output frame shows (the add-object programs hold
            each stage for several frames).
        add_reverse: The animation plays forward then backward (a back-and-forth motion).
        loops: The last frame leads back to the first (full turns, circles, interpolations).
    """

    name: str
    inputs: list[Inputs]
    order: list[int]
    add_reverse: bool
    loops: bool

    @property
    def n_frames(self) -> int:
        """T, the frames :func:`inrkit.giraffe.programs.render` returns."""
        return len(self.order)

    def strip_indices(self, n: int = 6) -> list[int]:
        """The frames shown in a paper-style strip of ``n`` (official ``idx_paper``)."""
        # A loop's last frame nearly repeats its first, so stop one n-th short (official).
        last = self.n_frames - self.n_frames // n if self.loops else self.n_frames - 1
        last = min(last, self.n_frames - 1)
        return [int(i) for i in np.linspace(0, last, n).astype(int)]
