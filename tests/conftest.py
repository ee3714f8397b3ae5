"""Shared fixtures: reference data made with the official implementations, tiny models."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

    Call it as ``run_inrkit(*args, cwd=tmp_path, env=None, environ=None, timeout=300,
    python=(), **options)``: ``env`` is added to this process's environment, or to ``environ``
    where a test builds the whole environment itself; ``python`` are interpreter flags
    (``-X importtime``), and ``options`` go to ``subprocess.run`` (``input``, ``preexec_fn``).
    Returns the completed process, stdout and stderr as text; bytes that are not UTF-8 (a file
    name the command prints) are kept as surrogates instead of failing the decode.
    """

    def run(
        *args: object,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        environ: dict[str, str] | None = None,
        timeout: float = 300,
        python: tuple[str, ...] = (),
        **options: Any,
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, *python, "-m", "inrkit", *map(str, args)],
            cwd=tmp_path if cwd is None else cwd,
            capture_output=True,
            text=True,
            errors="surrogateescape",
            timeout=timeout,
            env={**(os.environ if environ is None else environ), **(env or {})},
            **options,
        )

    return run


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)
    np.random.seed(0)


@pytest.fixture
def edsr_small_path() -> Path:
    return LIIF_FIXTURES / "edsr-small.pth"


@pytest.fixture(scope="module")
def edsr_small() -> torch.nn.Module:
    """The tiny official-format EDSR-LIIF of ``tests/fixtures/liif``, loaded once per module."""
    import inrkit.liif as liif

    return liif.load(LIIF_FIXTURES / "edsr-small.pth")


@pytest.fixture(scope="session")
def giraffe_ckpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``testlib.giraffe``'s tiny network (seed 0) saved by ``inrkit.giraffe.save``: a
    checkpoint file that loads as users load one. Tests read it and never write beside it."""
    from testlib.giraffe import TINY, tiny_network

    import inrkit.giraffe as giraffe
    from inrkit.giraffe.model import GiraffeModel

    path = tmp_path_factory.mktemp("giraffe") / "tiny.pt"
    return giraffe.save(GiraffeModel(network=tiny_network(), config=TINY), path)
