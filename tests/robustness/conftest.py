"""Fixtures of the robustness suite (tiny models and the CLI runner: tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from testlib import corpus


@pytest.fixture(autouse=True)
def no_marker(tmp_path: Path):
    """No test may leave the payload marker behind, wherever the payload pointed."""
    yield
    assert not (tmp_path / corpus.MARKER).exists(), "a payload ran"
