"""Sliced Wasserstein distance on Laplacian-pyramid patches (Karras et al. 2018, "Progressive
Growing of GANs", Sec. 5 and App. D): a sample-quality metric that needs no trained network.

Each image set is described by local patches at several scales, and the two patch
distributions are compared with the sliced Wasserstein distance, as the official
``metrics/sliced_wasserstein.py``:

1. **Pyramid**: a Laplacian pyramid with the 5x5 binomial filter ``[1 4 6 4 1]²/256`` and
   mirrored borders (OpenCV's ``pyrDown``/``pyrUp``), one level per resolution from the image
   size down to 16 px (64 px images: 64, 32, 16; the coarsest level keeps the low-pass image).
2. **Patches**: ``patches_per_image`` = 128 random 7x7 neighbourhoods (all channels) per image
   and level, lying fully inside the level.
3. **Normalisation**: per set and level, each channel is shifted and scaled to zero mean and
   unit variance over all of that set's patches, so SWD compares local structure and contrast,
   not the global colour (which the normalisation removes, as in the original).
4. **Slicing**: ``n_repeats`` = 4 times, ``dirs_per_repeat`` = 128 random unit directions in the
   7·7·C patch space; both sets are projected, each projection sorted (the 1-D optimal
   transport), and the mean absolute difference of the sorted projections is the distance.
5. **Scale**: the per-level distances are multiplied by 10³ (as reported in the paper), and
   their mean is the headline number.

Both sets must hold the same number of images (sorted projections are compared rank by rank).
Identical sets give about 0 (only patch sampling noise); blur, noise or wrong structure raise it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

PATCH_SIZE = 7
PATCHES_PER_IMAGE = 128
N_REPEATS = 4
DIRS_PER_REPEAT = 128
MIN_RESOLUTION = 16
_CHUNK = 64  # images per pyramid call, to bound memory at high resolutions


@dataclass(frozen=True)
class SwdResult:
    """SWD ×10³ per pyramid level (finest first), their resolutions, and their mean."""

    levels: tuple[float, ...]
    resolutions: tuple[int, ...]
    mean: float


def _binomial_filter(channels: int, dtype: torch.dtype) -> torch.Tensor:
    """The 5x5 binomial filter [1 4 6 4 1]ᵀ[1 4 6 4 1] / 256, one per channel: (C, 1, 5, 5)."""
    taps = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=dtype)
    kernel = torch.outer(taps, taps) / 256
    return kernel.expand(channels, 1, 5, 5)


def _blur(x: torch.Tensor, gain: float = 1.0) -> torch.Tensor:
    """Binomial filtering of (N, C, H, W) with mirrored borders (scipy ``mode='mirror'``)."""
    kernel = _binomial_filter(x.shape[1], x.dtype) * gain
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode="reflect"), kernel, groups=x.shape[1])


def pyr_down(x: torch.Tensor) -> torch.Tensor:
    """Blur and keep every second pixel: (N, C, H, W) -> (N, C, ceil(H/2), ceil(W/2))."""
    return _blur(x)[..., ::2, ::2]


def pyr_up(x: torch.Tensor) -> torch.Tensor:
    """Insert zeros between pixels and blur with gain 4: (N, C, H, W) -> (N, C, 2H, 2W)."""
    n, c, h, w = x.shape
    up = x.new_zeros(n, c, 2 * h, 2 * w)
    up[..., ::2, ::2] = x
    return _blur(up, gain=4.0)


def laplacian_pyramid(images: torch.Tensor, n_levels: int) -> list[torch.Tensor]:
    """Band-pass levels of (N, C, H, W), finest first; the last is the low-pass remainder."""
    levels = [images.float()]
    for _ in range(1, n_levels):
        levels.append(pyr_down(levels[-1]))
        up = pyr_up(levels[-1])
        levels[-2] = levels[-2] - up[..., : levels[-2].shape[-2], : levels[-2].shape[-1]]
    return levels


def pyramid_resolutions(size: int, min_resolution: int = MIN_RESOLUTION) -> list[int]:
    """The levels' sizes: ``size``, ``size // 2``, ... while at least ``min_resolution``."""
    out = []
    while size >= min_resolution:
        out.append(size)
        size //= 2
    return out


