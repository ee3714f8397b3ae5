"""Sliders to frames: the loops of one slider that the page's GIF export plays (Sec. 4.2)."""

from __future__ import annotations

import numpy as np
import pytest
from testlib.giraffe import TINY, tiny_network

from inrkit.errors import InrkitError
from inrkit.giraffe.model import GiraffeModel
from inrkit.giraffe.sliders import rotation_wraps, sweep, sweep_frames, uniform_frame


@pytest.mark.parametrize(("start", "wrap"), [(0.0, False), (0.3, False), (1.0, False), (0.7, True)])
def test_sweep_starts_at_the_value_and_loops(start, wrap):
    values = sweep(start, 20, wrap)
    assert values[0] == pytest.approx(start % 1.0 if wrap else start)
    assert len(values) == 20 and all(0.0 <= v <= 1.0 for v in values)
    # Every step is the same size (mod 1 for a full turn), the wrap-around step included.
    steps = np.diff([*values, values[0]])
    if wrap:
        steps = np.mod(steps, 1.0)
        assert np.allclose(steps, 1 / 20)
    else:
        assert np.allclose(np.abs(steps), 2 / 20)
        assert min(values) == pytest.approx(0.0, abs=0.1) and max(values) > 0.9


def test_sweep_frames_move_one_slider_of_every_object() -> None:
    model = GiraffeModel(network=tiny_network(), config=TINY)
    frame = uniform_frame(2, rotation=0.3, scale=0.4, elevation=0.6, shape_seed=5)
    turn = sweep_frames(model, frame, "rotation", 8)
    expected = sweep(0.3, 8, rotation_wraps(model))
    assert [[o.rotation for o in f.objects] for f in turn] == [[v, v] for v in expected]
    assert all(f.elevation == 0.6 and f.objects[1].scale == 0.4 for f in turn)
    up = sweep_frames(model, frame, "elevation", 6)
    assert [f.elevation for f in up] == sweep(0.6, 6, False)
    assert all(f.objects == frame.objects for f in up)
    with pytest.raises(InrkitError, match="slider must be one of rotation, "):
        sweep_frames(model, frame, "colour", 4)
