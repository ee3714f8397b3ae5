"""Keyframed paths: the page's sliders set at moments in time, interpolated into frames.

A path is a JSON or YAML file: a list of keyframes, or a mapping with ``keyframes`` and the
optional ``interpolation`` (``linear`` or ``smooth``), ``fps`` and ``frames``::

    {"interpolation": "smooth", "fps": 12,
     "keyframes": [{"time": 0, "rotation": 0.0, "shape_seed": 1},
                   {"time": 2, "rotation": 1.0, "shape_seed": 5, "elevation": 0.8,
                    "objects": [{"translation_x": 0.2}]}]}

Each keyframe has a ``time`` in seconds and any of the page's sliders: the object sliders
``rotation``, ``translation_x``, ``translation_depth`` and ``scale`` (fractions in [0, 1] of the
model's ranges), the camera's ``elevation`` (and ``azimuth``, ``radius``), and the seeds
``shape_seed`` and ``appearance_seed``. At the top level an object slider or seed sets every
object (and the seeds the background too); ``objects`` (object 0 first) sets single objects
and wins over the top level. A keyframe that leaves a slider out does not key it: every slider
of every object is its own track through the keyframes that set it, held before its first key
and after its last, 0.5 (seeds: 0) where no keyframe sets it. A page keyframe (its "Keyframe"
button) is such a keyframe with every slider set.

Sliders are interpolated linearly or by a Catmull-Rom spline (``smooth``: a cubic through the
keys whose slope at each key is that of the line through its neighbours, so the motion has no
kinks; clamped to [0, 1]). Codes go from one keyed seed's code to the next one's on the sphere
(slerp, as the official ``interpolate_*`` programs), with the weight linear in time, or eased
(smoothstep) for ``smooth``. Frames: ``fps`` per second (default 24) from the first keyframe's
time to the last's, or ``frames`` evenly spaced over that span, played at ``fps``.

Every problem is one line naming the file, the keyframe (counted from 0, as in the list) and
the field: ``path.json: keyframe 3: 'rotation' must be a number in [0, 1], got 1.5``.
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from inrkit.errors import file_error
from inrkit.giraffe.defaults import DEFAULT_FPS, INTERPOLATIONS, MAX_FPS, MAX_FRAMES, MAX_SEED
from inrkit.giraffe.sliders import FrameSliders, ObjectSliders, SeedCode

OBJECT_SLIDERS = ("rotation", "translation_x", "translation_depth", "scale")
CAMERA_SLIDERS = ("elevation", "azimuth", "radius")
SEEDS = ("shape_seed", "appearance_seed")
OBJECT_FIELDS = (*OBJECT_SLIDERS, *SEEDS)
KEYFRAME_FIELDS = ("time", *OBJECT_SLIDERS, *CAMERA_SLIDERS, *SEEDS, "objects")
PATH_FIELDS = ("keyframes", "interpolation", "fps", "frames")
MAX_KEYFRAMES = 10_000
MAX_OBJECTS = 64
MAX_FILE_BYTES = 1 << 20


@dataclass(frozen=True)
class Keyframe:
    """The sliders one keyframe sets: ``values`` at the top level, ``objects`` per object."""

    time: float
    values: Mapping[str, float] = field(default_factory=dict)
    objects: tuple[Mapping[str, float], ...] = ()


@dataclass(frozen=True)
class KeyframePath:
    """A validated path; :func:`frame_times` and :func:`sample_path` turn it into frames."""

    keyframes: tuple[Keyframe, ...]
    interpolation: str = "linear"
    fps: float = DEFAULT_FPS
    frames: int | None = None
    source: str = "path"
    """What error messages call the path (its file name)."""


# ----- reading and checking -----------------------------------------------------------------
def read_path(path: str | Path) -> KeyframePath:
    """A path from a ``.json`` file, or a YAML one (any other name)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise file_error(path, "no such file") from None
    except IsADirectoryError:
        raise file_error(path, "is a directory, expected a path file (JSON or YAML)") from None
    except OSError as e:
        raise file_error(path, f"cannot read ({e.strerror or e})") from None
    if len(data) > MAX_FILE_BYTES:
        raise file_error(path, f"more than {MAX_FILE_BYTES // 1024} KiB: not a keyframe path")
    return load_path_text(data, str(path), json_format=path.suffix.lower() == ".json")


