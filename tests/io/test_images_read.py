"""Tests for inrkit.io reading real files: ``read_image`` refusals (one line naming the file),
what it returns, and ``image_files_in``."""

from __future__ import annotations

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
from testlib.images import assert_one_line_error, random_image

import inrkit.io.images as images_module
from inrkit.errors import InrkitError
from inrkit.io import DEFAULT_MAX_INPUT_PIXELS, image_files_in, read_image, to_float_rgb


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
