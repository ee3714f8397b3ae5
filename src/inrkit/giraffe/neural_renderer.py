"""The 2D neural renderer: feature image (16 x 16) to RGB image (GIRAFFE Sec. 3.4, Fig. 4).

Each block doubles the resolution (nearest-neighbour for features), convolves and halves the
channels; with RGB skips, every block also predicts RGB, which is added to the upsampled
(bilinear plus a [1 2 1] blur) RGB of the previous block, so the output stays close to a smooth
upsampling of the feature image's first channels (the paper's argument for multi-view
consistency). Parameter names match the official ``NeuralRenderer``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from inrkit.nn.precision import autocast


class Blur(nn.Module):
    """Separable [1 2 1] / 4 blur with reflected borders (as kornia's ``filter2D``, normalised).

    The taps live in the buffer ``f`` because the official module stores them there.
    """

    f: torch.Tensor  # a buffer: register_buffer gives its type to no checker

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("f", torch.tensor([1.0, 2.0, 1.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, H, W) -> (B, C, H, W)."""
        kernel = self.f[None, :] * self.f[:, None]
        kernel = kernel / kernel.abs().sum()
        channels = x.shape[1]
        weight = kernel.to(x.dtype).expand(channels, 1, 3, 3)
        return F.conv2d(F.pad(x, (1, 1, 1, 1), mode="reflect"), weight, groups=channels)


def _upsampler(kind: str) -> nn.Module:
    if kind == "nn":
        return nn.Upsample(scale_factor=2.0)
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), Blur())


class NeuralRenderer(nn.Module):
    """Upsample a feature image to an image of ``img_size`` pixels.

    Built from a :class:`~inrkit.giraffe.config.NeuralRendererConfig` by
    :func:`inrkit.giraffe.build.neural_renderer`; the arguments are its fields (see there).

    Args:
        img_size: Output size; the input is img_size / 2^(log2(img_size) - 4) = 16 pixels.
        n_feat / min_feat: Channels of the first convolution (halved per upsampling) / fewest.
        input_dim / out_dim: Channels of the feature image / of the output.
        final_actvn: Sigmoid on the output.
        use_rgb_skip: Sum RGB predictions from every resolution (Fig. 4).
        upsample_feat / upsample_rgb: "nn" or "bilinear" (bilinear plus a blur).
        use_norm: Instance normalisation after each convolution.
    """

    def __init__(
        self,
        img_size: int,
        *,
        n_feat: int = 128,
        input_dim: int = 128,
        out_dim: int = 3,
        final_actvn: bool = True,
        min_feat: int = 32,
        use_rgb_skip: bool = True,
        upsample_feat: str = "nn",
        upsample_rgb: str = "bilinear",
        use_norm: bool = False,
    ) -> None:
        super().__init__()
        self.final_actvn, self.use_rgb_skip, self.use_norm = final_actvn, use_rgb_skip, use_norm
        n_blocks = int(math.log2(img_size) - 4)
        self.upsample_2 = _upsampler(upsample_feat)
        self.upsample_rgb = _upsampler(upsample_rgb)
        if input_dim != n_feat:
            self.conv_in = nn.Conv2d(input_dim, n_feat, 1, 1, 0)

        def width(i: int) -> int:  # channels after block i
            return max(n_feat // (2 ** (i + 1)), min_feat)

        self.conv_layers = nn.ModuleList(
            [nn.Conv2d(n_feat, n_feat // 2, 3, 1, 1)]
            + [nn.Conv2d(width(i), width(i + 1), 3, 1, 1) for i in range(n_blocks - 1)]
        )
        if use_rgb_skip:
            self.conv_rgb = nn.ModuleList(
                [nn.Conv2d(input_dim, out_dim, 3, 1, 1)]
                + [nn.Conv2d(width(i), out_dim, 3, 1, 1) for i in range(n_blocks)]
            )
        else:
            # Official quirk: this 3-argument call means kernel size 1 and 3 output channels.
            self.conv_rgb = nn.Conv2d(max(n_feat // (2**n_blocks), min_feat), 3, 1, 1)
        if use_norm:
            self.norms = nn.ModuleList([nn.InstanceNorm2d(width(i)) for i in range(n_blocks)])

    def forward(self, x: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Feature image (B, input_dim, 16, 16) -> image (B, out_dim, img_size, img_size).

        ``dtype`` bfloat16 runs the feature path's convolutions in bf16 (channels-last); the
        RGB path, a sum over the blocks, stays fp32.
        """
        net = self.conv_in(x) if hasattr(self, "conv_in") else x
        # conv_rgb is a ModuleList with use_rgb_skip (pyright sees ModuleList | Conv2d).
        rgb = self.upsample_rgb(self.conv_rgb[0](x)) if self.use_rgb_skip else None  # pyright: ignore[reportIndexIssue]
        if dtype != torch.float32:
            net = net.to(dtype, memory_format=torch.channels_last)
        for idx, layer in enumerate(self.conv_layers):
            with autocast(dtype, net.device):
                hid = layer(self.upsample_2(net))
            if self.use_norm:
                hid = self.norms[idx](hid)
            net = F.leaky_relu(hid, 0.2)
            if rgb is not None:
                rgb = rgb + self.conv_rgb[idx + 1](net.float())  # pyright: ignore[reportIndexIssue]  # as above
                if idx < len(self.conv_layers) - 1:
                    rgb = self.upsample_rgb(rgb)
        if rgb is None:
            rgb = self.conv_rgb(net.float())
        return torch.sigmoid(rgb) if self.final_actvn else rgb
