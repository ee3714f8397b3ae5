"""Image quality metrics: PSNR and SSIM with the super-resolution protocols; FID, KID and SWD
for generated image sets (the Inception network is in :mod:`inrkit.metrics.inception`, its
weights found and loaded by :mod:`~inrkit.metrics.inception_weights`, their archive
read by :mod:`~inrkit.metrics.torchscript_archive` and
:mod:`~inrkit.metrics.inception_torchscript`; two folders compared in
:mod:`~inrkit.metrics.image_sets`)."""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
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

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "frechet_distance": "inrkit.metrics.frechet",
        "gaussian_stats": "inrkit.metrics.frechet",
        "load_stats": "inrkit.metrics.frechet",
        "save_stats": "inrkit.metrics.frechet",
        "kernel_inception_distance": "inrkit.metrics.kid",
        "calc_psnr": "inrkit.metrics.psnr",
        "protocol_shave": "inrkit.metrics.psnr",
        "calc_ssim": "inrkit.metrics.ssim",
        "rgb_to_luma": "inrkit.metrics.ssim",
        "ssim_map": "inrkit.metrics.ssim",
        "sliced_wasserstein_distance": "inrkit.metrics.swd",
    },
)
