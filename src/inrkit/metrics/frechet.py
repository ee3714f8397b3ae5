"""The Fréchet distance between Gaussians, and FID statistics files (Heusel et al. 2017, Sec. 3).

FID fits a Gaussian to the Inception pool3 features of each image set and measures

    d² = ||mu1 - mu2||² + tr(S1) + tr(S2) - 2 tr((S1 S2)^½).

The official code (TTUR, pytorch-fid) takes ``scipy.linalg.sqrtm(S1 @ S2)``, a non-symmetric
matrix whose square root can come out complex or non-finite. We only need its trace, and
``S1 S2`` has the same eigenvalues as the symmetric positive semi-definite
``S1^½ S2 S1^½`` (AB and BA share their non-zero eigenvalues), so

    tr((S1 S2)^½) = Σ sqrt(eig(S1^½ S2 S1^½)),

two symmetric eigendecompositions in float64, eigenvalues clipped at 0 against round-off.
This is exact for singular covariances too (fewer images than feature dimensions) and needs
no SciPy.

Statistics files are ``.npz`` archives with the arrays ``mu`` (D,) and ``sigma`` (D, D), as
pytorch-fid's ``--save-stats`` and TTUR's precomputed statistics write them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from inrkit.errors import file_error
from inrkit.io.files import atomic_write

_EXISTS = "already exists (use --overwrite)"
MIN_IMAGES = 2
"""Fewest images per set for FID (and KID): a covariance needs two samples."""


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), in float64.

    The covariance is the unbiased one (divided by N - 1), as ``np.cov(rowvar=False)`` in the
    official code; one sample gives a zero covariance instead of NaN.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"expected features (N, D) with N >= 1, got shape {x.shape}")
    mu = x.mean(axis=0)
    if x.shape[0] == 1:
        return mu, np.zeros((x.shape[1], x.shape[1]))
    centred = x - mu
    return mu, centred.T @ centred / (x.shape[0] - 1)


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """Symmetric square root of a symmetric PSD matrix (negative round-off eigenvalues -> 0)."""
    values, vectors = np.linalg.eigh(sigma)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray) -> float:
    """tr((S1 S2)^½) for symmetric PSD S1, S2, via the symmetric S1^½ S2 S1^½."""
    root1 = _psd_sqrt(sigma1)
    middle = root1 @ sigma2 @ root1
    middle = (middle + middle.T) / 2  # symmetric up to round-off; eigvalsh reads one triangle
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(middle), 0, None)).sum())


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray
) -> float:
    """Squared Fréchet (2-Wasserstein) distance between N(mu1, sigma1) and N(mu2, sigma2).

    Args:
        mu1, mu2: Means (D,).
        sigma1, sigma2: Covariances (D, D), symmetric positive semi-definite.

    Returns:
        d² >= 0 (tiny negative round-off is clipped); FID when the inputs are Inception stats.
    """
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.asarray(sigma1, np.float64), np.asarray(sigma2, np.float64)
    d = mu1.shape[0] if mu1.ndim == 1 else -1
    for name, shape, want in (
        ("mu1", mu1.shape, (d,)),
        ("mu2", mu2.shape, (d,)),
        ("sigma1", s1.shape, (d, d)),
        ("sigma2", s2.shape, (d, d)),
    ):
        if shape != want:
            raise ValueError(f"{name} has shape {shape}, expected {want} (mu1 is {mu1.shape})")
    diff = mu1 - mu2
    value = diff @ diff + np.trace(s1) + np.trace(s2) - 2 * trace_sqrt_product(s1, s2)
    return max(float(value), 0.0)


def frechet_distance_to_features(features: np.ndarray, mu: np.ndarray, sigma: np.ndarray) -> float:
    """:func:`frechet_distance` between the Gaussian of features (N, D) and N(mu, sigma).

    With fewer samples than dimensions (N - 1 < D) the features' covariance is ``BᵀB`` with
    B the centred features / sqrt(N - 1), and ``BᵀB·sigma`` has the non-zero eigenvalues of
    the small ``B·sigma·Bᵀ`` (N, N): one N x N eigendecomposition replaces two D x D ones.
    """
    x = np.asarray(features, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"expected features (N, D) with N >= 1, got shape {x.shape}")
    n, d = x.shape
    if n - 1 >= d:
        return frechet_distance(*gaussian_stats(x), mu, sigma)
    mu, sigma = np.asarray(mu, np.float64), np.asarray(sigma, np.float64)
    if mu.shape != (d,) or sigma.shape != (d, d):
        raise ValueError(f"mu {mu.shape} and sigma {sigma.shape} do not fit {d}-d features")
    mean = x.mean(axis=0)
    b = (x - mean) / np.sqrt(max(n - 1, 1))  # (N, D); the covariance is b.T @ b
    small = b @ sigma @ b.T
    small = (small + small.T) / 2
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh(small), 0, None)).sum()
    diff = mean - mu
    value = diff @ diff + (b * b).sum() + np.trace(sigma) - 2 * trace_sqrt
    return max(float(value), 0.0)


# ----- statistics files ---------------------------------------------------------------------
def save_stats(
    path: str | Path, mu: np.ndarray, sigma: np.ndarray, *, overwrite: bool = False
) -> Path:
    """Write ``mu``/``sigma`` as a compressed ``.npz`` (pytorch-fid's format), atomically.

    Raises:
        InrkitError: the file exists and ``overwrite`` is off, or it cannot be written.
    """
    path = Path(path)

    def write(tmp: Path) -> None:
        # A file object: np.savez would append ".npz" to a temporary name without it.
        with open(tmp, "wb") as f:
            np.savez_compressed(f, mu=np.asarray(mu), sigma=np.asarray(sigma))

    return atomic_write(
        path,
        write,
        overwrite=overwrite,
        exists_message=_EXISTS,
        make_folders=True,
        os_error="cannot write statistics",
    )


def load_stats(path: str | Path, dim: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(mu, sigma)`` in float64 from an ``.npz`` with the arrays ``mu`` and ``sigma``.

    Args:
        path: The statistics file (pickled objects are refused).
        dim: The feature size they must have (2048 for FID), when known.

    Raises:
        InrkitError: one line naming the file: missing, not an npz, keys or shapes wrong,
            NaN or infinite values.
    """
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "no such statistics file")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise file_error(path, "not an .npz archive (a single .npy array)")
            missing = [k for k in ("mu", "sigma") if k not in data.files]
            if missing:
                keys = ", ".join(data.files) or "none"
                raise file_error(
                    path, f"not FID statistics: no {' or '.join(missing)} (keys: {keys})"
                )
            mu, sigma = data["mu"].astype(np.float64), data["sigma"].astype(np.float64)
    except (OSError, ValueError, EOFError) as e:
        raise file_error(path, f"not a readable .npz archive ({e})") from None
    d = mu.shape[0] if mu.ndim == 1 else None
    if d is None or sigma.shape != (d, d):
        raise file_error(
            path, f"mu {mu.shape} and sigma {sigma.shape} are not shaped (D,) and (D, D)"
        )
    if not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        raise file_error(path, "mu or sigma has NaN or infinite values")
    if dim is not None and d != dim:
        raise file_error(path, f"statistics of {d}-d features, expected {dim}-d")
    return mu, sigma
