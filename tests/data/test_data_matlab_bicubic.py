"""MATLAB imresize bicubic: hand-derived answers, then every published benchmark LR file."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.data.matlab_bicubic import contributions, cubic, imresize_down, round_to_uint8

# Read in place from the shared folder beside the project (present in CI).
SHARED_BENCHMARK = Path(__file__).resolve().parents[3] / "shared" / "data" / "load" / "benchmark"
SETS = ("Set5", "Set14", "B100")
N_LR_FILES = 357  # (5 + 14 + 100) images x 3 scales

# The x2 kernel: MATLAB's cubic at half the frequency, flattened by 1/2, at taps -3.5 ... 3.5.
X2_TAPS = np.array([-3, -9, 29, 111, 111, 29, -9, -3]) / 256


def test_cubic_kernel_values():
    x = np.array([0, 0.5, 1, 1.5, 2, 2.5, -0.5, -1.5])
    assert np.array_equal(cubic(x), [1, 0.5625, 0, -0.0625, 0, 0, 0.5625, -0.0625])


def test_contributions_x2_replicate_the_edge_pixel():
    weights, indices = contributions(4, 2, 0.5)
    assert np.array_equal(weights, np.stack([X2_TAPS, X2_TAPS]))
    # Taps before the first pixel read the first pixel, past the last the last (not a mirror:
    # only this rebuilds the published files at the borders).
    assert indices.tolist() == [[0, 0, 0, 0, 1, 2, 3, 3], [0, 0, 1, 2, 3, 3, 3, 3]]


def test_halves_round_away_from_zero_after_each_dimension():
    # Along a row [0, 0, 0, 1] the second output is 128/256 = 0.5 exactly.
    row = np.array([[0, 0, 0, 1]] * 4, dtype=np.uint8)
    assert imresize_down(row, 2).tolist() == [[0, 1], [0, 1]]  # round-half-even would give 0
    # One bright corner: the first pass (rows) gives 0.5 -> 1, the second pass 1 -> 1; rounding
    # only at the end (0.5 * 0.5) would give 0.25 -> 0.
    corner = np.zeros((4, 4), np.uint8)
    corner[3, 3] = 1
    assert imresize_down(corner, 2).tolist() == [[0, 0], [0, 1]]
    assert round_to_uint8(np.array([-0.7, 0.49999999999999994, 2.5, 254.5, 300])).tolist() == [
        0,
        0,
        3,
        255,
        255,
    ]


def test_shapes_channels_and_constants():
    img = np.full((9, 7, 3), 77, np.uint8)
    out = imresize_down(img, 3)
    assert out.shape == (3, 3, 3) and out.dtype == np.uint8 and (out == 77).all()
    assert imresize_down(img[..., 0], 4).shape == (3, 2)  # ceil(9/4) x ceil(7/4)
    assert np.array_equal(imresize_down(img, 1), img)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (12, 8, 3), dtype=np.uint8)
    grey = [imresize_down(np.ascontiguousarray(rgb[..., c]), 2) for c in range(3)]
    assert np.array_equal(imresize_down(rgb, 2), np.stack(grey, -1))  # channels independent
    with pytest.raises(ValueError):
        imresize_down(img.astype(np.float32), 2)
    with pytest.raises(ValueError):
        imresize_down(img, 0)


def _lr_files() -> list[tuple[Path, Path, int]]:
    """(LR file, its HR file, scale) for every LR file of the shared benchmarks."""
    if not SHARED_BENCHMARK.is_dir():
        pytest.skip(f"the benchmark data live in {SHARED_BENCHMARK}, not beside this checkout")
    pairs = []
    for name in SETS:
        for scale in (2, 3, 4):
            for lr in sorted((SHARED_BENCHMARK / name / "LR_bicubic" / f"X{scale}").iterdir()):
                stem = lr.name.removesuffix(f"x{scale}.png")
                pairs.append((lr, SHARED_BENCHMARK / name / "HR" / f"{stem}.png", scale))
    return pairs


def test_rebuilds_every_published_lr_file_bit_for_bit():
    """Set5, Set14 (bridge is grey), B100 at x2, x3, x4: about 4 s on one core."""
    start = time.perf_counter()
    pairs = _lr_files()
    assert len(pairs) == N_LR_FILES
    hr_cache: dict[Path, np.ndarray] = {}
    wrong = []
    for lr_path, hr_path, scale in pairs:
        if hr_path not in hr_cache:
            hr_cache[hr_path] = np.asarray(Image.open(hr_path))
        hr = hr_cache[hr_path]
        h, w = hr.shape[:2]
        ours = imresize_down(hr[: h - h % scale, : w - w % scale], scale)
        with Image.open(lr_path) as img:
            theirs = np.asarray(img)
        if ours.shape != theirs.shape or not np.array_equal(ours, theirs):
            wrong.append(os.path.relpath(lr_path, SHARED_BENCHMARK))
    assert not wrong, f"{len(wrong)} of {len(pairs)} differ, e.g. {wrong[:5]}"
    print(f"{len(pairs)} LR files bit-exact in {time.perf_counter() - start:.1f} s")
