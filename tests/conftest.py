"""Shared fixtures: reference data made with the official implementations, tiny models."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch

TESTS = Path(__file__).resolve().parent
LIIF_FIXTURES = TESTS / "fixtures" / "liif"
# Large reference files stay in the shared folder beside the project (present in CI).
SHARED_LIIF = TESTS.parent.parent / "shared" / "fixtures" / "liif"

LIIF_VARIANTS = [
    "edsr-small",
    "edsr-small-plain",
    "edsr-small-noens",
    "edsr-big-small",
    "rcan-small",
    "rdn-a-g8",
    "metasr-small",
]


def liif_fixture(variant: str, suffix: str) -> Path:
    """Path of a LIIF reference file; in CI a missing shared file fails instead of skipping."""
    for folder in (LIIF_FIXTURES, SHARED_LIIF):
        if (folder / f"{variant}{suffix}").exists():
            return folder / f"{variant}{suffix}"
    if os.environ.get("CI"):
        pytest.fail(
            f"reference file {variant}{suffix} missing in {LIIF_FIXTURES} and {SHARED_LIIF}"
        )
    pytest.skip(f"{variant}{suffix} lives in {SHARED_LIIF}, which is not beside this checkout")


@pytest.fixture
def one_thread():
    """One torch thread for the test (timings and reductions not at the mercy of the load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def edsr_small_path() -> Path:
    return LIIF_FIXTURES / "edsr-small.pth"
