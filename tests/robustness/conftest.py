"""Fixtures of the robustness suite: the corpus module on the path, tiny models, a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from testlib import corpus


@pytest.fixture(autouse=True)
def no_marker(tmp_path: Path):
    """No test may leave the payload marker behind, wherever the payload pointed."""
    yield
    assert not (tmp_path / corpus.MARKER).exists(), "a payload ran"


@pytest.fixture(scope="session")
def giraffe_ckpt(tmp_path_factory) -> Path:
    """A tiny GIRAFFE checkpoint saved by inrkit.giraffe.save (as tests/giraffe does)."""
    from testlib.giraffe import TINY, tiny_network

    import inrkit.giraffe as giraffe
    from inrkit.giraffe.model import GiraffeModel

    path = tmp_path_factory.mktemp("giraffe") / "tiny.pt"
    return giraffe.save(GiraffeModel(network=tiny_network(), config=TINY), path)
