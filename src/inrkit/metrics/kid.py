"""Kernel Inception Distance (Bińkowski et al. 2018, "Demystifying MMD GANs", Sec. 4).

KID is the squared maximum mean discrepancy between two feature sets under the cubic
polynomial kernel ``k(x, y) = (x·y / D + 1)³``, estimated without bias:

    MMD²_u = Σ_{i≠j} k(x_i, x_j) / (m(m-1)) + Σ_{i≠j} k(y_i, y_j) / (m(m-1))
             - 2 Σ_{i,j} k(x_i, y_j) / m²,

on ``n_subsets`` random subsets of ``m`` features from each set (drawn without replacement),
reported as the mean and standard deviation over subsets. Unlike FID the estimator is
unbiased, so small sample counts give usable numbers; it can be slightly negative when the
sets match. The defaults (100 subsets of up to 1000) are those of the authors' code and of
torch-fidelity.
"""

from __future__ import annotations

import numpy as np

N_SUBSETS = 100
SUBSET_SIZE = 1000


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = 3) -> np.ndarray:
    """``(x y^T / D + 1)^degree`` for x (N, D), y (M, D): (N, M)."""
    return (x @ y.T / x.shape[1] + 1) ** degree


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD² of two equally sized feature sets (m, D) under the cubic kernel."""
    m = x.shape[0]
    k_xx, k_yy, k_xy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    # The U-statistic leaves out k(x_i, x_i): the diagonal terms bias the plain average.
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2 * k_xy.sum() / (m * m))


def kernel_inception_distance(
    features1: np.ndarray,
    features2: np.ndarray,
    *,
    n_subsets: int = N_SUBSETS,
    subset_size: int = SUBSET_SIZE,
    seed: int = 0,
) -> tuple[float, float]:
    """KID between feature sets (N1, D) and (N2, D): (mean, std) over random subsets.

    Args:
        subset_size: Features per subset, lowered to the smaller set's size when above it.
        seed: Seed of the subset draws; the same seed gives the same numbers.

    Raises:
        ValueError: fewer than 2 features in a set, or different feature sizes.
    """
    x, y = np.asarray(features1, np.float64), np.asarray(features2, np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"expected features (N1, D) and (N2, D), got {x.shape} and {y.shape}")
    m = min(subset_size, x.shape[0], y.shape[0])
    if m < 2:
        raise ValueError(f"KID needs at least 2 features per set, got {x.shape[0]}, {y.shape[0]}")
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(
            x[rng.choice(x.shape[0], m, replace=False)],
            y[rng.choice(y.shape[0], m, replace=False)],
        )
        for _ in range(n_subsets)
    ]
    return float(np.mean(values)), float(np.std(values))