def random_patches(
    level: torch.Tensor, per_image: int, size: int, generator: torch.Generator
) -> torch.Tensor:
    """``per_image`` random size x size patches of each image of (N, C, H, W): (N·P, C, s, s)."""
    n, c, h, w = level.shape
    r = size // 2
    # Centres r .. H-r-1, so that the whole patch lies inside (as the official randint(H, S-H)).
    ys = torch.randint(r, h - r, (n, per_image, 1, 1), generator=generator)
    xs = torch.randint(r, w - r, (n, per_image, 1, 1), generator=generator)
    offsets = torch.arange(-r, r + 1)
    rows = ys + offsets.view(1, 1, -1, 1)  # (N, P, s, 1)
    cols = xs + offsets.view(1, 1, 1, -1)  # (N, P, 1, s)
    image = torch.arange(n).view(n, 1, 1, 1)
    patches = level.permute(0, 2, 3, 1)[image, rows, cols]  # (N, P, s, s, C)
    return patches.permute(0, 1, 4, 2, 3).reshape(n * per_image, c, size, size)


def _normalise(patches: torch.Tensor) -> torch.Tensor:
    """Zero mean, unit variance per channel over all patches and pixels; flattened (M, C·s·s)."""
    mean = patches.mean(dim=(0, 2, 3), keepdim=True)
    std = patches.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
    # A flat level (a constant image set) has std 0; leave it at 0 instead of NaN.
    return ((patches - mean) / std.clamp_min(1e-8)).flatten(1)


def sliced_wasserstein(
    a: torch.Tensor, b: torch.Tensor, n_repeats: int, dirs_per_repeat: int, generator
) -> float:
    """Mean |sorted(a·d) - sorted(b·d)| over random unit directions d; a, b (M, D)."""
    results = []
    for _ in range(n_repeats):
        dirs = torch.randn(a.shape[1], dirs_per_repeat, generator=generator)
        dirs = dirs / dirs.norm(dim=0, keepdim=True)
        proj_a = torch.sort(a @ dirs, dim=0).values
        proj_b = torch.sort(b @ dirs, dim=0).values
        results.append((proj_a - proj_b).abs().mean())
    return float(torch.stack(results).mean())


def _descriptors(
    images: torch.Tensor, n_levels: int, per_image: int, size: int, generator: torch.Generator
) -> list[torch.Tensor]:
    """Normalised patch descriptors of every level for one image set: n_levels x (M, D)."""
    per_level: list[list[torch.Tensor]] = [[] for _ in range(n_levels)]
    for start in range(0, images.shape[0], _CHUNK):
        pyramid = laplacian_pyramid(images[start : start + _CHUNK], n_levels)
        for i, level in enumerate(pyramid):
            per_level[i].append(random_patches(level, per_image, size, generator))
    return [_normalise(torch.cat(chunks)) for chunks in per_level]


@torch.no_grad()
def sliced_wasserstein_distance(
    images1: torch.Tensor,
    images2: torch.Tensor,
    *,
    patch_size: int = PATCH_SIZE,
    patches_per_image: int = PATCHES_PER_IMAGE,
    n_repeats: int = N_REPEATS,
    dirs_per_repeat: int = DIRS_PER_REPEAT,
    min_resolution: int = MIN_RESOLUTION,
    seed: int = 0,
) -> SwdResult:
    """SWD between two image sets (N, C, H, W) of equal count and size (any value range).

    Args:
        patch_size: Side of the patches (odd).
        patches_per_image: Patches drawn per image and level.
        n_repeats / dirs_per_repeat: Random directions, drawn in ``n_repeats`` batches.
        min_resolution: The coarsest pyramid level; images must be at least this size.
        seed: Seed of the patch positions and directions; the same seed, the same number.

    Returns:
        Per-level SWD ×10³ (finest first) and their mean.

    Raises:
        ValueError: different shapes, fewer than 1 image, or images below ``min_resolution``.
    """
    if images1.shape != images2.shape or images1.dim() != 4 or images1.shape[0] < 1:
        raise ValueError(
            "SWD needs two image sets (N, C, H, W) of the same shape, got "
            f"{tuple(images1.shape)} and {tuple(images2.shape)}"
        )
    if patch_size < 1 or patch_size % 2 == 0:
        raise ValueError(f"patch_size must be odd, got {patch_size}")
    resolutions = pyramid_resolutions(min(images1.shape[-2:]), min_resolution)
    if not resolutions or min_resolution < patch_size:
        raise ValueError(
            f"SWD needs images of at least {max(min_resolution, patch_size)} px, "
            f"got {images1.shape[-2]}x{images1.shape[-1]}"
        )
    generator = torch.Generator().manual_seed(seed)
    n_levels = len(resolutions)
    desc1 = _descriptors(images1.cpu(), n_levels, patches_per_image, patch_size, generator)
    desc2 = _descriptors(images2.cpu(), n_levels, patches_per_image, patch_size, generator)
    levels = tuple(
        1e3 * sliced_wasserstein(a, b, n_repeats, dirs_per_repeat, generator)
        for a, b in zip(desc1, desc2, strict=True)
    )
    return SwdResult(levels=levels, resolutions=tuple(resolutions), mean=sum(levels) / n_levels)
