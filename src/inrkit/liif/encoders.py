"""CNN encoders that turn an image into LIIF's latent grid (LIIF, Sec. 4.1).

EDSR (Lim et al. 2017), RDN (Zhang et al. 2018) and RCAN (Zhang et al. 2018), with the
official LIIF constructors' names, arguments and defaults, and the parameter names of the
official state dicts. With ``no_upsampling=True`` (every LIIF config) an encoder returns the
feature map at the input resolution; otherwise it is a complete fixed-scale SR network.
Inputs are images normalised as ``(x - 0.5) / 0.5``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import nn

_DIV2K_MEAN = (0.4488, 0.4371, 0.4040)


def _conv(c_in: int, c_out: int, k: int, bias: bool = True) -> nn.Conv2d:
    return nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=bias)


class MeanShift(nn.Conv2d):
    """Frozen 1x1 conv adding or subtracting the DIV2K mean.

    The LIIF encoders keep these layers (they are in every official state dict) but never
    call them, because LIIF normalises its inputs itself.
    """

    def __init__(self, rgb_range: float, sign: int = -1) -> None:
        super().__init__(3, 3, kernel_size=1)
        self.weight.data = torch.eye(3).view(3, 3, 1, 1)
        # Conv2d's bias is typed Optional; it is there (bias=True by default).
        self.bias.data = sign * rgb_range * torch.tensor(_DIV2K_MEAN)  # pyright: ignore[reportOptionalMemberAccess]
        for p in self.parameters():
            p.requires_grad = False


class ResBlock(nn.Module):
    """conv-ReLU-conv with a scaled residual (EDSR's res_scale)."""

    def __init__(self, n_feats: int, res_scale: float = 1.0) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(n_feats, n_feats, 3), nn.ReLU(True), _conv(n_feats, n_feats, 3)
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).mul(self.res_scale) + x


class Upsampler(nn.Sequential):
    """Sub-pixel upsampling by 2^n or 3 (only used when ``no_upsampling=False``)."""

    def __init__(self, scale: int, n_feats: int) -> None:
        layers: list[nn.Module] = []
        if scale & (scale - 1) == 0:
            for _ in range(int(math.log2(scale))):
                layers += [_conv(n_feats, 4 * n_feats, 3), nn.PixelShuffle(2)]
        elif scale == 3:
            layers += [_conv(n_feats, 9 * n_feats, 3), nn.PixelShuffle(3)]
        else:
            raise ValueError(f"upsampling scale must be 2^n or 3, got {scale}")
        super().__init__(*layers)


