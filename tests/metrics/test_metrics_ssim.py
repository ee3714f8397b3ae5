"""SSIM (Y channel, 11x11 Gaussian σ = 1.5, valid windows) against scikit-image."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from inrkit.metrics import calc_ssim, rgb_to_luma, ssim_map
from inrkit.metrics.ssim import gaussian_window

skimage_metrics = pytest.importorskip("skimage.metrics")


def _pair(h: int = 48, w: int = 40, noise: float = 0.08) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(1)
    # smooth content plus noise: SSIM far from 0 and from 1
    base = torch.nn.functional.interpolate(
        torch.rand(1, 3, h // 4, w // 4, generator=gen), size=(h, w), mode="bilinear"
    )
    sr = (base + noise * torch.randn(base.shape, generator=gen)).clamp(0, 1)
    return sr, base


def _skimage_ssim(sr: torch.Tensor, hr: torch.Tensor, shave: int, scale255: bool) -> float:
    """Reference on the same luma images (MATLAB rgb2ycbcr Y, shaved)."""
    a, b = (rgb_to_luma(x.double())[0, 0].numpy() for x in (sr, hr))
    if shave:
        a, b = a[shave:-shave, shave:-shave], b[shave:-shave, shave:-shave]
    k = 255.0 if scale255 else 1.0
    return skimage_metrics.structural_similarity(
        a * k,
        b * k,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        data_range=k,
    )


@pytest.mark.parametrize(
    ("dataset", "scale", "shave"),
    [(None, 1, 0), ("benchmark", 2, 2), ("benchmark", 3, 3), ("benchmark", 4, 4), ("div2k", 4, 10)],
)
@pytest.mark.parametrize("scale255", [False, True])
def test_ssim_matches_skimage(dataset, scale, shave, scale255):
    sr, hr = _pair()
    ours = calc_ssim(sr, hr, dataset=dataset, scale=scale).item()
    assert 0.2 < ours < 0.99
    assert ours == pytest.approx(_skimage_ssim(sr, hr, shave, scale255), abs=1e-4)


def test_ssim_on_0_255_images_with_rgb_range():
    sr, hr = _pair()
    a = calc_ssim(sr, hr, "benchmark", 2).item()
    assert calc_ssim(sr * 255, hr * 255, "benchmark", 2, rgb_range=255).item() == pytest.approx(a)


def test_luma_is_matlab_rgb2ycbcr():
    rgb = torch.tensor([0.0, 1.0]).view(2, 1, 1, 1).expand(2, 3, 1, 1)
    y = rgb_to_luma(rgb.double()).flatten() * 255
    # black -> 16, white -> 16 + (65.738 + 129.057 + 25.064) * 255 / 256 = 235.0
    assert y.tolist() == pytest.approx([16.0, 235.0], abs=0.02)


def test_identical_images_give_one():
    sr, hr = _pair()
    assert calc_ssim(hr, hr.clone(), "benchmark", 4).item() == pytest.approx(1.0, abs=1e-12)


def test_ssim_is_symmetric_and_drops_with_noise():
    sr, hr = _pair()
    assert calc_ssim(sr, hr).item() == pytest.approx(calc_ssim(hr, sr).item(), abs=1e-12)
    worse, _ = _pair(noise=0.2)
    assert calc_ssim(worse, hr).item() < calc_ssim(sr, hr).item()


def test_ssim_of_a_batch_is_the_mean_of_its_images():
    a, b = _pair()
    c, d = _pair(noise=0.2)
    batch = calc_ssim(torch.cat([a, c]), torch.cat([b, d])).item()
    assert batch == pytest.approx((calc_ssim(a, b).item() + calc_ssim(c, d).item()) / 2)


def test_window_is_the_11x11_gaussian():
    g = gaussian_window()
    assert g.shape == (11,) and g.sum().item() == pytest.approx(1.0)
    window = torch.outer(g, g)  # MATLAB fspecial('gaussian', 11, 1.5)
    x = torch.arange(11, dtype=torch.float64) - 5
    ref = torch.exp(-(x[:, None] ** 2 + x[None] ** 2) / (2 * 1.5**2))
    assert torch.allclose(window, ref / ref.sum())


def test_map_is_valid_windows_only():
    x = torch.rand(2, 1, 30, 25, dtype=torch.float64)
    assert ssim_map(x, x).shape == (2, 1, 20, 15)
    with pytest.raises(ValueError, match="smaller than the 11x11"):
        calc_ssim(torch.rand(1, 3, 20, 20), torch.rand(1, 3, 20, 20), "div2k", 2)  # 20-16 = 4


def test_ssim_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="expected two"):
        calc_ssim(torch.rand(1, 3, 20, 20), torch.rand(1, 3, 20, 21))
    assert np.isfinite(calc_ssim(torch.zeros(1, 3, 11, 11), torch.zeros(1, 3, 11, 11)).item())
