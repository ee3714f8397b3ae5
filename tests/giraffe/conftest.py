"""Fixtures of the GIRAFFE tests (the tiny config and networks are in ``testlib.giraffe``; the
tiny checkpoint file is ``giraffe_ckpt`` in ``tests/conftest.py``)."""

import pytest
from testlib.giraffe import TINY, tiny_network

from inrkit.giraffe.model import GiraffeModel


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models run fastest on one thread; on a shared machine, two threads spin and wait."""
    yield


@pytest.fixture(scope="module")
def tiny_giraffe() -> GiraffeModel:
    """``testlib.giraffe``'s tiny network (seed 0) as a model, built once per test module."""
    return GiraffeModel(network=tiny_network(), config=TINY)
