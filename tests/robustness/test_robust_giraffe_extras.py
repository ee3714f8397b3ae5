"""Bad input to the GIRAFFE extras: keyframed paths (``giraffe render --path``), object meshes
(``giraffe mesh``) and object-existence priors in configs. Each is refused with one line that
names the file (or the flag), exit code 2, and nothing is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from testlib import corpus
from testlib.robustness import OFFLINE, assert_one_error, run_main

from inrkit.errors import InrkitError

GOOD_KEY = {"time": 0, "rotation": 0.5}
# case -> (file name, contents, words the error must contain)
BAD_PATHS = {
    "empty-json": ("p.json", b"", "not valid JSON at line 1"),
    "empty-yaml": ("p.yaml", b"", "expected a list of keyframes or a mapping"),
    "truncated-json": ("p.json", b'{"keyframes": [{"time": 0, "rot', "not valid JSON"),
    "not-text": ("p.json", corpus._encoded("PNG"), "not UTF-8 text"),
    "not-yaml": ("p.yaml", b"keyframes: [unclosed\n", "not valid YAML at line"),
    "python-tag": ("p.yaml", None, "not valid YAML"),
    "too-deep": ("p.json", b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "too-big": ("p.json", b" " * (1 << 20) + b"[]", "more than 1024 KiB"),
    "nan": ("p.json", b'[{"time": 0, "rotation": NaN}]', "keyframe 0: 'rotation' must be"),
    "infinite-time": ("p.json", b'[{"time": 1e400}]', "keyframe 0: 'time' must be a number"),
    "bool": ("p.json", b'[{"time": 0, "scale": true}]', "keyframe 0: 'scale' must be"),
    "string-seed": ("p.json", b'[{"time": 0, "shape_seed": "7"}]', "'shape_seed' must be"),
    "negative-seed": ("p.json", b'[{"time": 0, "shape_seed": -1}]', "'shape_seed' must be"),
    "null-slider": ("p.json", b'[{"time": 0, "elevation": null}]', "'elevation' must be"),
    "no-time": ("p.json", b'[{"rotation": 0.5}]', "keyframe 0: 'time' is missing"),
    "time-backwards": ("p.json", b'[{"time": 2}, {"time": 1}]', "keyframe 1: 'time' must be"),
    "unknown-field": ("p.json", b'[{"time": 0, "hue": 1}]', "unknown field 'hue'"),
    "object-field": ("p.json", b'[{"time": 0, "objects": [{"scale": 2}]}]', "objects[0]:"),
    "objects-not-list": ("p.json", b'[{"time": 0, "objects": 1}]', "'objects' must be a list"),
    "more-objects": ("p.json", b'[{"time": 0, "objects": [{}, {}]}]', "the model has 1"),
    "no-keyframes": ("p.json", b'{"keyframes": []}', "'keyframes' must be a non-empty list"),
    "scalar": ("p.json", b"42", "expected a list of keyframes"),
    "bad-interpolation": ("p.json", b'{"keyframes": [{"time": 0}], "interpolation": 1}', "'interp"),
    "bad-fps": ("p.json", b'{"keyframes": [{"time": 0}], "fps": 1000}', "'fps' must be"),
    "bad-frames": ("p.json", b'{"keyframes": [{"time": 0}], "frames": 2.5}', "'frames' must"),
    "too-long": ("p.json", b'[{"time": 0}, {"time": 100000}]', "more than 5000"),
    "alias-bomb": ("p.yaml", b"a: &a [1, 1]\nkeyframes: [*a, *a]\n", "unknown key 'a'"),
}


def bad_path(folder: Path, case: str) -> Path:
    name, data, _ = BAD_PATHS[case]
    if case == "python-tag":
        data = corpus.yaml_payload(folder).encode()
    return corpus.write(folder, name, data)


def render_path_argv(path: Path, tmp_path: Path, ckpt: Path) -> list:
    return ["giraffe", "render", "--model", ckpt, "--path", path, "--out-dir", tmp_path / "out"]


@pytest.mark.parametrize("case", list(BAD_PATHS))
def test_bad_path_file_is_refused(case: str, tmp_path: Path, giraffe_ckpt: Path, capsys) -> None:
    path = bad_path(tmp_path, case)
    rc, err = run_main(capsys, *render_path_argv(path, tmp_path, giraffe_ckpt))
    assert_one_error(rc, err, path)
    assert BAD_PATHS[case][2] in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", ["missing", "folder"])
def test_missing_or_folder_path_is_refused(
    case: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    path = tmp_path / "p.json"
    if case == "folder":
        path.mkdir()
    rc, err = run_main(capsys, *render_path_argv(path, tmp_path, giraffe_ckpt))
    assert_one_error(rc, err, path)


def test_python_tag_path_refused_by_the_real_command(
    run_inrkit, tmp_path: Path, giraffe_ckpt: Path
) -> None:
    path = bad_path(tmp_path, "python-tag")
    done = run_inrkit(*render_path_argv(path, tmp_path, giraffe_ckpt), env=OFFLINE)
    assert_one_error(done.returncode, done.stderr, path)


@pytest.mark.parametrize("case", ["nan", "time-backwards", "more-objects", "not-text"])
def test_python_api_refuses_bad_paths(case: str, tmp_path: Path) -> None:
    from testlib.giraffe import TINY, tiny_network

    import inrkit.giraffe as giraffe
    from inrkit.giraffe.model import GiraffeModel

    model = GiraffeModel(network=tiny_network(), config=TINY)
    path = bad_path(tmp_path, case)
    with pytest.raises(InrkitError, match="p.json"):
        giraffe.render_path(model, path)
    with pytest.raises(InrkitError, match="p.json"):
        giraffe.save_path(model, path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--fps", "0"], "--fps"),
        (["--fps", "nan"], "--fps"),
        (["--frames", "-3"], "--frames"),
        (["--interpolation", "cubic"], "--interpolation"),
        (["--steps", "8"], "--steps: only for render programs"),
        (["--program", "object_rotation"], "give --program or --path, not both"),
    ],
)
def test_bad_path_flags_are_refused(
    flags: list, words: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    path = corpus.write(tmp_path, "p.json", json.dumps([GOOD_KEY]).encode())
    rc, err = run_main(capsys, *render_path_argv(path, tmp_path, giraffe_ckpt), *flags)
    assert_one_error(rc, err, words)
    assert not (tmp_path / "out").exists()


# ----- meshes ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--out", "{tmp}/car.stl"], "car.stl: unknown mesh format '.stl'"),
        (["--out", "{tmp}/car"], "car: unknown mesh format '(none)'"),
        (["--out", "{tmp}/dir.ply"], "dir.ply: is a directory"),
        (["--out", "{tmp}/old.ply"], "old.ply: already exists (use --overwrite)"),
        (["--out", "{tmp}/c.ply", "--resolution", "4"], "--resolution"),
        (["--out", "{tmp}/c.ply", "--resolution", "100000"], "--resolution"),
        (["--out", "{tmp}/c.ply", "--resolution", "many"], "--resolution"),
        (["--out", "{tmp}/c.ply", "--threshold", "-1"], "--threshold"),
        (["--out", "{tmp}/c.ply", "--threshold", "inf"], "--threshold"),
        (["--out", "{tmp}/c.ply", "--threshold", "nan"], "--threshold"),
        (["--out", "{tmp}/c.ply", "--seed", "-1"], "--seed"),
        (["--out", "{tmp}/c.ply", "--object", "3"], "object 3: the model has 1 object(s)"),
        (["--out", "{tmp}/c.ply", "--object=-1"], "--object"),
        (["--out", "{tmp}/c.ply", "--object", "one"], "--object"),
        (["--out", "{tmp}/c.ply", "--resolution", "0"], "--resolution"),
        (["--out", "{tmp}/c.ply", "--threshold", "1e12", "--resolution", "8"], "no density"),
        (["--out", "{tmp}/c.ply", "--model", "{tmp}/none.pt"], "none.pt"),
    ],
)
def test_bad_mesh_requests_are_refused(
    flags: list, words: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    (tmp_path / "dir.ply").mkdir()
    (tmp_path / "old.ply").write_text("keep")
    argv = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    if "--model" not in argv:
        argv += ["--model", str(giraffe_ckpt)]
    before = corpus.listing(tmp_path)
    rc, err = run_main(capsys, "giraffe", "mesh", *argv)
    assert_one_error(rc, err, words)
    assert corpus.listing(tmp_path) == before
    assert (tmp_path / "old.ply").read_text() == "keep"


def test_mesh_into_an_unwritable_folder_is_one_line(
    tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    out = blocker / "car.ply"
    rc, err = run_main(capsys, "giraffe", "mesh", "--model", giraffe_ckpt, "--out", out)
    assert_one_error(rc, err, out)


# ----- object-existence priors --------------------------------------------------------------
@pytest.mark.parametrize(
    ("prior", "words"),
    [
        ([0.5, 0.5], "must have n_boxes + 1 = 4 probabilities"),
        ([1.5, -0.5, 0, 0], "must hold probabilities >= 0"),
        ([0.2, 0.2, 0.2, 0.2], "must sum to 1"),
        (["a", "b", "c", "d"], "expected a list of probabilities"),
        ("half", "expected a list of probabilities"),
        ({"two": 1}, "expected a list of probabilities"),
    ],
)
def test_bad_existence_prior_in_a_config_is_refused(
    prior: object, words: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    cfg = corpus.yaml_dump(
        tmp_path,
        "prior.yaml",
        {
            "model": {
                "bounding_box_generator_kwargs": {"n_boxes": 3},
                "generator_kwargs": {
                    "sample_object_existance": True,
                    "object_existence_prior": prior,
                },
            }
        },
    )
    argv = ["giraffe", "render", "--model", giraffe_ckpt, "--config", cfg]
    rc, err = run_main(capsys, *argv, "--out-dir", tmp_path / "out")
    assert_one_error(rc, err, cfg)
    assert "object_existence_prior" in err and words in err
    assert not (tmp_path / "out").exists()


def _tiny_config(folder: Path, name: str, prior: object, n_boxes: int = 3) -> Path:
    """The tiny checkpoint's architecture with ``n_boxes`` boxes and ``prior`` (any value)."""
    from testlib.giraffe import TINY

    from inrkit.giraffe.official_config import to_official

    data = to_official(TINY)
    data["model"]["bounding_box_generator_kwargs"]["n_boxes"] = n_boxes
    data["model"]["generator_kwargs"]["object_existence_prior"] = prior
    return corpus.yaml_dump(folder, name, data)


