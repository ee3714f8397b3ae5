"""Image quality metrics: PSNR and SSIM with the super-resolution protocols; FID, KID and SWD
for generated image sets (the Inception network is in :mod:`inrkit.metrics.inception`, its
weights read by :mod:`~inrkit.metrics.torchscript_archive` and
:mod:`~inrkit.metrics.inception_torchscript`; two folders compared in
:mod:`~inrkit.metrics.image_sets`)."""

from inrkit.metrics.frechet import frechet_distance, gaussian_stats, load_stats, save_stats
from inrkit.metrics.kid import kernel_inception_distance
from inrkit.metrics.psnr import calc_psnr, protocol_shave
from inrkit.metrics.ssim import calc_ssim, rgb_to_luma, ssim_map
from inrkit.metrics.swd import sliced_wasserstein_distance

__all__ = [
    "calc_psnr",
    "calc_ssim",
    "frechet_distance",
    "gaussian_stats",
    "kernel_inception_distance",
    "load_stats",
    "protocol_shave",
    "rgb_to_luma",
    "save_stats",
    "sliced_wasserstein_distance",
    "ssim_map",
]
