"""prepare-celebahq on tiny fake originals: four sizes, the split, resuming, refusals, CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.data.celebahq import SIZES, default_split, prepare_celebahq
from inrkit.errors import InrkitError

NAMES = ["00000.png", "00001.png", "00002.png", "00003.png"]


def _original(path: Path, w: int = 64, h: int = 64, seed: int = 0) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path, quality=95)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    """Four small 'originals' as JPEGs like data1024x1024 (the code must not assume 1024)."""
    folder = tmp_path / "data1024x1024"
    folder.mkdir()
    for i in range(4):
        _original(folder / f"{i:05d}.jpg", seed=i)
    return folder


def _prepare(src: Path, root: Path, **kwargs):
    return prepare_celebahq(src, root, progress=False, **kwargs)


def _error(src: Path, root: Path, **kwargs) -> str:
    with pytest.raises(InrkitError) as info:
        _prepare(src, root, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_all_sizes_and_split(src, tmp_path):
    root = tmp_path / "load"
    done = _prepare(src, root)
    assert (done.written, done.skipped, done.n_train, done.n_val) == (4, 0, 3, 1)
    for size in SIZES:
        files = sorted(p.name for p in (root / "celebAHQ" / str(size)).iterdir())
        assert files == NAMES
        with Image.open(root / "celebAHQ" / str(size) / NAMES[0]) as img:
            assert (img.format, img.mode, img.size) == ("PNG", "RGB", (size, size))
    split = json.loads((root / "celebAHQ" / "split.json").read_text())
    assert split == {"train": NAMES[:3], "val": NAMES[3:]}


def test_resize_is_the_official_cascade(src, tmp_path):
    _prepare(src, tmp_path)
    original = Image.open(src / "00002.jpg").convert("RGB")
    big = original.resize((256, 256), Image.BICUBIC)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "celebAHQ/256/00002.png")), big)
    # Like the official resize.py, the small sizes come from the 256 image, not the original.
    small = np.asarray(big.resize((32, 32), Image.BICUBIC))
    assert np.array_equal(np.asarray(Image.open(tmp_path / "celebAHQ/32/00002.png")), small)


def test_default_split_is_the_official_proportion():
    names = [f"{i:05d}.png" for i in range(30000)]
    split = default_split(list(reversed(names)))
    assert split["train"] == names[:27000] and split["val"] == names[27000:]
    assert default_split(["a.png"]) == {"train": ["a.png"], "val": []}
    assert {k: len(v) for k, v in default_split(names[:26]).items()} == {"train": 23, "val": 3}


def test_resumes_and_keeps_finished_outputs(src, tmp_path):
    _prepare(src, tmp_path)
    out = tmp_path / "celebAHQ"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    expected = (out / "64" / "00001.png").read_bytes()
    assert _prepare(src, tmp_path).skipped == 4
    (out / "64" / "00001.png").unlink()
    done = _prepare(src, tmp_path)
    assert (done.written, done.skipped) == (1, 3)
    assert (out / "64" / "00001.png").read_bytes() == expected  # remade from the 256 image
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*.png")}
    assert {p for p in before if before[p] != after[p]} == {out / "64" / "00001.png"}


def test_refuses_differing_outputs_without_overwrite(src, tmp_path):
    _prepare(src, tmp_path)
    bad = tmp_path / "celebAHQ" / "128" / "00001.png"
    _original(bad, 100, 100)
    message = _error(src, tmp_path)
    assert message == f"{bad}: exists and is not a PNG of this size; use --overwrite to replace"
    assert _prepare(src, tmp_path, overwrite=True).written == 4
    assert Image.open(bad).size == (128, 128)


def test_split_option_existing_split_and_conflicts(src, tmp_path):
    custom = tmp_path / "custom.json"
    custom.write_text(json.dumps({"train": NAMES[1:], "val": NAMES[:1]}))
    assert _prepare(src, tmp_path / "a", split_file=custom).n_val == 1
    split_file = tmp_path / "a" / "celebAHQ" / "split.json"
    assert json.loads(split_file.read_text())["val"] == NAMES[:1]
    # Without --split, the split already there (e.g. the official one) is kept.
    assert _prepare(src, tmp_path / "a").n_train == 3
    assert json.loads(split_file.read_text())["val"] == NAMES[:1]
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"train": NAMES[:2], "val": NAMES[2:]}))
    assert "exists with a different split" in _error(src, tmp_path / "a", split_file=other)
    assert _prepare(src, tmp_path / "a", split_file=other, overwrite=True).n_val == 2
    other.write_text(json.dumps({"train": ["99999.png"], "val": []}))
    assert "lists '99999.png', which no original becomes" in _error(src, tmp_path, split_file=other)
    other.write_text(json.dumps({"train": NAMES}))
    assert "needs 'val'" in _error(src, tmp_path, split_file=other)


def test_bad_sources_are_named(src, tmp_path):
    assert _error(tmp_path / "nope", tmp_path) == f"{tmp_path / 'nope'}: no such folder"
    empty = tmp_path / "empty"
    (empty / "data1024x1024").mkdir(parents=True)
    message = _error(empty, tmp_path)
    assert message == f"{empty}: no images in this folder (are they in {empty / 'data1024x1024'}?)"
    _original(src / "00004.jpg", 64, 48)
    assert _error(src, tmp_path).startswith(f"{src / '00004.jpg'}: not square (64x48)")
    (src / "00004.jpg").write_bytes(b"not really a jpeg")
    assert _error(src, tmp_path).startswith(f"{src / '00004.jpg'}: not an image")
    (src / "00004.jpg").unlink()
    (src / "notes.txt").write_text("hello")
    assert _error(src, tmp_path).startswith(f"{src / 'notes.txt'}: not an image file")
    assert not (tmp_path / "celebAHQ").exists()  # nothing written before the checks pass


def test_cli(run_inrkit, src, tmp_path):
    result = run_inrkit("data", "prepare-celebahq", str(src), "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "4 images resized, 0 already done; split: 3 train / 1 val" in result.stdout
    _original(src / "00009.png", 32, 64)
    result = run_inrkit("data", "prepare-celebahq", str(src), "--root", str(tmp_path), "-q")
    assert result.returncode == 2 and result.stdout == ""
    assert (
        result.stderr == f"inrkit: error: {src / '00009.png'}: not square (32x64); "
        "CelebAHQ faces are square\n"
    )
