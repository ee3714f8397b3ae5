"""Bad checkpoint files against every loader: the Python API and each command taking --model.

Truncated, empty, a folder, text, the other method's checkpoint, mismatched shapes, and a
pickle whose ``__reduce__`` would create a marker file: all refused with one line naming the
file, and the payload never runs (``weights_only=True``).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from testlib import corpus
from testlib.robustness import LIIF_MODEL, OFFLINE, assert_one_error, run_main

import inrkit.giraffe as giraffe
import inrkit.liif as liif
from inrkit.errors import InrkitError

CASES = ["truncated", "empty", "folder", "text", "other-method", "shapes", "pickled-code"]


def _liif_shapes(folder: Path) -> Path:
    ckpt = torch.load(LIIF_MODEL, weights_only=True)
    name = next(iter(ckpt["model"]["sd"]))
    ckpt["model"]["sd"][name] = torch.zeros(7, 5)  # a weight of the wrong shape
    torch.save(ckpt, folder / "shapes.pth")
    return folder / "shapes.pth"


def _giraffe_shapes(src: Path, folder: Path) -> Path:
    ckpt = torch.load(src, weights_only=True)
    sd = next(v for v in ckpt.values() if isinstance(v, dict) and v)  # the first state dict
    key = next(k for k, v in sd.items() if torch.is_tensor(v) and v.ndim)
    sd[key] = torch.zeros(3, 1, 2)
    torch.save(ckpt, folder / "shapes.pt")
    return folder / "shapes.pt"


def bad_checkpoint(case: str, method: str, folder: Path, giraffe_ckpt: Path) -> Path:
    """Write the bad checkpoint ``case`` for ``method`` ('liif' or 'giraffe') into ``folder``."""
    own, other = (LIIF_MODEL, giraffe_ckpt) if method == "liif" else (giraffe_ckpt, LIIF_MODEL)
    if case == "truncated":
        return corpus.truncated_copy(own, folder, "trunc.pth")
    if case == "empty":
        return corpus.write(folder, "empty.pth", b"")
    if case == "folder":
        (folder / "dir.pth").mkdir()
        return folder / "dir.pth"
    if case == "text":
        return corpus.write(folder, "notes.pth", b"not a checkpoint\n")
    if case == "other-method":
        return corpus.write(folder, "other.pth", other.read_bytes())
    if case == "shapes":
        return _liif_shapes(folder) if method == "liif" else _giraffe_shapes(own, folder)
    return corpus.pickled_code(folder)


@pytest.mark.parametrize("case", CASES)
def test_liif_load_refuses(case: str, tmp_path: Path, giraffe_ckpt: Path) -> None:
    path = bad_checkpoint(case, "liif", tmp_path, giraffe_ckpt)
    with pytest.raises(InrkitError, match=str(path.name)):
        liif.load(path)


@pytest.mark.parametrize("case", CASES)
def test_giraffe_load_refuses(case: str, tmp_path: Path, giraffe_ckpt: Path) -> None:
    path = bad_checkpoint(case, "giraffe", tmp_path, giraffe_ckpt)
    with pytest.raises(InrkitError, match=str(path.name)):
        giraffe.load(path)


def _cli(command: str, model: Path, tmp_path: Path) -> list[str]:
    """The argv of ``command`` with ``--model model`` and otherwise good inputs."""
    out = tmp_path / "out"
    if command == "upscale":
        img = corpus.good_image(tmp_path / "in", "palette")
        return ["upscale", img, "--scale", "2", "--model", model, "--out-dir", out]
    if command == "liif-eval":
        corpus.good_image(tmp_path / "hr", "palette")
        return ["liif", "eval", "--dataset", tmp_path / "hr", "--scale", "2", "--model", model]
    if command == "liif-test":
        corpus.good_image(tmp_path / "hr", "palette")
        cfg = corpus.yaml_dump(tmp_path, "test.yaml", corpus.liif_test_config(tmp_path / "hr"))
        return ["liif", "test", cfg, "--model", model]
    flags = "--config cars_64 --n-samples 1 --steps 2 --program object_rotation".split()
    return ["giraffe", "render", "--model", model, "--out-dir", out, *flags]


@pytest.mark.parametrize("command", ["upscale", "liif-eval", "liif-test", "giraffe-render"])
@pytest.mark.parametrize("case", CASES)
def test_cli_refuses_bad_checkpoint(
    case: str, command: str, tmp_path: Path, giraffe_ckpt: Path, capsys
) -> None:
    model = bad_checkpoint(
        case, "giraffe" if command.startswith("giraffe") else "liif", tmp_path, giraffe_ckpt
    )
    argv = _cli(command, model, tmp_path)
    before = corpus.listing(tmp_path)
    rc, err = run_main(capsys, *argv)
    assert_one_error(rc, err, model.name)
    after = corpus.listing(tmp_path)
    assert {k: v for k, v in after.items() if "/out" not in k[len(str(tmp_path)) :]} == before
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


@pytest.mark.parametrize("command", ["upscale", "liif-eval", "liif-test", "giraffe-render"])
def test_cli_subprocess_refuses_pickled_code(
    run_inrkit, command: str, tmp_path: Path, giraffe_ckpt: Path
) -> None:
    """The real command, end to end: one line, no traceback, the payload never ran."""
    model = corpus.pickled_code(tmp_path)
    done = run_inrkit(*_cli(command, model, tmp_path), env=OFFLINE)
    assert_one_error(done.returncode, done.stderr, model.name)