class _GlobalSkipSR(nn.Module):
    """What EDSR and RCAN share: ``head``, a ``body`` with a global skip, and unless
    ``no_upsampling`` a sub-pixel ``tail`` to RGB. Subclasses build ``head`` and ``body``, then
    call :meth:`_add_tail` last (the official order of parameters and of their initialisation).
    """

    head: nn.Sequential
    body: nn.Sequential
    no_upsampling: bool

    def _add_tail(self, n_feats: int, scale: int, no_upsampling: bool) -> None:
        if no_upsampling:
            self.out_dim = n_feats
        else:
            self.out_dim = 3
            self.tail = nn.Sequential(Upsampler(scale, n_feats), _conv(n_feats, 3, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, out_dim, H, W), or (B, 3, sH, sW) with upsampling."""
        x = self.head(x)
        res = self.body(x) + x
        return res if self.no_upsampling else self.tail(res)


class EDSR(_GlobalSkipSR):
    """EDSR: head conv, residual blocks, a body conv and a global skip."""

    def __init__(
        self,
        n_resblocks: int,
        n_feats: int,
        res_scale: float,
        scale: int = 2,
        no_upsampling: bool = False,
        rgb_range: float = 1,
    ) -> None:
        super().__init__()
        self.no_upsampling = no_upsampling
        self.sub_mean = MeanShift(rgb_range, sign=-1)
        self.add_mean = MeanShift(rgb_range, sign=1)
        self.head = nn.Sequential(_conv(3, n_feats, 3))
        blocks: list[nn.Module] = [ResBlock(n_feats, res_scale) for _ in range(n_resblocks)]
        self.body = nn.Sequential(*blocks, _conv(n_feats, n_feats, 3))
        self._add_tail(n_feats, scale, no_upsampling)


class CALayer(nn.Module):
    """Channel attention: global pooling, squeeze, excite, sigmoid gate."""

    def __init__(self, channels: int, reduction: int) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, channels // reduction, 1),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels // reduction, channels, 1),
            nn.Sigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv_du(self.avg_pool(x))


class RCAB(nn.Module):
    """Residual channel-attention block (the official one ignores res_scale)."""

    def __init__(self, n_feats: int, reduction: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            _conv(n_feats, n_feats, 3),
            nn.ReLU(True),
            _conv(n_feats, n_feats, 3),
            CALayer(n_feats, reduction),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + x


class ResidualGroup(nn.Module):
    """A run of RCABs and a conv, with a skip around the group."""

    def __init__(self, n_feats: int, reduction: int, n_resblocks: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = [RCAB(n_feats, reduction) for _ in range(n_resblocks)]
        self.body = nn.Sequential(*blocks, _conv(n_feats, n_feats, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x) + x


class RCAN(_GlobalSkipSR):
    """RCAN: residual-in-residual groups of channel-attention blocks."""

    def __init__(
        self,
        n_resgroups: int = 10,
        n_resblocks: int = 20,
        n_feats: int = 64,
        reduction: int = 16,
        scale: int = 2,
        no_upsampling: bool = False,
        rgb_range: float = 1,
    ) -> None:
        super().__init__()
        self.no_upsampling = no_upsampling
        self.sub_mean = MeanShift(rgb_range, sign=-1)
        self.head = nn.Sequential(_conv(3, n_feats, 3))
        groups: list[nn.Module] = [
            ResidualGroup(n_feats, reduction, n_resblocks) for _ in range(n_resgroups)
        ]
        self.body = nn.Sequential(*groups, _conv(n_feats, n_feats, 3))
        self.add_mean = MeanShift(rgb_range, sign=1)
        self._add_tail(n_feats, scale, no_upsampling)


class RDBConv(nn.Module):
    """One densely connected conv: its output is appended to its input."""

    def __init__(self, c_in: int, growth: int, k: int = 3) -> None:
        super().__init__()
        self.conv = nn.Sequential(nn.Conv2d(c_in, growth, k, padding=(k - 1) // 2), nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat((x, self.conv(x)), 1)


class RDB(nn.Module):
    """Residual dense block: C dense convs, 1x1 local feature fusion, local skip."""

    def __init__(self, g0: int, growth: int, n_convs: int, k: int = 3) -> None:
        super().__init__()
        self.convs = nn.Sequential(*[RDBConv(g0 + c * growth, growth, k) for c in range(n_convs)])
        self.LFF = nn.Conv2d(g0 + n_convs * growth, g0, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.LFF(self.convs(x)) + x


# RDN's two published configurations: (blocks D, convs per block C, growth G).
RDN_CONFIGS = {"A": (20, 6, 32), "B": (16, 8, 64)}


class RDN(nn.Module):
    """RDN: shallow features, D residual dense blocks, global feature fusion."""

    def __init__(
        self,
        G0: int = 64,  # noqa: N803 (official argument names)
        RDNkSize: int = 3,  # noqa: N803
        RDNconfig: str = "B",  # noqa: N803
        scale: int = 2,
        no_upsampling: bool = False,
    ) -> None:
        super().__init__()
        if RDNconfig not in RDN_CONFIGS:
            raise ValueError(f"RDNconfig must be 'A' or 'B', got {RDNconfig!r}")
        k, (self.D, c, g) = RDNkSize, RDN_CONFIGS[RDNconfig]
        pad = (k - 1) // 2
        self.no_upsampling = no_upsampling
        self.SFENet1 = nn.Conv2d(3, G0, k, padding=pad)
        self.SFENet2 = nn.Conv2d(G0, G0, k, padding=pad)
        self.RDBs = nn.ModuleList([RDB(G0, g, c) for _ in range(self.D)])
        self.GFF = nn.Sequential(nn.Conv2d(self.D * G0, G0, 1), nn.Conv2d(G0, G0, k, padding=pad))
        if no_upsampling:
            self.out_dim = G0
            return
        self.out_dim = 3
        if scale in (2, 3):
            up: list[nn.Module] = [
                nn.Conv2d(G0, g * scale * scale, k, padding=pad),
                nn.PixelShuffle(scale),
            ]
        elif scale == 4:
            up = [
                nn.Conv2d(G0, g * 4, k, padding=pad),
                nn.PixelShuffle(2),
                nn.Conv2d(g, g * 4, k, padding=pad),
                nn.PixelShuffle(2),
            ]
        else:
            raise ValueError(f"RDN upsampling scale must be 2, 3 or 4, got {scale}")
        self.UPNet = nn.Sequential(*up, nn.Conv2d(g, 3, k, padding=pad))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> (B, G0, H, W), or (B, 3, sH, sW) with upsampling."""
        f1 = self.SFENet1(x)
        x = self.SFENet2(f1)
        outs = []
        for block in self.RDBs:
            x = block(x)
            outs.append(x)
        x = self.GFF(torch.cat(outs, 1)) + f1
        return x if self.no_upsampling else self.UPNet(x)


def make_edsr_baseline(
    n_resblocks: int = 16,
    n_feats: int = 64,
    res_scale: float = 1,
    scale: int = 2,
    no_upsampling: bool = False,
    rgb_range: float = 1,
) -> EDSR:
    """EDSR-baseline (16 blocks, 64 features) with the official defaults."""
    return EDSR(n_resblocks, n_feats, res_scale, scale, no_upsampling, rgb_range)


def make_edsr(
    n_resblocks: int = 32,
    n_feats: int = 256,
    res_scale: float = 0.1,
    scale: int = 2,
    no_upsampling: bool = False,
    rgb_range: float = 1,
) -> EDSR:
    """Full EDSR (32 blocks, 256 features, residual scaling 0.1) with the official defaults."""
    return EDSR(n_resblocks, n_feats, res_scale, scale, no_upsampling, rgb_range)


# Official encoder names -> constructors taking the official keyword arguments.
ENCODERS: dict[str, Callable[..., nn.Module]] = {
    "edsr-baseline": make_edsr_baseline,
    "edsr": make_edsr,
    "rdn": RDN,
    "rcan": RCAN,
}
