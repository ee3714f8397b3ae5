"""Reading and writing image files safely.

Inputs come from users, so :func:`read_image` refuses anything it cannot fully decode with a
one-line :class:`~inrkit.errors.InrkitError`: missing files, folders, non-images, truncated
data and decompression bombs (the pixel count is checked from the header, before decoding).
Outputs are written atomically by :func:`save_image`: a temporary file in the target folder,
fsynced, then renamed, so an interrupted run never leaves half an image behind.
"""

from __future__ import annotations

import glob
import io
import os
import stat
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from inrkit.errors import InrkitError, file_error
from inrkit.io.files import atomic_write
from inrkit.io.modes import SIXTEEN_BIT_MODES, from_float_rgb, to_float_rgb

#: Largest input accepted by default (the CLI's ``--max-input-pixels``).
DEFAULT_MAX_INPUT_PIXELS = 100_000_000

# What Pillow's decoders raise on damaged data besides OSError; plugins are not consistent.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
)
# Pillow's limits are module globals; this lock keeps concurrent reads from clobbering them.
_PILLOW_LOCK = threading.Lock()

# Formats that store 16-bit gray; others would get Pillow's clipping conversion, so we scale.
_DEEP_FORMATS = frozenset({"PNG", "TIFF", "PPM"})
# Formats without alpha; the image is composited onto white before writing.
_OPAQUE_FORMATS = frozenset({"JPEG", "MPO", "EPS", "PCX"})
_OPAQUE_MODES = frozenset({"1", "L", "RGB", "CMYK"})
_SAVE_OPTIONS = {"JPEG": {"quality": 95}, "WEBP": {"quality": 95}}
_EXISTS = "already exists (use --overwrite)"


def _check_regular_file(path: Path) -> None:
    """Refuse missing paths, folders, devices and empty files before Pillow sees them."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise file_error(path, "no such file") from None
    except PermissionError:
        raise file_error(path, "permission denied") from None
    except OSError as exc:
        raise file_error(path, f"cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise file_error(path, "is a directory, expected an image file")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO or device would block or never end.
        raise file_error(path, "is not a regular file")
    if info.st_size == 0:
        raise file_error(path, "is empty (0 bytes)")


class ImageTooLarge(InrkitError):
    """An image whose header declares more pixels than the limit (the server answers 413)."""


def _check_size(path: object, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise file_error(path, f"image has no pixels ({width}x{height})")
    pixels = width * height
    if pixels > max_pixels:
        raise ImageTooLarge(
            f"{path}: image is {width}x{height} = {pixels} pixels, more than the limit of "
            f"{max_pixels} (raise it with --max-input-pixels)"
        )


@contextmanager
def _strict_pillow() -> Iterator[None]:
    """Hold Pillow's decoder settings for one read and restore them afterwards."""
    with _PILLOW_LOCK, warnings.catch_warnings():
        # Pillow only warns between its limit and twice its limit; a warning is a refusal here.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        saved = Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES
        # Someone else may have allowed truncated images globally; we must still detect them.
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS, ImageFile.LOAD_TRUNCATED_IMAGES = saved


def read_image(
    path: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_INPUT_PIXELS
) -> Image.Image:
    """Open, fully decode and upright an image file.

    Multi-frame files (GIF, APNG, TIFF pages) give their first frame. EXIF orientation is
    applied, so the pixels are as a viewer shows them.

    Args:
        path: The image file.
        max_pixels: Refuse images whose header declares more pixels than this.

    Returns:
        A loaded image, detached from the file, in the file's own mode.

    Raises:
        InrkitError: One line naming ``path`` when the file cannot be used.
    """
    if max_pixels <= 0:
        raise InrkitError(f"the pixel limit must be positive, got {max_pixels}")
    path = Path(path)
    _check_regular_file(path)
    try:
        fh = open(path, "rb")  # closed by the with-block below
    except PermissionError:
        raise file_error(path, "permission denied") from None
    except OSError as exc:
        raise file_error(path, f"cannot read: {exc.strerror}") from None
    with fh:
        return _decode(fh, path, max_pixels)


def read_image_bytes(
    data: bytes, name: str = "upload", max_pixels: int = DEFAULT_MAX_INPUT_PIXELS
) -> Image.Image:
    """:func:`read_image` for an image held in memory (an upload); errors name ``name``.

    Raises:
        ImageTooLarge: The header declares more than ``max_pixels`` pixels (nothing decoded).
        InrkitError: One line naming ``name`` when the data is empty, not an image or corrupt.
    """
    if max_pixels <= 0:
        raise InrkitError(f"the pixel limit must be positive, got {max_pixels}")
    if not data:
        raise file_error(name, "is empty (0 bytes)")
    return _decode(io.BytesIO(data), name, max_pixels)


def _decode(fh: BinaryIO, label: object, max_pixels: int) -> Image.Image:
    """Check the header's pixel count, then fully decode and upright the image in ``fh``."""
    with _strict_pillow():
        try:
            # Pillow's check is off while reading the header, so ours (which names the size) runs.
            Image.MAX_IMAGE_PIXELS = None
            img = Image.open(fh)
            _check_size(label, img.size, max_pixels)
            # Keep Pillow's guard for sizes found while decoding (ICO entries, frames).
            Image.MAX_IMAGE_PIXELS = max_pixels
            img.load()
            return ImageOps.exif_transpose(img)
        except UnidentifiedImageError:
            raise file_error(label, "not an image (or a format Pillow cannot read)") from None
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            msg = f"{label}: {exc} (raise the limit with --max-input-pixels)"
            raise ImageTooLarge(msg) from None
        except MemoryError:
            raise file_error(label, "not enough memory to decode this image") from None
        except _DECODE_ERRORS as exc:
            raise file_error(label, f"truncated or corrupt image ({exc})") from None


