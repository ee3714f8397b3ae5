"""inrkit data make-lr on tiny HR folders: the benchmark layout, modes, crops, refusals, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.data.make_lr import make_lr
from inrkit.data.matlab_bicubic import imresize_down
from inrkit.errors import InrkitError

MAKE_LR = ("data", "make-lr")


def _pixels(shape: tuple[int, ...], seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


@pytest.fixture
def hr(tmp_path: Path) -> Path:
    """A colour image whose sides are no multiple of 3 or 4, and a grey one."""
    folder = tmp_path / "HR"
    folder.mkdir()
    Image.fromarray(_pixels((13, 10, 3), 0)).save(folder / "city.png")
    Image.fromarray(_pixels((12, 12), 1)).save(folder / "bridge.png")
    return folder


def _make(hr: Path, out: Path, scales=(2, 3, 4), **kwargs):
    return make_lr(hr, list(scales), out, progress=False, **kwargs)


def _error(hr: Path, out: Path, scales=(2, 3, 4), **kwargs) -> str:
    with pytest.raises(InrkitError) as info:
        _make(hr, out, scales, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_benchmark_layout_names_modes_and_crops(hr, tmp_path):
    out = tmp_path / "LR_bicubic"
    made = _make(hr, out)
    assert (made.images, made.written) == (2, 6)
    files = sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    assert files == [
        "X2",
        "X2/bridgex2.png",
        "X2/cityx2.png",
        "X3",
        "X3/bridgex3.png",
        "X3/cityx3.png",
        "X4",
        "X4/bridgex4.png",
        "X4/cityx4.png",
    ]
    city = np.asarray(Image.open(hr / "city.png"))
    for s, size in ((2, (5, 6)), (3, (3, 4)), (4, (2, 3))):  # (W, H) of the cropped HR / s
        with Image.open(out / f"X{s}" / f"cityx{s}.png") as img:
            assert (img.mode, img.size) == ("RGB", size)
            # The crop keeps the top-left corner (MATLAB's modcrop drops the last rows/columns).
            h, w = size[1] * s, size[0] * s
            assert np.array_equal(np.asarray(img), imresize_down(city[:h, :w], s))
        with Image.open(out / f"X{s}" / f"bridgex{s}.png") as img:
            assert (img.mode, img.size) == ("L", (12 // s, 12 // s))  # grey stays grey


def test_palette_and_alpha_images(tmp_path):
    folder = tmp_path / "HR"
    folder.mkdir()
    rgb = Image.fromarray(_pixels((8, 8, 3), 2))
    rgb.quantize(16).save(folder / "palette.png")
    Image.fromarray(_pixels((8, 8, 4), 3)).save(folder / "alpha.png")
    _make(folder, tmp_path / "out", [2])
    assert Image.open(tmp_path / "out/X2/palettex2.png").mode == "RGB"  # opaque palette
    with Image.open(tmp_path / "out/X2/alphax2.png") as img:
        assert img.mode == "RGBA"
        want = imresize_down(np.asarray(Image.open(folder / "alpha.png")), 2)
        assert np.array_equal(np.asarray(img), want)


def test_refuses_existing_outputs_unless_overwrite(hr, tmp_path):
    out = tmp_path / "LR"
    _make(hr, out, [2])
    mine = out / "X2" / "cityx2.png"
    mine.write_bytes(b"the user's own file")
    message = _error(hr, out, [2, 3])
    assert message == f"{mine.parent / 'bridgex2.png'}: already exists (and 1 more); " + (
        "use --overwrite to replace"
    )
    assert mine.read_bytes() == b"the user's own file" and not (out / "X3").exists()
    assert _make(hr, out, [2, 3], overwrite=True).written == 4
    assert Image.open(mine).size == (5, 6)


def test_bad_inputs_are_named_and_nothing_is_written(hr, tmp_path):
    out = tmp_path / "LR"
    assert _error(tmp_path / "nope", out) == f"{tmp_path / 'nope'}: no such folder"
    (hr / "README.txt").write_text("notes")
    assert _error(hr, out).startswith(f"{hr / 'README.txt'}: not an image file")
    (hr / "README.txt").unlink()
    (hr / "fake.png").write_bytes(b"not a png at all")
    assert _error(hr, out).startswith(f"{hr / 'fake.png'}: not an image")
    (hr / "fake.png").unlink()
    Image.fromarray(_pixels((3, 9, 3), 4)).save(hr / "thin.png")
    assert _error(hr, out) == f"{hr / 'thin.png'}: is 9x3, smaller than the scale 4"
    (hr / "thin.png").unlink()
    Image.fromarray(np.zeros((8, 8), np.uint16)).save(hr / "deep.png")
    assert "I;16 images are not supported" in _error(hr, out)
    (hr / "deep.png").unlink()
    Image.fromarray(_pixels((8, 8, 3), 5)).save(hr / "city.jpg")
    assert _error(hr, out) == f"{hr / 'city.png'}: has the same name as city.jpg (both -> .png)"
    (hr / "city.jpg").unlink()
    for scales in ([0], [2, -1], [2.5], [True]):
        assert _error(hr, out, scales).startswith("scale must be a positive integer")
    assert _error(hr, out, []) == "give at least one scale"
    (tmp_path / "file").write_text("x")
    assert _error(hr, tmp_path / "file" / "LR") == f"{tmp_path / 'file'}: is a file, not a folder"
    assert not out.exists()


def test_a_failure_part_way_removes_what_the_run_wrote(hr, tmp_path):
    # A PNG whose header is fine but whose pixel data is cut: found only when decoding.
    Image.fromarray(_pixels((40, 40, 3), 6)).save(hr / "zz_cut.png")
    data = (hr / "zz_cut.png").read_bytes()
    (hr / "zz_cut.png").write_bytes(data[: len(data) // 2])
    out = tmp_path / "LR"
    (out / "X2").mkdir(parents=True)
    (out / "X2" / "keep.png").write_bytes(b"someone else's")
    assert "zz_cut.png: truncated or corrupt image" in _error(hr, out, [2, 3])
    assert sorted(p.name for p in out.rglob("*")) == ["X2", "keep.png"]


def test_cli(run_inrkit, hr, tmp_path):
    result = run_inrkit(*MAKE_LR, str(hr), "--scale", "2,3", "--out", "LR")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("LR/{X2,X3}: 4 LR images of 2 HR images in ")
    assert (tmp_path / "LR" / "X3" / "cityx3.png").is_file()
    result = run_inrkit(*MAKE_LR, str(hr), "--scale", "2", "--out", "LR", "-q")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        "inrkit: error: LR/X2/bridgex2.png: already exists (and 1 more); "
        "use --overwrite to replace\n"
    )
    assert (
        run_inrkit(*MAKE_LR, str(hr), "--scale", "2", "--out", "LR", "--overwrite").returncode == 0
    )
    for bad in ("0", "2,x", "1.5", "-2"):
        result = run_inrkit(*MAKE_LR, str(hr), "--scale", bad, "--out", "LR2")
        assert result.returncode == 2
        assert result.stderr.startswith("inrkit: error: argument --scale: scale must be a positive")
        assert result.stderr.count("\n") == 1
    assert not (tmp_path / "LR2").exists()
