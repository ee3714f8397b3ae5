"""Image quality metrics: PSNR and SSIM with the super-resolution protocols."""

from inrkit.metrics.psnr import calc_psnr

__all__ = ["calc_psnr"]
