"""A generated corpus of bad (and awkward but valid) inputs, built into a test's ``tmp_path``.

Every maker takes a folder and returns the path it wrote, so the files are real and the
tests can compare a listing of the folder before and after a command. Nothing here is stored
in the repository: the corpus is rebuilt from these recipes on each run.
"""

from __future__ import annotations

import io
import os
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import yaml
from PIL import Image

MARKER = "pwned"  # the file a pickled or YAML payload would create


# ----- images --------------------------------------------------------------------------------
def _rgb(h: int = 12, w: int = 10, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray((rng.random((h, w, 3)) * 255).astype(np.uint8))


def _encoded(fmt: str, img: Image.Image | None = None) -> bytes:
    buf = io.BytesIO()
    (img or _rgb()).save(buf, format=fmt)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    # A PNG chunk: length, type, data, CRC-32 of type+data (so Pillow reads the header).
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header(width: int, height: int) -> bytes:
    """A PNG whose IHDR declares ``width`` x ``height`` RGB (correct CRCs) and one tiny IDAT."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 16)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def gif_header(width: int, height: int) -> bytes:
    """A GIF whose logical screen and only frame declare ``width`` x ``height``."""
    screen = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0" * 6
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00;"
    return screen + frame


def jpeg_with_size(width: int, height: int) -> bytes:
    """A real small JPEG whose SOF0 marker is patched to declare ``width`` x ``height``."""
    data = bytearray(_encoded("JPEG"))
    sof = data.index(b"\xff\xc0")
    # SOF0: marker(2) length(2) precision(1) height(2) width(2)
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _truncated(fmt: str) -> bytes:
    data = _encoded(fmt, _rgb(64, 64))
    return data[: len(data) // 2]


def _corrupt(fmt: str) -> bytes:
    data = bytearray(_encoded(fmt, _rgb(64, 64)))
    middle = len(data) // 3
    data[middle : middle + 64] = b"\xa5" * 64  # garbage over the compressed stream
    return bytes(data)


def _webp_bad_frame() -> bytes:
    # Lossy VP8 data has no checksum, so garbage inside it decodes "fine"; damage the frame
    # header instead (the start code 9d 01 2a that every key frame carries).
    data = bytearray(_encoded("WEBP", _rgb(64, 64)))
    start = data.index(b"\x9d\x01\x2a")
    data[start : start + 3] = b"\0\0\0"
    return bytes(data)


def _mode(mode: str, fmt: str = "PNG") -> bytes:
    rgb = _rgb(9, 7)
    if mode == "I;16":
        arr = (np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).astype(np.uint16)
        img = Image.fromarray(arr)  # uint16 -> I;16
    elif mode == "I":
        img = Image.fromarray(np.asarray(rgb.convert("L"), dtype=np.int32) * 100)  # int32 -> I
    else:
        img = rgb.convert(mode)
    return _encoded(fmt, img)


# name -> (file name, bytes); every one of these must be refused.
BAD_IMAGES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "zero-bytes-png": ("empty.png", lambda: b""),
    "zero-bytes-jpg": ("empty.jpg", lambda: b""),
    "truncated-png": ("trunc.png", lambda: _truncated("PNG")),
    "truncated-jpeg": ("trunc.jpg", lambda: _truncated("JPEG")),
    "truncated-gif": ("trunc.gif", lambda: _truncated("GIF")),
    "truncated-webp": ("trunc.webp", lambda: _truncated("WEBP")),
    "corrupt-png": ("corrupt.png", lambda: _corrupt("PNG")),
    "corrupt-gif": ("corrupt.gif", lambda: _corrupt("GIF")),
    "corrupt-webp": ("corrupt.webp", _webp_bad_frame),
    "zero-pixel-png": ("zero.png", lambda: png_header(0, 5)),
    "huge-png": ("bomb.png", lambda: png_header(100_000, 100_000)),
    "huge-gif": ("bomb.gif", lambda: gif_header(65_535, 65_535)),
    "huge-jpeg": ("bomb.jpg", lambda: jpeg_with_size(65_000, 65_000)),
    "text-as-png": ("notes.png", lambda: b"just some text, not an image\n" * 4),
    "pdf-as-jpg": ("doc.jpg", lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
    "random-as-webp": ("noise.webp", lambda: np.random.default_rng(1).bytes(512)),
}

# name -> (file name, bytes, expected mode-independent size HxW); every one must work.
GOOD_IMAGES: dict[str, tuple[str, Callable[[], bytes], tuple[int, int]]] = {
    "one-pixel": ("one.png", lambda: _encoded("PNG", _rgb(1, 1)), (1, 1)),
    "cmyk-jpeg": ("cmyk.jpg", lambda: _mode("CMYK", "JPEG"), (9, 7)),
    "sixteen-bit": ("deep.png", lambda: _mode("I;16"), (9, 7)),
    "palette": ("pal.png", lambda: _mode("P"), (9, 7)),
    "gray-alpha": ("la.png", lambda: _mode("LA"), (9, 7)),
    "int32": ("int.tif", lambda: _mode("I", "TIFF"), (9, 7)),
}


def write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def bad_image(folder: Path, case: str) -> Path:
    """Write the bad image ``case`` into ``folder``; a ``directory`` case makes a folder."""
    if case == "directory-as-png":
        path = folder / "folder.png"
        path.mkdir(parents=True)
        return path
    name, make = BAD_IMAGES[case]
    return write(folder, name, make())


BAD_IMAGE_CASES = [*BAD_IMAGES, "directory-as-png"]


def good_image(folder: Path, case: str) -> Path:
    name, make, _ = GOOD_IMAGES[case]
    return write(folder, name, make())


def odd_name_image(folder: Path, case: str) -> Path:
    """A valid small PNG under a non-UTF-8 or a 250-character name."""
    folder.mkdir(parents=True, exist_ok=True)
    if case == "non-utf8-name":
        raw = os.fsencode(folder) + b"/caf\xe9-\xff.png"  # Latin-1 bytes: not UTF-8
        with open(raw, "wb") as f:
            f.write(_encoded("PNG"))
        return Path(os.fsdecode(raw))
    path = folder / ("n" * 246 + ".png")  # 250 bytes, near the 255-byte limit
    path.write_bytes(_encoded("PNG"))
    return path


# ----- configs -------------------------------------------------------------------------------
def yaml_payload(folder: Path) -> str:
    """YAML that, if loaded unsafely, would create ``folder/MARKER``."""
    return f'x: !!python/object/apply:os.system ["touch {folder / MARKER}"]\n'


DATA_NORM = {"inp": {"sub": [0.5], "div": [0.5]}, "gt": {"sub": [0.5], "div": [0.5]}}


def dataset_spec(root: str | Path, wrapper_args: dict | None = None, batch: int = 2) -> dict:
    """An official-structure data set: an image folder, sr-implicit-downsampled patches."""
    args = {"inp_size": 8, "scale_max": 4} if wrapper_args is None else wrapper_args
    return {
        "dataset": {"name": "image-folder", "args": {"root_path": str(root)}},
        "wrapper": {"name": "sr-implicit-downsampled", "args": args},
        "batch_size": batch,
    }


def liif_test_config(root: str | Path) -> dict:
    """An official-structure ``inrkit liif test`` config on the images in ``root``."""
    return {
        "test_dataset": dataset_spec(root, {"scale_min": 2}, batch=1),
        "eval_type": "benchmark-2",
        "eval_bsize": 300,
        "data_norm": DATA_NORM,
    }


# ----- checkpoints ---------------------------------------------------------------------------
class Payload:
    """Unpickling this creates the marker file: what a malicious checkpoint would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def pickled_code(folder: Path, name: str = "evil.pth") -> Path:
    path = folder / name
    torch.save({"model": {"sd": Payload(folder / MARKER)}}, path)
    return path


def truncated_copy(src: Path, folder: Path, name: str) -> Path:
    data = src.read_bytes()
    return write(folder, name, data[: len(data) // 2])


def yaml_dump(folder: Path, name: str, data: object) -> Path:
    return write(folder, name, yaml.safe_dump(data).encode())


def listing(root: Path) -> dict[str, int]:
    """Every path under ``root`` (as bytes-safe text) with its size; folders as -1."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for d in dirnames:
            out[os.fsdecode(os.path.join(dirpath, d))] = -1
        for f in filenames:
            p = os.path.join(dirpath, f)
            out[os.fsdecode(p)] = os.lstat(p).st_size
    return out
