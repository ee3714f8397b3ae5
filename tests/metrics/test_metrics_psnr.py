"""PSNR protocols against the official ``calc_psnr`` results in tests/fixtures/liif/psnr.npz."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from inrkit.metrics import calc_psnr, protocol_shave

PSNR_NPZ = Path(__file__).resolve().parents[1] / "fixtures" / "liif" / "psnr.npz"


@pytest.fixture(scope="module")
def ref() -> dict[str, np.ndarray]:
    with np.load(PSNR_NPZ) as data:
        return dict(data)


@pytest.mark.parametrize(
    ("key", "dataset", "scale"),
    [
        ("plain", None, 1),
        ("benchmark_2", "benchmark", 2),
        ("benchmark_3", "benchmark", 3),
        ("benchmark_4", "benchmark", 4),
        ("div2k_4", "div2k", 4),
    ],
)
def test_psnr_protocols_match_the_official(ref, key, dataset, scale):
    sr, hr = torch.from_numpy(ref["sr"]), torch.from_numpy(ref["hr"])
    assert calc_psnr(sr, hr, dataset=dataset, scale=scale).item() == pytest.approx(
        float(ref[key]), abs=1e-4
    )


def test_psnr_protocols_differ_from_each_other(ref):
    """The fixture would not catch a protocol that ignored its arguments otherwise."""
    values = [float(ref[k]) for k in ("plain", "benchmark_2", "benchmark_4", "div2k_4")]
    assert len({round(v, 3) for v in values}) == 4


def test_psnr_of_a_known_error():
    hr = torch.zeros(1, 3, 20, 20)
    sr = hr + 0.1  # MSE 0.01 -> 20 dB
    assert calc_psnr(sr, hr).item() == pytest.approx(20.0, abs=1e-4)
    # 0..255 images with rgb_range=255 give the same number
    assert calc_psnr(sr * 255, hr * 255, rgb_range=255).item() == pytest.approx(20.0, abs=1e-4)


def test_shave_rule_is_the_psnr_rule():
    """calc_ssim shares the shave rule; a border error inside it must not change PSNR."""
    hr = torch.rand(1, 3, 40, 40)
    for dataset, scale in (("benchmark", 3), ("div2k", 2)):
        s = protocol_shave(dataset, scale)
        sr = hr.clone()
        sr[..., :s, :] = 1 - sr[..., :s, :]  # damage only the shaved border
        assert torch.isinf(calc_psnr(sr, hr, dataset=dataset, scale=scale))
        sr[..., s, s] += 0.5  # and the first kept pixel counts
        assert torch.isfinite(calc_psnr(sr, hr, dataset=dataset, scale=scale))
    assert protocol_shave(None, 4) == 0
