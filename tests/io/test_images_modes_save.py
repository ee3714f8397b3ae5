"""Tests for inrkit.io mode conversion (every Pillow mode to float RGB and back, alpha) and
atomic writing of real files with ``save_image``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from testlib.images import RNG, assert_one_line_error, random_image

from inrkit.errors import InrkitError
from inrkit.io import (
    ImageLayout,
    from_float_rgb,
    read_image,
    resize_alpha,
    save_image,
    to_float_rgb,
)

# --- mode conversion --------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16"])
def test_lossless_round_trip_in_memory(mode: str) -> None:
    img = random_image(mode)
    rgb, alpha, layout = to_float_rgb(img)
    assert rgb.dtype == np.float32 and rgb.shape == (5, 7, 3)
    assert (alpha is not None) == ("A" in mode)
    back = from_float_rgb(rgb, alpha, layout)
    assert back.mode == img.mode
    np.testing.assert_array_equal(np.asarray(back), np.asarray(img))


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L", "LA", "I;16"])
def test_lossless_round_trip_through_png(tmp_path: Path, mode: str) -> None:
    img = random_image(mode)
    rgb, alpha, layout = to_float_rgb(read_image(save_image(img, tmp_path / "a.png")))
    out = read_image(save_image(from_float_rgb(rgb, alpha, layout), tmp_path / "b.png"))
    assert out.mode == img.mode
    np.testing.assert_array_equal(np.asarray(out), np.asarray(img))


def test_sixteen_bit_keeps_precision() -> None:
    values = np.array([[0, 1, 257, 65534, 65535]], dtype=np.uint16)
    rgb, alpha, layout = to_float_rgb(Image.fromarray(values))
    assert layout == ImageLayout("I;16", gray=True, has_alpha=False, bit_depth=16)
    assert alpha is None
    assert rgb[0, 1, 0] == pytest.approx(1 / 65535) and rgb[0, 4, 0] == 1.0


@pytest.mark.parametrize(
    ("mode", "gray", "has_alpha", "out_mode"),
    [
        ("P", False, False, "RGB"),
        ("PA", False, True, "RGBA"),
        ("1", True, False, "L"),
        ("CMYK", False, False, "RGB"),
        ("YCbCr", False, False, "RGB"),
        ("HSV", False, False, "RGB"),
        ("LAB", False, False, "RGB"),
        ("RGBX", False, False, "RGB"),
        ("RGBa", False, True, "RGBA"),
        ("I;16B", True, False, "I;16"),
        ("I", True, False, "I;16"),
        ("F", True, False, "I;16"),
    ],
)
def test_other_modes(mode: str, gray: bool, has_alpha: bool, out_mode: str) -> None:
    img = random_image("RGBA" if "A" in mode.upper() else "RGB").convert(mode)
    rgb, alpha, layout = to_float_rgb(img)
    assert rgb.dtype == np.float32 and rgb.shape == (5, 7, 3)
    assert 0.0 <= rgb.min() and rgb.max() <= 1.0
    assert (layout.mode, layout.gray, layout.has_alpha) == (mode, gray, has_alpha)
    assert (alpha is not None) == has_alpha
    if alpha is not None:
        assert alpha.dtype == np.float32 and alpha.shape == (5, 7)
    assert from_float_rgb(rgb, alpha, layout).mode == out_mode


def test_cmyk_matches_pillow() -> None:
    img = random_image("CMYK")
    rgb, _, _ = to_float_rgb(img)
    np.testing.assert_array_equal(np.rint(rgb * 255), np.asarray(img.convert("RGB")))


def test_palette_with_transparency_gives_alpha(tmp_path: Path) -> None:
    path = tmp_path / "keyed.png"
    img = Image.new("P", (4, 3), 1)
    img.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    img.putpixel((0, 0), 0)
    img.save(path, transparency=0)
    rgb, alpha, layout = to_float_rgb(read_image(path))
    assert layout.has_alpha and not layout.gray
    assert alpha is not None and alpha[0, 0] == 0.0 and alpha[2, 3] == 1.0
    assert tuple(rgb[2, 3]) == (0.0, 0.0, 1.0)
    assert from_float_rgb(rgb, alpha, layout).mode == "RGBA"


def test_gray_with_transparent_colour_gives_alpha() -> None:
    img = Image.fromarray(np.array([[0, 100], [100, 255]], dtype=np.uint8))
    img.info["transparency"] = 100
    _, alpha, layout = to_float_rgb(img)
    assert layout.gray and alpha is not None
    np.testing.assert_array_equal(alpha, [[1, 0], [0, 1]])
    assert from_float_rgb(*to_float_rgb(img)).mode == "LA"


@pytest.mark.parametrize(("top", "scale"), [(1.0, 1.0), (255.0, 255.0)])
def test_float_mode_range(top: float, scale: float) -> None:
    values = np.array([[0.0, top / 2, top, -3.0, np.nan]], dtype=np.float32)
    rgb, _, layout = to_float_rgb(Image.fromarray(values))
    np.testing.assert_allclose(rgb[0, :, 0], [0.0, 0.5, 1.0, 0.0, 0.0])
    assert layout.bit_depth == 16


def test_output_rounds_and_clips() -> None:
    rgb = np.array([[[10.6 / 255, 10.4 / 255, 2.0], [-1.0, np.nan, 0.5]]], dtype=np.float32)
    out = np.asarray(from_float_rgb(rgb, None, ImageLayout("RGB", False, False)))
    np.testing.assert_array_equal(out, [[[11, 10, 255], [0, 0, 128]]])


def test_gray_output_is_luma() -> None:
    rgb = np.zeros((1, 3, 3), dtype=np.float32)
    rgb[0, 0, 0] = rgb[0, 1, 1] = rgb[0, 2, 2] = 1.0
    out = from_float_rgb(rgb, None, ImageLayout("L", True, False))
    np.testing.assert_array_equal(np.asarray(out), [[76, 150, 29]])


def test_from_float_rgb_checks_shapes() -> None:
    layout = ImageLayout("RGB", False, False)
    with pytest.raises(ValueError):
        from_float_rgb(np.zeros((2, 2), np.float32), None, layout)
    with pytest.raises(ValueError):
        from_float_rgb(np.zeros((2, 2, 3), np.float32), np.zeros((3, 2), np.float32), layout)


def test_resize_alpha() -> None:
    alpha = RNG.random((5, 7)).astype(np.float32)
    alpha[0, 0], alpha[0, 1] = 0.0, 1.0  # a hard edge, where bicubic overshoots
    out = resize_alpha(alpha, (20, 28))
    assert out.shape == (20, 28) and out.dtype == np.float32
    assert 0.0 <= out.min() and out.max() <= 1.0
    np.testing.assert_allclose(resize_alpha(np.full((3, 4), 0.25), (9, 8)), 0.25, atol=1e-6)


# --- save_image -------------------------------------------------------------------------------


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "out.png"
    path.write_bytes(b"precious")
    with pytest.raises(InrkitError) as excinfo:
        save_image(random_image("RGB"), path)
    assert "already exists (use --overwrite)" in assert_one_line_error(excinfo, path)
    assert path.read_bytes() == b"precious"
    save_image(random_image("RGB"), path, overwrite=True)
    assert read_image(path).size == (7, 5)


def test_save_into_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "out.png"
    with pytest.raises(InrkitError) as excinfo:
        save_image(random_image("RGB"), path)
    assert "folder does not exist" in assert_one_line_error(excinfo, path)


def test_save_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "out.xyz"
    with pytest.raises(InrkitError) as excinfo:
        save_image(random_image("RGB"), path)
    assert "unknown image format '.xyz'" in assert_one_line_error(excinfo, path)


def test_failed_save_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_save(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        fp.write(b"half an image")  # type: ignore[attr-defined]
        raise RuntimeError("disk on fire")

    old = tmp_path / "old.png"
    random_image("RGB").save(old)
    before = old.read_bytes()
    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(RuntimeError):
        save_image(random_image("RGB"), tmp_path / "new.png")
    with pytest.raises(RuntimeError):
        save_image(random_image("RGB"), old, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.png"]
    assert old.read_bytes() == before


def test_save_has_ordinary_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = save_image(random_image("RGB"), tmp_path / "out.png")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_alpha_to_jpeg_is_flattened_onto_white(tmp_path: Path) -> None:
    img = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    out = read_image(save_image(img, tmp_path / "flat.jpg"))
    assert out.mode == "RGB"
    assert np.asarray(out).min() >= 250


def test_sixteen_bit_to_jpeg_is_scaled(tmp_path: Path) -> None:
    img = Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16))
    out = read_image(save_image(img, tmp_path / "deep.jpg"))
    assert out.mode == "L" and np.asarray(out).min() >= 254


def test_save_writes_no_exif(tmp_path: Path) -> None:
    path = tmp_path / "plain.jpg"
    save_image(random_image("RGB"), path)
    assert not Image.open(path).getexif()
