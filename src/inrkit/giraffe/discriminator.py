"""The DCGAN-style discriminator (official ``DCDiscriminator``, "dc"; GIRAFFE Sec. 3.5).

Strided 4x4 convolutions without biases halve the image down to 4 x 4 while the channels grow
to ``n_feat``; a last 4x4 convolution gives one logit per image.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class DCDiscriminator(nn.Module):
    """Image (B, in_dim, S, S) -> logit (B, 1).

    Built from a :class:`~inrkit.giraffe.config.DiscriminatorConfig` by
    :func:`inrkit.giraffe.build.discriminator`.

    Args:
        img_size: Input size S (a power of two, at least 8).
        in_dim: Input channels.
        n_feat: Channels of the last convolution (halved towards the input).
    """

    def __init__(self, img_size: int, *, in_dim: int = 3, n_feat: int = 512) -> None:
        super().__init__()
        self.in_dim = in_dim
        n_layers = int(math.log2(img_size) - 2)

        def width(i: int) -> int:  # channels after layer i
            return int(n_feat / (2 ** (n_layers - 1 - i)))

        self.blocks = nn.ModuleList(
            [nn.Conv2d(in_dim, width(0), 4, 2, 1, bias=False)]
            + [nn.Conv2d(width(i - 1), width(i), 4, 2, 1, bias=False) for i in range(1, n_layers)]
        )
        self.conv_out = nn.Conv2d(n_feat, 1, 4, 1, 0, bias=False)

    def forward(self, x: torch.Tensor, **kwargs: object) -> torch.Tensor:
        """Logits (B, 1); extra input channels beyond ``in_dim`` are ignored (official)."""
        batch = x.shape[0]
        if x.shape[1] != self.in_dim:
            x = x[:, : self.in_dim]
        for layer in self.blocks:
            x = F.leaky_relu(layer(x), 0.2)
        return self.conv_out(x).reshape(batch, 1)
