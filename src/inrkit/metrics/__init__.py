"""Image quality metrics: PSNR and SSIM with the super-resolution protocols."""

from inrkit.metrics.psnr import calc_psnr, protocol_shave
from inrkit.metrics.ssim import calc_ssim, rgb_to_luma, ssim_map

__all__ = ["calc_psnr", "calc_ssim", "protocol_shave", "rgb_to_luma", "ssim_map"]