@pytest.mark.parametrize("program", ["render_add_cars", "render_add_clevr10", "render_add_clevr6"])
def test_prior_of_no_objects_stops_an_add_program_before_writing(
    program: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    """A valid prior that gives every scene 0 objects leaves an add program nothing to add."""
    cfg = _tiny_config(tmp_path, "empty.yaml", [1.0, 0.0, 0.0, 0.0])
    argv = ["giraffe", "render", "--model", giraffe_ckpt, "--config", cfg, "--program", program]
    rc, err = run_main(capsys, *argv, "--steps", "2", "--out-dir", tmp_path / "out")
    assert_one_error(rc, err, "object_existence_prior")
    assert "nothing to add" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("prior", "words"),
    [
        ([0.5, 0.5], "must have n_boxes + 1 = 4 probabilities"),
        ([0.5, 0.75, 0.0, -0.25], "must hold probabilities >= 0"),
        ([0.2, 0.2, 0.2, 0.2], "must sum to 1"),
    ],
)
def test_bad_existence_prior_stops_training_before_the_run_folder(
    prior: list, words: str, tmp_path: Path, capsys
) -> None:
    cfg = _tiny_config(tmp_path, "train.yaml", prior)
    rc, err = run_main(capsys, "giraffe", "train", cfg, "--out-dir", tmp_path / "run", "-q")
    assert_one_error(rc, err, cfg)
    assert "object_existence_prior" in err and words in err
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("prior", "words"),
    [
        ([1.0], "must have at least 2 probabilities"),
        ([0.5, 0.75, -0.25], "must hold probabilities >= 0"),
        ([0.5, float("inf"), 0.5], "must hold probabilities >= 0"),
        ([0.3, 0.3], "must sum to 1"),
        ("uniform", "must be a list of probabilities"),
        ({"0": 0.5, "1": 0.5}, "must be a list of probabilities"),
        ([1.0, 0.0], "gives every scene 0 objects"),
    ],
)
def test_bad_existence_prior_argument_is_refused(prior: object, words: str) -> None:
    from testlib.giraffe import TINY, tiny_network

    import inrkit.giraffe as giraffe
    from inrkit.giraffe.model import GiraffeModel

    model = GiraffeModel(network=tiny_network(), config=TINY)
    with pytest.raises(InrkitError) as err:
        giraffe.render(model, "render_add_cars", n_samples=1, steps=2, object_existence_prior=prior)
    text = str(err.value)
    assert text.startswith("object_existence_prior") and words in text and "\n" not in text, text


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--object-existence-prior", "0,a"], "expected probabilities of 0, 1, 2, ... objects"),
        (["--object-existence-prior", "0.5"], "must have at least 2 probabilities"),
        (["--object-existence-prior", "0.5,0.6"], "must sum to 1"),
        (["--object-existence-prior", "1.5,-0.5"], "must hold probabilities >= 0"),
        (["--object-existence-prior", "1,0"], "nothing to add"),
        (
            ["--object-existence-prior", "0,1", "--program", "object_rotation"],
            "only for the render_add_* programs, not object_rotation",
        ),
    ],
)
def test_bad_existence_prior_flag_is_refused_before_writing(
    flags: list, words: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    argv = ["giraffe", "render", "--model", giraffe_ckpt, "--steps", "2", "--n-samples", "1"]
    if "--program" not in flags:
        argv += ["--program", "render_add_cars"]
    out = tmp_path / "out"
    rc, err = run_main(capsys, *argv, *flags, "--out-dir", out)
    assert rc == 2 and "Traceback" not in err, err
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert not out.exists()
