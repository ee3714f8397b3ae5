"""KID: the unbiased MMD² against a brute-force sum, zero for equal sets, positive for shifts."""

from __future__ import annotations

import numpy as np
import pytest

from inrkit.metrics.kid import kernel_inception_distance, mmd2_unbiased, polynomial_kernel


def brute_force_mmd2(x: np.ndarray, y: np.ndarray) -> float:
    """The U-statistic written out term by term."""
    m, d = x.shape

    def k(a, b):
        return (a @ b / d + 1) ** 3

    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / (m * m)
    return xx + yy - 2 * xy


def test_mmd2_matches_the_written_out_u_statistic() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 5)), rng.normal(size=(6, 5)) + 0.5
    assert mmd2_unbiased(x, y) == pytest.approx(brute_force_mmd2(x, y), rel=1e-12)
    assert polynomial_kernel(x, y).shape == (6, 6)


def test_kid_of_a_set_with_itself_is_about_zero_and_shifts_raise_it() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 16))
    same, same_std = kernel_inception_distance(x, x, n_subsets=20, subset_size=50)
    assert abs(same) < 3 * same_std + 1e-3
    other = rng.normal(size=(200, 16))  # another sample of the same distribution
    assert abs(kernel_inception_distance(x, other, n_subsets=20, subset_size=50)[0]) < 0.05
    small = kernel_inception_distance(x, other + 0.5, n_subsets=20, subset_size=50)[0]
    large = kernel_inception_distance(x, other + 2.0, n_subsets=20, subset_size=50)[0]
    assert 0.05 < small < large


def test_identical_subsets_give_exactly_the_negative_self_term() -> None:
    # Equal sets of equal features: the unbiased estimate is exactly 0.
    x = np.ones((5, 3))
    assert kernel_inception_distance(x, x, n_subsets=3) == (0.0, 0.0)


def test_seeded_and_subset_size_clamped() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(30, 8)), rng.normal(size=(20, 8))
    a = kernel_inception_distance(x, y, seed=3)  # subsets of 20 (the smaller set)
    assert a == kernel_inception_distance(x, y, seed=3)
    assert a != kernel_inception_distance(x, y, seed=4)


@pytest.mark.parametrize(
    ("x", "y"), [(np.zeros((1, 4)), np.zeros((5, 4))), (np.zeros((5, 4)), np.zeros((5, 3)))]
)
def test_bad_inputs_are_value_errors(x, y) -> None:
    with pytest.raises(ValueError):
        kernel_inception_distance(x, y)
