"""The official load/ layouts built tiny in tmp_path, read by make_dataset with every wrapper."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from inrkit.data import layouts
from inrkit.data.specs import make_dataset
from inrkit.errors import InrkitError

HR = 48  # HR side; LR sides are HR // scale


def _png(path: Path, side: int, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)


def _pairs(lr_dir: Path, hr_dir: Path, names: list[str], scale: int) -> None:
    for i, name in enumerate(names):
        _png(hr_dir / f"{name}.png", HR, i)
        _png(lr_dir / f"{name}x{scale}.png", HR // scale, 100 + i)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """Every layout, two or three small PNGs per folder."""
    root = tmp_path / "load"
    for i, name in enumerate(["0001", "0002", "0003"]):
        _png(root / "div2k" / "DIV2K_train_HR" / f"{name}.png", HR, i)
    for s in layouts.SCALES:
        lr = root / "div2k" / "DIV2K_valid_LR_bicubic" / f"X{s}"
        _pairs(lr, root / "div2k" / "DIV2K_valid_HR", ["0801", "0802"], s)
        for bench in layouts.BENCHMARKS:
            folder = root / "benchmark" / bench
            _pairs(folder / "LR_bicubic" / f"X{s}", folder / "HR", ["baby", "bird"], s)
    for size in layouts.CELEBAHQ_SIZES:
        for i, name in enumerate(["00000.png", "00001.png", "00002.png"]):
            _png(root / "celebAHQ" / str(size) / name, size, i)
    split = {"train": ["00000.png", "00001.png"], "val": ["00002.png"]}
    (root / "celebAHQ" / "split.json").write_text(json.dumps(split))
    return root


def _check(
    sample: dict[str, torch.Tensor],
    inp_hw: tuple[int, int],
    hr_hw: tuple[int, int],
    q: int | None = None,
) -> None:
    q = hr_hw[0] * hr_hw[1] if q is None else q
    assert sample["inp"].shape == (3, *inp_hw)
    assert sample["coord"].shape == sample["cell"].shape == (q, 2)
    assert sample["gt"].shape == (q, 3)
    for key in ("inp", "gt"):
        assert sample[key].dtype == torch.float32
        assert 0 <= sample[key].min() and sample[key].max() <= 1
    assert sample["coord"].abs().max() <= 1
    expected_cell = torch.tensor([2 / hr_hw[0], 2 / hr_hw[1]])
    torch.testing.assert_close(sample["cell"], expected_cell.expand(q, 2))


def _make(dataset: str, args: dict, wrapper: str | None = None, wargs: dict | None = None):
    spec = {"dataset": {"name": dataset, "args": args}}
    if wrapper:
        spec["wrapper"] = {"name": wrapper, "args": wargs or {}}
    return make_dataset(spec)


# ----- each layout through each official wrapper -------------------------------------------
@pytest.mark.parametrize("cache", ["none", "in_memory", "bin"])
def test_div2k_train_downsampled(root, cache):
    args = {"root": str(root), "split": "train", "first_k": 2, "repeat": 3, "cache": cache}
    plain = _make("div2k", args)
    assert len(plain) == 6 and plain[0].shape == (3, HR, HR)
    torch.testing.assert_close(plain[0], plain[2])  # repeat cycles through the first_k images
    wargs = {"inp_size": 8, "scale_min": 3, "scale_max": 3, "augment": True, "sample_q": 50}
    data = _make("div2k", args, "sr-implicit-downsampled", wargs)
    _check(data[1], (8, 8), (24, 24), q=50)
    assert (root / "div2k" / "_bin_DIV2K_train_HR").is_dir() == (cache == "bin")


def test_div2k_valid_whole_images_random_scale(root):
    data = _make(
        "div2k",
        {"root": root, "split": "valid"},
        "sr-implicit-downsampled",
        {"scale_min": 1, "scale_max": 4},
    )
    assert len(data) == 2
    sample = data[0]
    h = sample["inp"].shape[-2]
    assert HR // 4 <= h <= HR
    assert 2 / sample["cell"][0, 0] <= HR  # the HR crop fits the image


@pytest.mark.parametrize("scale", layouts.SCALES)
def test_div2k_paired(root, scale):
    data = _make("div2k-paired", {"root": root, "scale": scale}, "sr-implicit-paired")
    assert len(data) == 2
    lr_side = HR // scale
    _check(data[1], (lr_side, lr_side), (lr_side * scale, lr_side * scale))
    args = {"root": root, "scale": scale, "cache": "in_memory"}
    wargs = {"inp_size": 4, "augment": True, "sample_q": 9}
    crops = _make("div2k-paired", args, "sr-implicit-paired", wargs)
    _check(crops[0], (4, 4), (4 * scale, 4 * scale), q=9)


def test_div2k_pairs_match_by_name(root):
    lr, hr = _make("div2k-paired", {"root": root, "scale": 2})[1]
    expected_lr = Image.open(root / "div2k" / "DIV2K_valid_LR_bicubic" / "X2" / "0802x2.png")
    expected_hr = Image.open(root / "div2k" / "DIV2K_valid_HR" / "0802.png")
    assert torch.equal(
        (lr * 255).round().byte().permute(1, 2, 0), torch.from_numpy(np.array(expected_lr))
    )
    assert torch.equal(
        (hr * 255).round().byte().permute(1, 2, 0), torch.from_numpy(np.array(expected_hr))
    )


@pytest.mark.parametrize("name", layouts.BENCHMARKS)
def test_benchmarks(root, name):
    hr = _make(
        "benchmark", {"root": root, "name": name}, "sr-implicit-downsampled", {"scale_min": 4}
    )
    assert len(hr) == 2
    _check(hr[0], (12, 12), (48, 48))
    pairs = _make(
        "benchmark-paired", {"root": root, "name": name, "scale": 3}, "sr-implicit-paired"
    )
    _check(pairs[1], (16, 16), (48, 48))


def test_celebahq_uniform_varied(root):
    args = {"root": root, "split": "train", "inp_size": 32, "out_size": 256}
    data = _make(
        "celebahq-paired",
        args,
        "sr-implicit-uniform-varied",
        {"size_min": 32, "size_max": 256, "augment": True, "sample_q": 100},
    )
    assert len(data) == 2
    _check(data[0], (32, 32), (32, 32), q=100)  # the HR size grows with the index
    _check(data[1], (32, 32), (256, 256), q=100)
    val = _make(
        "celebahq-paired", {**args, "split": "val"}, "sr-implicit-uniform-varied", {"size_min": 256}
    )
    assert len(val) == 1
    _check(val[0], (32, 32), (256, 256))


def test_celebahq_64_128_paired(root):
    data = _make(
        "celebahq-paired",
        {"root": root, "split": "val", "inp_size": 64, "out_size": 128, "cache": "bin"},
        "sr-implicit-paired",
    )
    _check(data[0], (64, 64), (128, 128))


def test_image_glob_folder_and_pattern(root):
    folder = root / "div2k" / "DIV2K_train_HR"
    (folder / "notes.txt").write_text("not an image")
    assert len(_make("image-glob", {"path": str(folder)})) == 3
    pattern = str(root / "benchmark" / "**" / "HR" / "*.png")
    data = _make(
        "image-glob",
        {"path": pattern, "first_k": 5},
        "sr-implicit-downsampled",
        {"inp_size": 6, "scale_min": 2, "scale_max": 2, "sample_q": 7},
    )
    assert len(data) == 5
    _check(data[4], (6, 6), (12, 12), q=7)
    assert len(_make("image-glob", {"path": str(folder / "*")})) == 3  # notes.txt left out


# ----- errors name the missing path ---------------------------------------------------------
def _error(dataset: str, args: dict) -> str:
    with pytest.raises(InrkitError) as info:
        _make(dataset, args)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_missing_folders_name_the_path_and_the_fix(tmp_path, root):
    empty = tmp_path / "empty"
    message = _error("div2k-paired", {"root": empty, "scale": 4})
    missing = empty / "div2k" / "DIV2K_valid_LR_bicubic" / "X4"
    assert (
        message
        == f"{missing}: folder missing (fetch it with `inrkit data fetch div2k --root {empty}`)"
    )
    message = _error("benchmark-paired", {"root": root, "name": "Manga109", "scale": 2})
    assert str(root / "benchmark" / "Manga109" / "LR_bicubic" / "X2") in message
    assert "inrkit data fetch benchmark" in message
    message = _error("celebahq-paired", {"root": empty})
    assert str(empty / "celebAHQ" / "32") in message and "prepare-celebahq" in message


def test_default_root_comes_from_the_environment(root, monkeypatch):
    monkeypatch.setenv("INRKIT_DATA_ROOT", str(root))
    assert len(_make("div2k", {"split": "valid"})) == 2
    monkeypatch.delenv("INRKIT_DATA_ROOT")
    assert layouts.data_root() == Path("load")


def test_missing_partner_is_named(root):
    hr_dir = root / "div2k" / "DIV2K_valid_HR"
    lr_dir = root / "div2k" / "DIV2K_valid_LR_bicubic" / "X4"
    (lr_dir / "0802x4.png").unlink()
    message = _error("div2k-paired", {"root": root, "scale": 4})
    assert message == f"{lr_dir / '0802x4.png'}: missing (the LR partner of {hr_dir / '0802.png'})"
    (root / "celebAHQ" / "256" / "00001.png").unlink()
    message = _error("celebahq-paired", {"root": root})
    assert message.startswith(f"{root / 'celebAHQ' / '256' / '00001.png'}: missing")


def test_paired_by_name_pairs_names_not_sort_positions(tmp_path):
    # "a.png" < "a_b.png" but "a_bx2.png" < "ax2.png": zipping two sorted listings would cross them.
    _pairs(tmp_path / "lr", tmp_path / "hr", ["a", "a_b"], 2)
    pairs = layouts.paired_by_name(tmp_path / "lr", tmp_path / "hr", 2)
    assert [(lr.name, hr.name) for lr, hr in pairs] == [
        ("ax2.png", "a.png"),
        ("a_bx2.png", "a_b.png"),
    ]
    for i, name in enumerate(["b.png", "c.png"]):  # same names (CelebAHQ)
        _png(tmp_path / "small" / name, 8, i)
        _png(tmp_path / "big" / name, 16, i)
    pairs = layouts.paired_by_name(tmp_path / "small", tmp_path / "big")
    assert [(lr.parent.name, hr.name) for lr, hr in pairs] == [
        ("small", "b.png"),
        ("small", "c.png"),
    ]


def test_bad_arguments(root):
    assert "split must be train or valid" in _error("div2k", {"root": root, "split": "test"})
    assert "scale must be one of 2, 3, 4" in _error("div2k-paired", {"root": root, "scale": 8})
    assert "size must be one of 32" in _error("celebahq-paired", {"root": root, "inp_size": 48})
    assert "split must be train or val" in _error("celebahq-paired", {"root": root, "split": "x"})
    assert "no images match" in _error("image-glob", {"path": str(root / "*.jpg")})
    assert "no such folder" in _error("image-glob", {"path": str(root / "nope")})
    (root / "celebAHQ" / "split.json").write_text("[1, 2]")
    assert "not a split file" in _error("celebahq-paired", {"root": root})


def test_concat_trains_on_several_sets_as_one(root, tmp_path):
    parts = [
        {"name": "benchmark", "args": {"root": str(root), "name": "B100"}},
        {"name": "benchmark", "args": {"root": str(root), "name": "Urban100", "repeat": 2}},
        {"name": "image-glob", "args": {"path": str(root / "div2k" / "DIV2K_train_HR")}},
    ]
    both = _make("concat", {"datasets": parts}, "sr-implicit-downsampled", {"inp_size": 8})
    assert len(both) == 2 + 2 * 2 + 3
    _check(both[len(both) - 1], (8, 8), (8, 8))  # scale 1: an image of the last part
    sizes = both.dataset.image_sizes()
    assert len(sizes) == 2 + 2 + 3 and all((h, w) == (HR, HR) for _, h, w in sizes)
    # The size check before training sees every part: a small image in the last one is named.
    _png(tmp_path / "small" / "tiny.png", 20, 0)
    parts.append({"name": "image-glob", "args": {"path": str(tmp_path / "small")}})
    wargs = {"inp_size": 8, "scale_max": 4}  # HR crops up to 32x32
    wrapped = _make("concat", {"datasets": parts}, "sr-implicit-downsampled", wargs)
    with pytest.raises(InrkitError, match="tiny.png: image is 20x20"):
        wrapped.check_sizes()


def test_concat_refuses_bad_parts_by_position(root):
    assert "datasets must be a non-empty list" in _error("concat", {"datasets": []})
    bad = [{"name": "benchmark", "args": {"root": str(root)}}, {"name": "nope"}]
    assert "datasets[1].name: unknown 'nope'" in _error("concat", {"datasets": bad})
    bad[1] = {"name": "benchmark", "args": {"root": str(root), "repeat": 0}}
    assert "datasets[1].args.repeat must be positive" in _error("concat", {"datasets": bad})