def load_path_text(data: bytes | str, source: str, *, json_format: bool) -> KeyframePath:
    """A path from the text of a JSON (``json_format``) or YAML file named ``source``."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise file_error(source, "not UTF-8 text: expected a JSON or YAML path") from None
    try:
        parsed = json.loads(text) if json_format else yaml.safe_load(text)
    except json.JSONDecodeError as e:
        raise file_error(source, f"not valid JSON at line {e.lineno} ({e.msg})") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise file_error(source, f"not valid YAML{where}") from None
    except RecursionError:
        raise file_error(source, "nested too deeply to be a keyframe path") from None
    return parse_path(parsed, source)


def parse_path(data: Any, source: str = "path") -> KeyframePath:
    """Check parsed JSON/YAML (a list of keyframes, or a mapping) and build the path."""
    if isinstance(data, list):
        data = {"keyframes": data}
    if not isinstance(data, dict):
        raise file_error(source, "expected a list of keyframes or a mapping with 'keyframes'")
    for key in data:
        if key not in PATH_FIELDS:
            raise file_error(source, f"unknown key {key!r} (known: {', '.join(PATH_FIELDS)})")
    raw = data.get("keyframes")
    if not isinstance(raw, list) or not raw:
        raise file_error(source, "'keyframes' must be a non-empty list of keyframes")
    if len(raw) > MAX_KEYFRAMES:
        raise file_error(source, f"more than {MAX_KEYFRAMES} keyframes")
    keyframes = tuple(_keyframe(kf, i, source) for i, kf in enumerate(raw))
    for i in range(1, len(keyframes)):
        if keyframes[i].time <= keyframes[i - 1].time:
            raise file_error(
                source,
                f"keyframe {i}: 'time' must be later than keyframe {i - 1}'s "
                f"({keyframes[i - 1].time:g}), got {keyframes[i].time:g}",
            )
    interpolation = data.get("interpolation", "linear")
    if interpolation not in INTERPOLATIONS:
        raise file_error(
            source, f"'interpolation' must be 'linear' or 'smooth', got {interpolation!r}"
        )
    fps = _number(data.get("fps", DEFAULT_FPS), "'fps'", source, 0.0, MAX_FPS, open_low=True)
    frames = data.get("frames")
    if frames is not None:
        frames = _whole(frames, "'frames'", source, 1, MAX_FRAMES)
    path = KeyframePath(keyframes, interpolation, fps, frames, source)
    n = len(frame_times(path))
    if n > MAX_FRAMES:
        span = keyframes[-1].time - keyframes[0].time
        raise file_error(
            source,
            f"{n} frames ({span:g} s at {fps:g} fps) is more than {MAX_FRAMES}; "
            "lower 'fps' or give 'frames'",
        )
    return path


def with_options(
    path: KeyframePath,
    *,
    interpolation: str | None = None,
    fps: float | None = None,
    frames: int | None = None,
) -> KeyframePath:
    """``path`` with the options given here replacing the file's (the CLI's flags)."""
    data: dict[str, Any] = {
        "keyframes": [_unparse(kf) for kf in path.keyframes],
        "interpolation": interpolation or path.interpolation,
        "fps": path.fps if fps is None else fps,
    }
    if (frames or path.frames) is not None:
        data["frames"] = frames or path.frames
    return parse_path(data, path.source)


def _unparse(kf: Keyframe) -> dict[str, Any]:
    return {"time": kf.time, **kf.values, "objects": [dict(o) for o in kf.objects]}


def _check_fields(raw: Any, known: tuple[str, ...], where: str, source: str) -> None:
    """Refuse ``raw`` unless it is a mapping whose keys are all in ``known``."""
    if not isinstance(raw, dict):
        raise file_error(source, f"{where}: expected a mapping of sliders, got {_kind(raw)}")
    for key in raw:
        if key not in known:
            raise file_error(source, f"{where}: unknown field {key!r} (known: {', '.join(known)})")


def _keyframe(raw: Any, i: int, source: str) -> Keyframe:
    where = f"keyframe {i}"
    _check_fields(raw, KEYFRAME_FIELDS, where, source)
    if "time" not in raw:
        raise file_error(source, f"{where}: 'time' is missing (seconds)")
    time = _number(raw["time"], f"{where}: 'time'", source, 0.0, math.inf)
    values = {
        k: _field(k, v, where, source) for k, v in raw.items() if k not in ("time", "objects")
    }
    objects = raw.get("objects", [])
    if not isinstance(objects, list):
        raise file_error(source, f"{where}: 'objects' must be a list, got {_kind(objects)}")
    if len(objects) > MAX_OBJECTS:
        raise file_error(source, f"{where}: 'objects' lists more than {MAX_OBJECTS} objects")
    per_object = []
    for j, obj in enumerate(objects):
        at = f"{where}: objects[{j}]"
        _check_fields(obj, OBJECT_FIELDS, at, source)
        per_object.append({k: _field(k, v, at, source) for k, v in obj.items()})
    return Keyframe(time, values, tuple(per_object))


def _field(key: str, value: Any, where: str, source: str) -> float:
    if key in SEEDS:
        return _whole(value, f"{where}: {key!r}", source, 0, MAX_SEED)
    return _number(value, f"{where}: {key!r}", source, 0.0, 1.0)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _number(
    value: Any, what: str, source: str, lo: float, hi: float, open_low: bool = False
) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not (ok and (value > lo if open_low else value >= lo) and value <= hi):
        if hi == math.inf:
            rule = f"a number >= {lo:g}"
        else:
            rule = f"a number in {'(' if open_low else '['}{lo:g}, {hi:g}]"
        raise file_error(source, f"{what} must be {rule}, got {value!r}")
    return float(value)


def _whole(value: Any, what: str, source: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise file_error(source, f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


# ----- frames -------------------------------------------------------------------------------
def frame_times(path: KeyframePath) -> list[float]:
    """The time of each frame: every 1 / fps seconds, or ``frames`` evenly, first to last key."""
    t0, t1 = path.keyframes[0].time, path.keyframes[-1].time
    if path.frames is not None:
        n = path.frames
        return [t0] if n == 1 else [t0 + (t1 - t0) * i / (n - 1) for i in range(n)]
    n = math.floor((t1 - t0) * path.fps + 1e-9) + 1
    return [t0 + i / path.fps for i in range(n)]


def check_objects(path: KeyframePath, n_objects: int) -> None:
    """A one-line error when a keyframe poses more objects than the model has."""
    for i, kf in enumerate(path.keyframes):
        if len(kf.objects) > n_objects:
            raise file_error(
                path.source,
                f"keyframe {i}: 'objects' lists {len(kf.objects)} objects, the model has "
                f"{n_objects}",
            )


def sample_path(path: KeyframePath, n_objects: int) -> list[FrameSliders]:
    """The sliders of every frame, for a model with ``n_objects`` boxes."""
    check_objects(path, n_objects)
    smooth = path.interpolation == "smooth"

    def track(get: Any) -> list[tuple[float, float]]:
        return [(kf.time, v) for kf in path.keyframes if (v := get(kf)) is not None]

    def top(key: str) -> list[tuple[float, float]]:
        return track(lambda kf: kf.values.get(key))

    def of_object(j: int, key: str) -> list[tuple[float, float]]:
        def get(kf: Keyframe) -> float | None:
            if j < len(kf.objects) and key in kf.objects[j]:
                return kf.objects[j][key]
            return kf.values.get(key)

        return track(get)

    camera = {key: top(key) for key in CAMERA_SLIDERS}
    background = {key: top(key) for key in SEEDS}
    objects = [{key: of_object(j, key) for key in OBJECT_FIELDS} for j in range(n_objects)]
    frames = []
    for t in frame_times(path):
        objs = tuple(
            ObjectSliders(
                **{key: slider_at(o[key], t, smooth) for key in OBJECT_SLIDERS},
                shape=code_at(o["shape_seed"], t, smooth),
                appearance=code_at(o["appearance_seed"], t, smooth),
            )
            for o in objects
        )
        frames.append(
            FrameSliders(
                objs,
                **{key: slider_at(camera[key], t, smooth) for key in CAMERA_SLIDERS},
                background_shape=code_at(background["shape_seed"], t, smooth),
                background_appearance=code_at(background["appearance_seed"], t, smooth),
            )
        )
    return frames


def _segment(keys: Sequence[tuple[float, float]], t: float) -> tuple[int, float] | None:
    """(i, w): ``t`` lies a fraction ``w`` of the way from key i to key i + 1; None outside."""
    times = [k[0] for k in keys]
    i = bisect.bisect_right(times, t) - 1
    if i < 0 or i >= len(keys) - 1:
        return None
    return i, (t - times[i]) / (times[i + 1] - times[i])


def slider_at(keys: Sequence[tuple[float, float]], t: float, smooth: bool) -> float:
    """A slider track (time, value) at time ``t``: held outside, linear or Catmull-Rom inside."""
    if not keys:
        return 0.5
    seg = _segment(keys, t)
    if seg is None:
        return keys[0][1] if t <= keys[0][0] else keys[-1][1]
    i, w = seg
    (t0, p0), (t1, p1) = keys[i], keys[i + 1]
    if not smooth:
        return p0 + (p1 - p0) * w

    # Cubic Hermite with Catmull-Rom slopes (in value per second, for uneven key spacing):
    # the slope at a key is that of the chord through its neighbours, one-sided at the ends.
    def slope(j: int) -> float:
        a, b = max(j - 1, 0), min(j + 1, len(keys) - 1)
        return (keys[b][1] - keys[a][1]) / (keys[b][0] - keys[a][0])

    dt = t1 - t0
    h00, h10 = 2 * w**3 - 3 * w**2 + 1, w**3 - 2 * w**2 + w
    h01, h11 = -2 * w**3 + 3 * w**2, w**3 - w**2
    value = h00 * p0 + h10 * dt * slope(i) + h01 * p1 + h11 * dt * slope(i + 1)
    return min(max(value, 0.0), 1.0)  # the spline may overshoot between keys


def code_at(keys: Sequence[tuple[float, float]], t: float, smooth: bool) -> SeedCode:
    """A seed track at time ``t``: the keyed seed, or a slerp weight between two of them.

    ``keys`` are (time, seed) pairs; seeds are read as ints (YAML may give ``3.0``).
    """
    if not keys:
        return SeedCode(0)
    seg = _segment(keys, t)
    if seg is None:
        return SeedCode(int(keys[0][1] if t <= keys[0][0] else keys[-1][1]))
    i, w = seg
    if smooth:
        w = w * w * (3 - 2 * w)  # smoothstep: no jump in the code's speed at a key
    return SeedCode(int(keys[i][1]), int(keys[i + 1][1]), w)