def _prepare_for_format(img: Image.Image, fmt: str) -> Image.Image:
    """Convert only what the format cannot store: 16-bit to 8-bit, alpha onto white."""
    too_deep = (img.mode in SIXTEEN_BIT_MODES or img.mode == "F") and fmt not in _DEEP_FORMATS
    needs_opaque = fmt in _OPAQUE_FORMATS and img.mode not in _OPAQUE_MODES
    if not (too_deep or needs_opaque):
        return img
    rgb, alpha, layout = to_float_rgb(img)
    if needs_opaque and alpha is not None:
        # Flatten onto white, the usual page background, rather than dropping alpha and
        # showing whatever colour hides under transparent pixels.
        rgb = rgb * alpha[..., None] + (1.0 - alpha[..., None])
        alpha = None
    bit_depth = layout.bit_depth if fmt in _DEEP_FORMATS else 8
    return from_float_rgb(rgb, alpha, replace(layout, bit_depth=bit_depth))


def _format_for(path: Path) -> str:
    """The Pillow writer for ``path``'s extension."""
    suffix = path.suffix.lower()
    fmt = Image.registered_extensions().get(suffix)
    if not suffix:
        raise file_error(path, "has no extension to choose the image format from")
    if fmt is None:
        raise file_error(path, f"unknown image format '{suffix}'")
    if fmt not in Image.SAVE:
        raise file_error(path, f"Pillow cannot write '{suffix}' files")
    return fmt


def _new_file_mode(path: Path) -> int:
    """Permissions for the output: the old file's, else what ``open()`` would give."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        # os.umask can only be read by setting it; put it straight back.
        umask = os.umask(0o022)
        os.umask(umask)
        return 0o666 & ~umask


def save_image(img: Image.Image, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write an image atomically, choosing the format from the extension.

    JPEG is written at quality 95; images with alpha are composited onto white for formats
    without alpha (JPEG), and 16-bit gray is scaled to 8 bits for formats without 16-bit gray.
    No metadata is copied (orientation was applied when reading).

    Args:
        img: The image to write.
        path: The target file; its folder must exist.
        overwrite: Replace an existing file instead of refusing.

    Returns:
        The path written.

    Raises:
        InrkitError: One line naming ``path`` when the file cannot be written.
    """
    path = Path(path)
    fmt = _format_for(path)
    if not path.parent.is_dir():
        raise file_error(path, "folder does not exist")
    if path.is_dir():
        raise file_error(path, "is a directory")
    if path.exists() and not overwrite:  # before converting the image, not after
        raise file_error(path, _EXISTS)
    prepared = _prepare_for_format(img, fmt)

    def write(tmp: Path) -> None:
        try:
            fh = open(tmp, "xb")  # closed by the with-block below
        except OSError as exc:
            raise file_error(path, f"cannot write here: {exc.strerror}") from None
        with fh:
            try:
                prepared.save(fh, format=fmt, **_SAVE_OPTIONS.get(fmt, {}))
            except (OSError, ValueError, KeyError) as exc:
                raise file_error(path, f"cannot write {fmt}: {exc}") from None

    mode = _new_file_mode(path)
    return atomic_write(path, write, overwrite=overwrite, exists_message=_EXISTS, mode=mode)


def image_files_in(folder: str | os.PathLike[str]) -> list[Path]:
    """Image files directly inside ``folder``, sorted by name.

    A file counts when Pillow can open its extension; hidden files (such as macOS ``._x.png``
    resource forks) and sub-folders are skipped.

    Raises:
        InrkitError: When ``folder`` is missing or not a folder.
    """
    folder = Path(folder)
    if not folder.exists():
        raise file_error(folder, "no such folder")
    if not folder.is_dir():
        raise file_error(folder, "is not a folder")
    readable = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}
    return sorted(
        p
        for p in folder.iterdir()
        if not p.name.startswith(".") and p.suffix.lower() in readable and p.is_file()
    )


def list_images(path_or_glob: str | os.PathLike[str]) -> list[Path]:
    """The images a folder holds, or that a glob pattern matches (``**`` spans folders), sorted.

    One rule for every "folder or glob of images" input: what counts as an image is
    :func:`image_files_in`'s (Pillow's extensions, no hidden files), so a pattern like
    ``data/*`` does not pick up notes or caches. The list may be empty: callers say what an
    empty set means to them.

    Raises:
        InrkitError: ``path_or_glob`` is neither a folder nor a glob pattern.
    """
    text = os.fspath(path_or_glob)
    if Path(text).is_dir():
        return image_files_in(text)
    if not glob.has_magic(text):
        raise file_error(text, "no such folder (give a folder or a glob pattern)")
    matches = [Path(f) for f in glob.glob(text, recursive=True)]
    images = {p for folder in {m.parent for m in matches} for p in image_files_in(folder)}
    return sorted(m for m in matches if m in images)
