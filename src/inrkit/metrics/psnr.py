"""PSNR with the protocols of the SR literature, as LIIF evaluates (LIIF, Sec. 4.2).

* plain: RGB, no border removed (validation during training, CelebAHQ).
* ``benchmark`` (Set5, Set14, B100, Urban100): luma (Y of YCbCr, BT.601 coefficients scaled
  by 1/256) and a border of ``scale`` pixels shaved.
* ``div2k``: RGB with a border of ``scale + 6`` pixels shaved.
"""

from __future__ import annotations

import torch

# BT.601 luma weights for RGB in [0, 1], as in EDSR/LIIF (65.738 / 256, ...).
Y_COEFFS = (65.738, 129.057, 25.064)


def protocol_shave(dataset: str | None, scale: float) -> int:
    """Border pixels that a protocol ignores: none (plain), ``scale`` or ``scale + 6``."""
    if dataset is None:
        return 0
    if dataset == "benchmark":
        return int(scale)
    if dataset == "div2k":
        return int(scale) + 6
    raise ValueError(f"unknown PSNR protocol {dataset!r} (benchmark, div2k or None)")


def luma_sum(rgb: torch.Tensor, keepdim: bool = False) -> torch.Tensor:
    """The BT.601 weighted sum ``(65.738 R + 129.057 G + 25.064 B) / 256`` of (B, 3, H, W):
    luma without the +16 offset, (B, H, W) or with ``keepdim`` (B, 1, H, W)."""
    weights = rgb.new_tensor(Y_COEFFS).view(1, 3, 1, 1) / 256
    return rgb.mul(weights).sum(dim=1, keepdim=keepdim)


def shave_border(x: torch.Tensor, shave: int) -> torch.Tensor:
    """``x`` without ``shave`` pixels on each side of its last two axes (as is for 0)."""
    return x[..., shave:-shave, shave:-shave] if shave > 0 else x


def calc_psnr(
    sr: torch.Tensor,
    hr: torch.Tensor,
    dataset: str | None = None,
    scale: float = 1,
    rgb_range: float = 1,
) -> torch.Tensor:
    """PSNR in dB of ``sr`` against ``hr``, both (B, 3, H, W) in [0, rgb_range].

    The MSE is taken over the whole batch, so a batch gives one number (as the official).
    """
    diff = (sr - hr) / rgb_range
    shave = protocol_shave(dataset, scale)
    if dataset == "benchmark" and diff.size(1) > 1:
        diff = luma_sum(diff)
    return -10 * torch.log10(shave_border(diff, shave).pow(2).mean())
