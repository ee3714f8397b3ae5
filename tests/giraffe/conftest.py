"""Fixtures of the GIRAFFE tests (the tiny config and networks are in ``testlib.giraffe``)."""

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Tiny models run fastest on one thread; on a shared machine, two threads spin and wait."""
    yield
