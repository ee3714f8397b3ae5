"""LIIF reference files: the official implementations' outputs for the tiny variants."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
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
