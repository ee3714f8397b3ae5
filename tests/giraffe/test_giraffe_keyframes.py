"""Keyframed paths: reading, checking and interpolating (no model needed)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inrkit.errors import InrkitError
from inrkit.giraffe.keyframes import (
    code_at,
    frame_times,
    parse_path,
    read_path,
    sample_path,
    slider_at,
    with_options,
)
from inrkit.giraffe.sliders import SeedCode


def test_frame_times_by_fps_and_by_count() -> None:
    keys = [{"time": 1.0}, {"time": 3.0}]
    assert frame_times(parse_path({"keyframes": keys, "fps": 2})) == [1.0, 1.5, 2.0, 2.5, 3.0]
    assert frame_times(parse_path({"keyframes": keys, "frames": 3})) == [1.0, 2.0, 3.0]
    assert len(frame_times(parse_path(keys))) == 2 * 24 + 1  # default 24 fps, both ends
    assert frame_times(parse_path([{"time": 0}])) == [0.0]  # one keyframe: one still frame
    assert with_options(parse_path(keys), frames=5).frames == 5


def test_linear_sliders_pass_through_keys_and_hold_outside() -> None:
    keys = [(0.0, 0.0), (1.0, 1.0), (3.0, 0.5)]
    assert slider_at(keys, 0.5, smooth=False) == pytest.approx(0.5)
    assert slider_at(keys, 2.0, smooth=False) == pytest.approx(0.75)
    assert slider_at(keys, -1.0, smooth=False) == 0.0 and slider_at(keys, 9.0, False) == 0.5
    assert slider_at([], 1.0, smooth=False) == 0.5  # never keyed: the page's default


def test_catmull_rom_passes_through_keys_and_is_smooth() -> None:
    keys = [(0.0, 0.1), (1.0, 0.8), (2.0, 0.3), (4.0, 0.6)]
    for t, v in keys:
        assert slider_at(keys, t, smooth=True) == pytest.approx(v)
    # The slope at an inner key is the chord of its neighbours: (0.3 - 0.1) / 2 at t = 1.
    eps = 1e-5
    left = (slider_at(keys, 1.0, True) - slider_at(keys, 1.0 - eps, True)) / eps
    right = (slider_at(keys, 1.0 + eps, True) - slider_at(keys, 1.0, True)) / eps
    assert left == pytest.approx(0.1, abs=1e-3) and right == pytest.approx(0.1, abs=1e-3)
    # Keys on a line (unevenly spaced) give the line itself.
    line = [(0.0, 0.0), (1.0, 0.25), (4.0, 1.0)]
    for t in (0.3, 0.5, 2.0, 3.7):
        assert slider_at(line, t, smooth=True) == pytest.approx(t / 4)
    # Overshoot is clamped to the slider's range.
    spike = [(0.0, 0.0), (1.0, 1.0), (2.0, 1.0), (3.0, 0.0)]
    assert all(0.0 <= slider_at(spike, t / 10, True) <= 1.0 for t in range(31))


def test_seeds_slerp_between_neighbouring_keys() -> None:
    keys = [(0.0, 3), (2.0, 9)]
    assert code_at(keys, 0.0, smooth=False) == SeedCode(3, 9, 0.0)
    assert code_at(keys, 0.5, smooth=False) == SeedCode(3, 9, 0.25)
    assert code_at(keys, 0.5, smooth=True).weight == pytest.approx(0.25**2 * (3 - 0.5))
    assert code_at(keys, 5.0, smooth=False) == SeedCode(9)
    assert code_at([], 1.0, smooth=False) == SeedCode(0)


def test_objects_override_the_top_level_and_tracks_skip_unset_keyframes() -> None:
    path = parse_path(
        {
            "frames": 3,
            "keyframes": [
                {"time": 0, "rotation": 0.0, "shape_seed": 4, "objects": [{}, {"rotation": 1}]},
                {"time": 1, "scale": 0.2},  # keys only the scale: rotation keeps going
                {"time": 2, "rotation": 1.0, "elevation": 0.9},
            ],
        }
    )
    first, middle, last = sample_path(path, n_objects=2)
    assert [o.rotation for o in first.objects] == [0.0, 1.0]
    assert middle.objects[0].rotation == pytest.approx(0.5)  # 0 at t=0 to 1 at t=2
    assert middle.objects[1].rotation == 1.0  # its own key, then the top level's 1.0
    assert middle.objects[0].scale == pytest.approx(0.2) and first.objects[0].scale == 0.2
    assert first.elevation == 0.9 and last.elevation == 0.9  # held before the first key
    assert first.objects[1].shape == SeedCode(4) and first.background_shape == SeedCode(4)
    assert first.objects[0].appearance == SeedCode(0)
    with pytest.raises(InrkitError, match="keyframe 0: 'objects' lists 2 objects, the model"):
        sample_path(path, n_objects=1)


def test_the_pages_keyframe_is_a_path(tmp_path: Path) -> None:
    page = {
        "time": 0,
        "appearance_seed": 3,
        "shape_seed": 7,
        "rotation": 0.25,
        "translation_x": 0.5,
        "translation_depth": 0.5,
        "scale": 0.5,
        "elevation": 0.5,
    }
    file = tmp_path / "keys.json"
    file.write_text(json.dumps([page, {**page, "time": 1.5, "rotation": 0.75}]))
    path = read_path(file)
    assert path.source == str(file) and len(path.keyframes) == 2
    yaml_file = tmp_path / "keys.yaml"
    yaml_file.write_text("interpolation: smooth\nkeyframes:\n- {time: 0}\n- {time: 2, scale: 1}\n")
    assert read_path(yaml_file).interpolation == "smooth"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([{"time": 0}, {"time": 1}, {"time": 2}, {"time": 3, "rotation": 1.5}],
         "p.json: keyframe 3: 'rotation' must be a number in [0, 1], got 1.5"),
        ([{"time": 0, "objects": [{"scale": "big"}]}],
         "p.json: keyframe 0: objects[0]: 'scale' must be a number in [0, 1], got 'big'"),
        ([{"time": 0, "shape_seed": 1.5}],
         "p.json: keyframe 0: 'shape_seed' must be a whole number from 0 to"),
        ([{"time": 0, "rotation": True}], "keyframe 0: 'rotation' must be a number"),
        ([{"rotation": 0.5}], "p.json: keyframe 0: 'time' is missing"),
        ([{"time": 1}, {"time": 1}], "keyframe 1: 'time' must be later than keyframe 0's (1)"),
        ([{"time": -1}], "keyframe 0: 'time' must be a number >= 0, got -1"),
        ([{"time": 0, "colour": 1}], "keyframe 0: unknown field 'colour' (known: time,"),
        ([{"time": 0, "objects": {"scale": 1}}], "keyframe 0: 'objects' must be a list"),
        ([{"time": 0, "objects": [3]}], "keyframe 0: objects[0]: expected a mapping"),
        ([{"time": 0, "objects": [{"elevation": 1}]}], "objects[0]: unknown field 'elevation'"),
        ([5], "keyframe 0: expected a mapping of sliders, got int"),
        ([], "'keyframes' must be a non-empty list"),
        ({"keyframes": [{"time": 0}], "speed": 2}, "unknown key 'speed'"),
        ({"keyframes": [{"time": 0}], "interpolation": "cubic"}, "'interpolation' must be"),
        ({"keyframes": [{"time": 0}], "fps": 0}, "'fps' must be a number in (0, 60]"),
        ({"keyframes": [{"time": 0}], "frames": 0}, "'frames' must be a whole number from 1"),
        ({"keyframes": [{"time": 0}, {"time": 1000}]}, "24001 frames (1000 s at 24 fps) is more"),
        ("a string", "expected a list of keyframes or a mapping"),
    ],
)  # fmt: skip
def test_schema_errors_name_the_keyframe_and_field(data: object, message: str) -> None:
    with pytest.raises(InrkitError) as err:
        parse_path(data, "p.json")
    assert message in str(err.value) and "\n" not in str(err.value)
