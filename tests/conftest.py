"""Shared fixtures: reference data made with the official implementations, tiny models."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from testlib.liif import LIIF_FIXTURES


@pytest.fixture
def one_thread():
    """One torch thread for the test (timings and reductions not at the mercy of the load)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def run_inrkit(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real command line, ``python -m inrkit ARGS``, in a subprocess.

    Call it as ``run_inrkit(*args, cwd=tmp_path, env=None, timeout=300, python=())``: ``env``
    is added to this process's environment, ``python`` are interpreter flags (``-X importtime``).
    Returns the completed process, stdout and stderr as text.
    """

    def run(
        *args: object,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 300,
        python: tuple[str, ...] = (),
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *python, "-m", "inrkit", *map(str, args)],
            cwd=tmp_path if cwd is None else cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )

    return run


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def edsr_small_path() -> Path:
    return LIIF_FIXTURES / "edsr-small.pth"
