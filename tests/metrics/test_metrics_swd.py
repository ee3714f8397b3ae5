"""SWD on Laplacian-pyramid patches: the pyramid reconstructs the image, equal sets are close,
blur and noise move the sets apart."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from inrkit.metrics.swd import (
    laplacian_pyramid,
    pyr_down,
    pyr_up,
    pyramid_resolutions,
    random_patches,
    sliced_wasserstein_distance,
)

pytestmark = pytest.mark.usefixtures("one_thread")


def scenes(n: int, size: int = 32, seed: int = 0) -> torch.Tensor:
    """Images with structure at several scales: smooth colour fields plus a bright square."""
    g = torch.Generator().manual_seed(seed)
    coarse = torch.rand(n, 3, 4, 4, generator=g)
    images = F.interpolate(coarse, size=(size, size), mode="bilinear", align_corners=False)
    for i in range(n):
        y, x = torch.randint(0, size - 8, (2,), generator=g).tolist()
        images[i, :, y : y + 8, x : x + 8] = torch.rand(3, 1, 1, generator=g)
    return images


def blur(images: torch.Tensor) -> torch.Tensor:
    kernel = torch.ones(3, 1, 3, 3) / 9
    return F.conv2d(F.pad(images, (1, 1, 1, 1), mode="replicate"), kernel, groups=3)


def test_pyramid_levels_reconstruct_the_image() -> None:
    images = torch.rand(2, 3, 32, 32, dtype=torch.float64)
    levels = laplacian_pyramid(images, 3)
    assert [lv.shape[-1] for lv in levels] == [32, 16, 8]
    recon = levels[-1]
    for band in reversed(levels[:-1]):
        recon = band + pyr_up(recon)
    torch.testing.assert_close(recon, images.float(), rtol=0, atol=1e-5)


def test_pyr_down_keeps_a_constant_image() -> None:
    # The binomial filter sums to 1, and pyr_up's gain 4 makes up for the inserted zeros.
    flat = torch.full((1, 3, 16, 16), 0.25)
    torch.testing.assert_close(pyr_down(flat), torch.full((1, 3, 8, 8), 0.25))
    torch.testing.assert_close(pyr_up(pyr_down(flat)), flat)


def test_resolutions_stop_at_16_px() -> None:
    assert pyramid_resolutions(64) == [64, 32, 16]
    assert pyramid_resolutions(32) == [32, 16]
    assert pyramid_resolutions(15) == []


def test_patches_are_the_pixels_at_their_positions() -> None:
    level = torch.arange(2 * 3 * 10 * 12, dtype=torch.float32).view(2, 3, 10, 12)
    patches = random_patches(level, 5, 7, torch.Generator().manual_seed(0))
    assert patches.shape == (10, 3, 7, 7)
    for k, patch in enumerate(patches):
        # Find the patch in its image: its top-left pixel value names the position.
        img = k // 5
        flat = int(patch[0, 0, 0]) - img * 3 * 120
        y, x = divmod(flat, 12)
        torch.testing.assert_close(patch, level[img, :, y : y + 7, x : x + 7])


def test_identical_sets_are_close_and_perturbations_raise_swd() -> None:
    real = scenes(24)
    same = sliced_wasserstein_distance(real, real.clone(), patches_per_image=64)
    other = sliced_wasserstein_distance(real, scenes(24, seed=1), patches_per_image=64)
    blurred = sliced_wasserstein_distance(real, blur(real), patches_per_image=64)
    g = torch.Generator().manual_seed(5)
    noisy = [
        sliced_wasserstein_distance(
            real,
            real + sigma * torch.randn(real.shape, generator=g),
            patches_per_image=64,
        ).mean
        for sigma in (0.02, 0.1, 0.3)
    ]
    assert same.resolutions == (32, 16) and len(same.levels) == 2
    assert same.mean == pytest.approx(sum(same.levels) / 2)
    assert same.mean < other.mean < blurred.mean
    assert same.mean < noisy[0] < noisy[1] < noisy[2]


def test_seeded_and_bad_shapes() -> None:
    a, b = scenes(4), scenes(4, seed=2)
    assert sliced_wasserstein_distance(a, b, seed=1) == sliced_wasserstein_distance(a, b, seed=1)
    with pytest.raises(ValueError, match="same shape"):
        sliced_wasserstein_distance(a, b[:3])
    with pytest.raises(ValueError, match="at least 16 px"):
        sliced_wasserstein_distance(a[..., :12, :12], b[..., :12, :12])
