"""Fixtures of the robustness suite: the corpus module on the path, tiny models, a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # `import corpus` from the test modules (no __init__.py here)
sys.path.insert(0, str(HERE.parent / "giraffe"))  # the tiny GIRAFFE model of tests/giraffe

import corpus  # noqa: E402

LIIF_MODEL = HERE.parent / "fixtures" / "liif" / "edsr-small.pth"


def inrkit(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m inrkit ARGS`` as users do; offline, one thread."""
    env = {**os.environ, "INRKIT_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run(
        [sys.executable, "-m", "inrkit", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=120,
        env=env,
    )


def run_main(capsys, *args: str | Path) -> tuple[int, str]:
    """``inrkit ARGS`` in-process (the same code as the command, minus the interpreter start):
    (exit code, stderr). An exception that escapes ``main`` is the traceback a user would see,
    and fails the test."""
    from inrkit.cli import main

    capsys.readouterr()
    rc = main([str(a) for a in args])
    return rc, capsys.readouterr().err


def assert_one_error(rc: int, stderr: str, names: str | Path) -> None:
    """Exit code 2 and exactly one ``inrkit: error:`` line that names the file."""
    lines = stderr.strip().splitlines()
    assert rc == 2, stderr
    assert "Traceback" not in stderr
    assert len(lines) == 1 and lines[0].startswith("inrkit: error:"), stderr
    assert str(names) in lines[0], (names, lines[0])


@pytest.fixture(autouse=True)
def no_marker(tmp_path: Path):
    """No test may leave the payload marker behind, wherever the payload pointed."""
    yield
    assert not (tmp_path / corpus.MARKER).exists(), "a payload ran"


@pytest.fixture(scope="session")
def giraffe_ckpt(tmp_path_factory) -> Path:
    """A tiny GIRAFFE checkpoint saved by inrkit.giraffe.save (as tests/giraffe does)."""
    from giraffe_testlib import TINY, tiny_network

    import inrkit.giraffe as giraffe
    from inrkit.giraffe.model import GiraffeModel

    path = tmp_path_factory.mktemp("giraffe") / "tiny.pt"
    return giraffe.save(GiraffeModel(network=tiny_network(), config=TINY), path)
