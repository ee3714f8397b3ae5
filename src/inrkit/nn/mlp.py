"""The plain ReLU MLP used as LIIF's decoder (official name ``mlp``)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class MLP(nn.Module):
    """Linear-ReLU stack; parameter names ``layers.{0,2,4,...}`` match the official state dict.

    Args:
        in_dim: Input features.
        out_dim: Output features.
        hidden_list: Width of each hidden layer.
    """

    def __init__(self, in_dim: int, out_dim: int, hidden_list: Sequence[int]) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        last = in_dim
        for hidden in hidden_list:
            layers += [nn.Linear(last, hidden), nn.ReLU()]
            last = hidden
        layers.append(nn.Linear(last, out_dim))
        self.layers = nn.Sequential(*layers)
        self.in_dim, self.out_dim = in_dim, out_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_dim) -> (..., out_dim)."""
        shape = x.shape[:-1]
        return self.layers(x.reshape(-1, x.shape[-1])).view(*shape, -1)
