"""The Fréchet distance against closed forms and an independent computation; FID stats files."""

from __future__ import annotations

import numpy as np
import pytest

from inrkit.errors import InrkitError
from inrkit.metrics.frechet import (
    frechet_distance,
    frechet_distance_to_features,
    gaussian_stats,
    load_stats,
    save_stats,
)


def random_spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.1 * np.eye(d)


def test_diagonal_covariances_match_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    s1, s2 = rng.uniform(0.1, 3, size=5), rng.uniform(0.1, 3, size=5)
    expected = ((mu1 - mu2) ** 2).sum() + (s1 + s2 - 2 * np.sqrt(s1 * s2)).sum()
    got = frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2))
    assert got == pytest.approx(expected, rel=1e-10)


def test_identical_gaussians_are_at_distance_zero() -> None:
    rng = np.random.default_rng(1)
    mu, sigma = rng.normal(size=8), random_spd(rng, 8)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-9)
    # Singular covariances (fewer samples than dimensions), as with small FID sets.
    mu, sigma = gaussian_stats(rng.normal(size=(4, 64)))
    assert np.linalg.matrix_rank(sigma) == 3
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-7)


def test_random_spd_matches_the_non_symmetric_eigenvalues() -> None:
    # Independently: tr((S1 S2)^½) = Σ sqrt(eig(S1 S2)) from a general (non-symmetric) solver.
    rng = np.random.default_rng(2)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    s1, s2 = random_spd(rng, 6), random_spd(rng, 6)
    eig = np.linalg.eigvals(s1 @ s2)
    assert np.abs(eig.imag).max() < 1e-8 and eig.real.min() > 0
    expected = ((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(eig.real).sum()
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(expected, rel=1e-9)
    # Symmetric in its two arguments.
    assert frechet_distance(mu2, s2, mu1, s1) == pytest.approx(expected, rel=1e-9)


def test_one_dimension_is_the_wasserstein_distance_of_normals() -> None:
    # W2² between N(m1, v1) and N(m2, v2) is (m1 - m2)² + (sqrt(v1) - sqrt(v2))².
    got = frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]]))
    assert got == pytest.approx(9 + 1)


@pytest.mark.parametrize("n", [1, 3, 20])
def test_the_low_rank_path_agrees_with_the_full_computation(n: int) -> None:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(n, 40)) * 0.7 + 0.3
    ref_mu, ref_sigma = gaussian_stats(rng.normal(size=(100, 40)))
    full = frechet_distance(*gaussian_stats(features), ref_mu, ref_sigma)
    fast = frechet_distance_to_features(features, ref_mu, ref_sigma)
    assert fast == pytest.approx(full, rel=1e-6)


def test_gaussian_stats_are_numpy_mean_and_unbiased_covariance() -> None:
    x = np.random.default_rng(4).normal(size=(10, 3))
    mu, sigma = gaussian_stats(x)
    np.testing.assert_allclose(mu, x.mean(axis=0))
    np.testing.assert_allclose(sigma, np.cov(x, rowvar=False))
    assert not gaussian_stats(x[:1])[1].any()  # one sample: zero covariance, not NaN


def test_shape_mismatch_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="sigma2"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(3), np.eye(4))


# ----- .npz statistics ----------------------------------------------------------------------
def test_stats_round_trip_in_the_pytorch_fid_format(tmp_path) -> None:
    rng = np.random.default_rng(5)
    mu, sigma = rng.normal(size=16), random_spd(rng, 16)
    path = save_stats(tmp_path / "ref.npz", mu, sigma)
    with np.load(path) as data:  # what pytorch-fid reads: f["mu"][:], f["sigma"][:]
        assert sorted(data.files) == ["mu", "sigma"]
    mu2, sigma2 = load_stats(path, dim=16)
    np.testing.assert_array_equal(mu2, mu)
    np.testing.assert_array_equal(sigma2, sigma)
    with pytest.raises(InrkitError, match="already exists"):
        save_stats(path, mu, sigma)
    save_stats(path, mu + 1, sigma, overwrite=True)
    assert load_stats(path)[0][0] == mu[0] + 1


def test_stats_written_by_numpy_savez_are_read(tmp_path) -> None:
    # TTUR's precomputed files: np.savez (uncompressed), float32.
    path = tmp_path / "ttur.npz"
    np.savez(path, mu=np.zeros(4, np.float32), sigma=np.eye(4, dtype=np.float32))
    mu, sigma = load_stats(path)
    assert mu.dtype == np.float64 and sigma.shape == (4, 4)


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"mu": np.zeros(3)}, "no sigma"),
        ({"m": np.zeros(3), "s": np.eye(3)}, "no mu or sigma"),
        ({"mu": np.zeros(3), "sigma": np.eye(4)}, "not shaped"),
        ({"mu": np.array([0, np.nan, 0]), "sigma": np.eye(3)}, "NaN"),
        ({"mu": np.zeros(3), "sigma": np.eye(3)}, "3-d features, expected 2048-d"),
        ({"mu": np.array([{"a": 1}], dtype=object), "sigma": np.eye(1)}, "not a readable"),
    ],
)
def test_bad_stats_files_are_one_line_errors(tmp_path, arrays, message) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(InrkitError, match=message) as info:
        load_stats(path, dim=2048)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_not_an_npz_and_missing_files(tmp_path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip archive")
    with pytest.raises(InrkitError, match="not a readable"):
        load_stats(junk)
    with pytest.raises(InrkitError, match="no such statistics file"):
        load_stats(tmp_path / "missing.npz")
