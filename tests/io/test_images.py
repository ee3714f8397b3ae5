"""Tests for inrkit.io: reading, mode conversion and atomic writing of real files."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

import inrkit.io.images as images_module
from inrkit.errors import InrkitError
from inrkit.io import (
    DEFAULT_MAX_INPUT_PIXELS,
    ImageLayout,
    from_float_rgb,
    image_files_in,
    read_image,
    resize_alpha,
    save_image,
    to_float_rgb,
)

RNG = np.random.default_rng(0)


def assert_one_line_error(excinfo: pytest.ExceptionInfo[InrkitError], path: Path) -> str:
    """The house style: one line that names the file."""
    message = str(excinfo.value)
    assert "\n" not in message
    assert path.name in message
    return message


def random_image(mode: str, size: tuple[int, int] = (7, 5)) -> Image.Image:
    """A small image with random pixels in ``mode`` (size is (W, H))."""
    width, height = size
    if mode == "I;16":
        return Image.fromarray(RNG.integers(0, 65536, (height, width), dtype=np.uint16))
    bands = len(Image.new(mode, (1, 1)).getbands())
    data = RNG.integers(0, 256, (height, width, bands), dtype=np.uint8)
    return Image.fromarray(data[..., 0] if bands == 1 else data).convert(mode)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_with_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width`` x ``height`` 8-bit gray but holds one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


# --- read_image: refusals ---------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.png"
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert "no such file" in assert_one_line_error(excinfo, path)


def test_directory(tmp_path: Path) -> None:
    path = tmp_path / "folder.png"
    path.mkdir()
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert "is a directory" in assert_one_line_error(excinfo, path)


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.png"
    path.touch()
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert "empty" in assert_one_line_error(excinfo, path)


def test_text_file_named_png(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_text("this is not a picture\n")
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert "not an image" in assert_one_line_error(excinfo, path)


def test_unreadable_file(tmp_path: Path) -> None:
    # A world-traversable folder, so only the file's own mode can deny the read.
    folder = Path(tempfile.mkdtemp(prefix="inrkit-perm-"))
    try:
        folder.chmod(0o755)
        path = folder / "secret.png"
        random_image("RGB").save(path)
        path.chmod(0)
        # Root reads any file, so the read happens in a child that drops to user 'nobody'
        # after its imports (the interpreter itself may live where 'nobody' cannot go).
        code = (
            "import os\nfrom inrkit.errors import InrkitError\n"
            "from inrkit.io.images import read_image\n"
            "if os.geteuid() == 0:\n    os.setuid(65534)\n"
            f"try:\n    read_image({str(path)!r})\nexcept InrkitError as e:\n    print(e)\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and "permission denied" in lines[0]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Runs as root too: the module's open() fails the way a chmod 000 file makes it fail.
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    path = tmp_path / "secret.png"
    random_image("RGB").save(path)
    monkeypatch.setattr(images_module, "open", denied, raising=False)
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert "permission denied" in assert_one_line_error(excinfo, path)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_image(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cut{suffix}"
    random_image("RGB", (64, 48)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert "truncated or corrupt" in assert_one_line_error(excinfo, path)


def test_truncated_image_detected_even_if_pillow_allows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    path = tmp_path / "cut.jpg"
    random_image("RGB", (64, 48)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # Pillow would load this, grey-padded, if allowed
    with pytest.raises(InrkitError):
        read_image(path)
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the global is restored


def test_decompression_bomb_refused_from_header(tmp_path: Path) -> None:
    path = tmp_path / "bomb.png"
    path.write_bytes(png_with_header(100_000, 100_000))
    limit_before = Image.MAX_IMAGE_PIXELS
    start = time.perf_counter()
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    # Decoding 10^10 pixels would take far longer (and 10 GB); the header check is instant.
    assert time.perf_counter() - start < 1.0
    message = assert_one_line_error(excinfo, path)
    assert "100000x100000 = 10000000000 pixels" in message
    assert f"limit of {DEFAULT_MAX_INPUT_PIXELS}" in message
    assert "--max-input-pixels" in message
    assert Image.MAX_IMAGE_PIXELS == limit_before


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "small.png"
    random_image("RGB", (10, 10)).save(path)
    assert read_image(path, max_pixels=100).size == (10, 10)
    with pytest.raises(InrkitError) as excinfo:
        read_image(path, max_pixels=99)
    assert "10x10 = 100 pixels" in assert_one_line_error(excinfo, path)


def test_limit_above_pillows_own_is_honoured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pillow's global limit must not refuse what our (larger) limit allows.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50)
    path = tmp_path / "medium.png"
    random_image("L", (20, 20)).save(path)
    assert read_image(path, max_pixels=400).size == (20, 20)
    assert Image.MAX_IMAGE_PIXELS == 50


def test_zero_width_image(tmp_path: Path) -> None:
    path = tmp_path / "flat.png"
    path.write_bytes(png_with_header(0, 10))
    with pytest.raises(InrkitError) as excinfo:
        read_image(path)
    assert_one_line_error(excinfo, path)


# --- read_image: what comes back --------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.new("RGB", (1, 1)).getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    random_image("RGB", (40, 20)).save(path, exif=exif)
    img = read_image(path)
    assert img.size == (20, 40)
    assert img.getexif().get(0x0112, 1) == 1


def test_first_frame_of_animation(tmp_path: Path) -> None:
    path = tmp_path / "anim.gif"
    frames = [Image.new("L", (8, 6), value) for value in (10, 200, 90)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    rgb, _, _ = to_float_rgb(read_image(path))
    assert np.allclose(rgb, 10 / 255)


def test_result_is_detached_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "gone.png"
    random_image("RGB").save(path)
    img = read_image(path)
    path.unlink()
    assert np.asarray(img).shape == (5, 7, 3)


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


# --- image_files_in ---------------------------------------------------------------------------


def test_image_files_in(tmp_path: Path) -> None:
    for name in ["b.PNG", "a.jpg", "c.webp", "notes.txt", ".hidden.png", "noext"]:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.png").mkdir()
    assert [p.name for p in image_files_in(tmp_path)] == ["a.jpg", "b.PNG", "c.webp"]


def test_image_files_in_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "nowhere"
    with pytest.raises(InrkitError) as excinfo:
        image_files_in(path)
    assert "no such folder" in assert_one_line_error(excinfo, path)


def test_read_image_bytes_shares_the_file_checks() -> None:
    import io

    from inrkit.io import ImageTooLarge, read_image_bytes

    buf = io.BytesIO()
    Image.new("RGBA", (5, 3), (1, 2, 3, 4)).save(buf, format="PNG")
    img = read_image_bytes(buf.getvalue(), "up.png")
    assert img.size == (5, 3) and img.mode == "RGBA"
    with pytest.raises(ImageTooLarge, match="up.png: image is 100000x100000"):
        read_image_bytes(png_with_header(100_000, 100_000), "up.png")
    with pytest.raises(InrkitError, match="up.png: not an image"):
        read_image_bytes(b"plain text", "up.png")
    with pytest.raises(InrkitError, match="truncated or corrupt"):
        read_image_bytes(buf.getvalue()[:-20], "up.png")
    with pytest.raises(InrkitError, match="empty"):
        read_image_bytes(b"", "up.png")
