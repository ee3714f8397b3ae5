"""Bad YAML configs against ``inrkit liif train``, ``inrkit liif test`` and
``inrkit giraffe render --config``: missing keys, wrong types, unknown model names, negative
sizes, Python-object tags (whose payload would create a marker file), and files that are
empty, not YAML, missing or folders. Each is refused with one line naming the file.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from testlib import corpus
from testlib.robustness import LIIF_MODEL, OFFLINE, assert_one_error, run_main

from inrkit.errors import InrkitError

TINY_LIIF = {
    "name": "liif",
    "args": {
        "encoder_spec": {
            "name": "edsr-baseline",
            "args": {"n_resblocks": 1, "n_feats": 8, "no_upsampling": True},
        },
        "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [16]}},
    },
}


def train_config(root: str) -> dict:
    return {
        "train_dataset": corpus.dataset_spec(root),
        "val_dataset": corpus.dataset_spec(root),
        "data_norm": corpus.DATA_NORM,
        "model": TINY_LIIF,
        "optimizer": {"name": "adam", "args": {"lr": 1.0e-3}},
        "epoch_max": 1,
    }


def giraffe_config() -> dict:
    return {"method": "giraffe", "data": {"img_size": 32}, "model": {"z_dim": 8}}


def _set(cfg: dict, dotted: str, value: object) -> dict:
    cfg = copy.deepcopy(cfg)
    *parents, last = dotted.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return cfg


_DELETE = object()
# case -> (dotted key, new value) per command; None where the case does not apply.
EDITS = {
    "liif-train": {
        "missing-key": ("model", _DELETE),
        "wrong-type": ("epoch_max", "ten"),
        "unknown-model": ("model.name", "no-such-model"),
        "negative-size": ("train_dataset.batch_size", -4),
        "negative-patch": ("train_dataset.wrapper.args.inp_size", -8),
    },
    "liif-test": {
        "missing-key": ("test_dataset", _DELETE),
        "wrong-type": ("eval_bsize", "many"),
        "unknown-model": ("test_dataset.dataset.name", "no-such-dataset"),
        "negative-size": ("test_dataset.batch_size", -1),
        "negative-patch": ("eval_bsize", -300),
    },
    "giraffe-render": {
        "missing-key": ("model", "not a mapping"),  # every key has a default: a broken section
        "wrong-type": ("model.z_dim", "big"),
        "unknown-model": ("method", "nerf"),
        "negative-size": ("data.img_size", -64),
        "negative-patch": ("model.z_dim", -8),
    },
}
FILE_CASES = ["python-tag", "empty", "not-yaml", "folder", "missing", "list-at-top"]
CASES = [*EDITS["liif-train"], *FILE_CASES]


def bad_config(case: str, command: str, tmp_path: Path) -> Path:
    path = tmp_path / "cfg" / f"{case}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if case == "python-tag":
        path.write_text(corpus.yaml_payload(tmp_path))
    elif case == "empty":
        path.write_text("")
    elif case == "not-yaml":
        path.write_text("model: [unclosed\n  : : {\n")
    elif case == "folder":
        path.mkdir()
    elif case == "list-at-top":
        path.write_text("- 1\n- 2\n")
    elif case != "missing":
        base = {
            "liif-train": lambda: train_config(str(tmp_path / "hr")),
            "liif-test": lambda: corpus.liif_test_config(tmp_path / "hr"),
            "giraffe-render": giraffe_config,
        }[command]()
        key, value = EDITS[command][case]
        corpus.yaml_dump(path.parent, path.name, _set(base, key, value))
    return path


def _argv(command: str, cfg: Path, tmp_path: Path, giraffe_ckpt: Path) -> list:
    out = tmp_path / "out"
    if command == "liif-train":
        return ["liif", "train", cfg, "--out-dir", out, "--name", "run", "-q"]
    if command == "liif-test":
        return ["liif", "test", cfg, "--model", LIIF_MODEL]
    return [
        "giraffe",
        "render",
        "--model",
        giraffe_ckpt,
        "--config",
        cfg,
        "--out-dir",
        out,
        "--n-samples",
        "1",
        "--steps",
        "2",
        "--program",
        "object_rotation",
        "-q",
    ]


@pytest.fixture
def hr(tmp_path: Path) -> Path:
    for i in range(2):
        corpus.write(tmp_path / "hr", f"{i}.png", corpus._encoded("PNG", corpus._rgb(24, 24, i)))
    return tmp_path / "hr"


@pytest.mark.parametrize("command", list(EDITS))
@pytest.mark.parametrize("case", CASES)
def test_bad_config_is_refused(
    case: str, command: str, tmp_path: Path, hr: Path, giraffe_ckpt: Path, capsys
) -> None:
    cfg = bad_config(case, command, tmp_path)
    before = corpus.listing(tmp_path)
    rc, err = run_main(capsys, *_argv(command, cfg, tmp_path, giraffe_ckpt))
    assert_one_error(rc, err, cfg)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("*.*"))
    after = {k: v for k, v in corpus.listing(tmp_path).items() if "/out" not in k}
    assert after == {k: v for k, v in before.items() if "/out" not in k}


@pytest.mark.parametrize("command", list(EDITS))
def test_python_tag_refused_by_the_real_command(
    run_inrkit, command: str, tmp_path: Path, hr: Path, giraffe_ckpt: Path
) -> None:
    cfg = bad_config("python-tag", command, tmp_path)
    done = run_inrkit(*_argv(command, cfg, tmp_path, giraffe_ckpt), env=OFFLINE)
    assert_one_error(done.returncode, done.stderr, cfg)


@pytest.mark.parametrize("case", CASES)
def test_python_config_readers_refuse(case: str, tmp_path: Path, hr: Path) -> None:
    """The same files through the Python API: InrkitError naming the file, for each reader."""
    from inrkit.giraffe import read_config
    from inrkit.liif.config import load_config
    from inrkit.liif.eval_config import load_test_config

    readers = {"liif-train": load_config, "liif-test": load_test_config}
    readers["giraffe-render"] = read_config
    for command, read in readers.items():
        cfg = bad_config(case, command, tmp_path / command)
        if (command, case) == ("giraffe-render", "empty"):
            # As the official loader: an empty file inherits everything from default.yaml.
            assert read(cfg).img_size == 64
            continue
        with pytest.raises(InrkitError, match=re.escape(cfg.name)):
            read(cfg)


def test_unknown_giraffe_preset_is_refused(tmp_path: Path, giraffe_ckpt: Path, capsys) -> None:
    argv = ["giraffe", "render", "--model", giraffe_ckpt, "--config", "no_such_preset"]
    rc, err = run_main(capsys, *argv, "--out-dir", tmp_path / "out")
    assert_one_error(rc, err, "no_such_preset")
    assert not (tmp_path / "out").exists()
