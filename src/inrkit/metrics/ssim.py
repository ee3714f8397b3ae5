"""SSIM with the convention of the SR literature (Wang et al. 2004; as LIIF's tables, Sec. 4).

The convention (EDSR/RCAN MATLAB scripts, BasicSR ``calculate_ssim(test_y_channel=True)``):

* **Luma with the +16 offset**: ``Y = 16/255 + (65.738 R + 129.057 G + 25.064 B) / 256`` for
  RGB in [0, 1] — MATLAB's ``rgb2ycbcr`` (the same coefficients as :func:`calc_psnr`'s
  ``benchmark`` protocol, scaled to [0, 1]), so Y lies in [16/255, 235/255]. The offset
  cancels in PSNR but not in SSIM, whose luminance term reads the means: without it SSIM
  comes out slightly lower on dark images than the published tables.
* **Data range 1** on [0, 1] luma, which is the same number as data range 255 on 0..255 luma
  (SSIM is invariant to scaling both images and the range together).
* **Border shave** as the PSNR protocol (``scale`` pixels for benchmarks, ``scale + 6`` for
  DIV2K, none for plain), then an 11x11 Gaussian window (σ = 1.5, normalised), K1 = 0.01,
  K2 = 0.03, population (not sample) covariances, and *valid* filtering: only windows that
  lie fully inside the shaved image are averaged — no padding.
* Model outputs are scored as floats (clamped to [0, 1], not quantised to 8 bits), like the
  official PSNR.

This equals ``skimage.metrics.structural_similarity(y1, y2, gaussian_weights=True,
sigma=1.5, use_sample_covariance=False, data_range=1)`` on the same luma images: skimage
pads, but then drops the 5-pixel border of the SSIM map, which leaves exactly the valid windows.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from inrkit.metrics.psnr import luma_sum, protocol_shave, shave_border

WINDOW = 11
SIGMA = 1.5
K1, K2 = 0.01, 0.03


def rgb_to_luma(rgb: torch.Tensor, rgb_range: float = 1) -> torch.Tensor:
    """(B, 3, H, W) RGB in [0, rgb_range] -> (B, 1, H, W) MATLAB luma in [16/255, 235/255]."""
    return luma_sum(rgb / rgb_range, keepdim=True) + 16 / 255


def gaussian_window(size: int = WINDOW, sigma: float = SIGMA, dtype=torch.float64) -> torch.Tensor:
    """Normalised 1-D Gaussian of ``size`` taps (MATLAB ``fspecial`` is its outer product)."""
    x = torch.arange(size, dtype=dtype) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def _filter_valid(x: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Separable 'valid' Gaussian filtering of (N, 1, H, W): output (N, 1, H-10, W-10)."""
    x = F.conv2d(x, g.view(1, 1, -1, 1))  # along rows
    return F.conv2d(x, g.view(1, 1, 1, -1))  # along columns


def ssim_map(x: torch.Tensor, y: torch.Tensor, data_range: float = 1) -> torch.Tensor:
    """SSIM map of (N, 1, H, W) gray images over valid 11x11 windows: (N, 1, H-10, W-10)."""
    if x.shape != y.shape or x.dim() != 4 or x.shape[1] != 1:
        raise ValueError(
            f"expected two (N, 1, H, W) images, got {tuple(x.shape)}, {tuple(y.shape)}"
        )
    if min(x.shape[-2:]) < WINDOW:
        raise ValueError(
            f"images of {x.shape[-2]}x{x.shape[-1]} are smaller than the "
            f"{WINDOW}x{WINDOW} SSIM window (after the border shave)"
        )
    # float64: the variances are small differences of large moments.
    x, y = x.double(), y.double()
    g = gaussian_window(dtype=torch.float64).to(x.device)
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    mu_x, mu_y = _filter_valid(x, g), _filter_valid(y, g)
    var_x = _filter_valid(x * x, g) - mu_x**2
    var_y = _filter_valid(y * y, g) - mu_y**2
    cov = _filter_valid(x * y, g) - mu_x * mu_y
    num = (2 * mu_x * mu_y + c1) * (2 * cov + c2)
    den = (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    return num / den


def calc_ssim(
    sr: torch.Tensor,
    hr: torch.Tensor,
    dataset: str | None = None,
    scale: float = 1,
    rgb_range: float = 1,
) -> torch.Tensor:
    """SSIM of ``sr`` against ``hr`` (B, 3, H, W) in [0, rgb_range], on luma, mean over the batch.

    Args:
        dataset: The PSNR protocol whose border shave applies: None (plain, no shave),
            ``benchmark`` (``scale`` pixels) or ``div2k`` (``scale + 6``). SSIM is always on Y.
        scale: The SR scale (its integer part sets the shave, as in :func:`calc_psnr`).

    Returns:
        A 0-d float64 tensor; 1 for identical images.
    """
    if sr.shape != hr.shape or sr.dim() != 4 or sr.shape[1] != 3:
        raise ValueError(
            f"expected two (B, 3, H, W) images, got {tuple(sr.shape)}, {tuple(hr.shape)}"
        )
    shave = protocol_shave(dataset, scale)
    y_sr, y_hr = rgb_to_luma(sr.double(), rgb_range), rgb_to_luma(hr.double(), rgb_range)
    y_sr, y_hr = shave_border(y_sr, shave), shave_border(y_hr, shave)
    # Equal-size images: the mean over all maps is the mean of the per-image SSIMs.
    return ssim_map(y_sr, y_hr, data_range=1).mean()
