"""``inrkit data make-lr``: the bicubic LR images of a folder of HR images, as the benchmarks'.

Each HR image is cropped to a multiple of the scale ``s`` (bottom rows and right columns go, as
MATLAB's ``modcrop``), downscaled by :func:`~inrkit.data.matlab_bicubic.imresize_down` and
written in the layout of EDSR's ``benchmark.tar`` that the official LIIF configs read::

    HR_DIR/baby.png  ->  OUT/X2/babyx2.png, OUT/X3/babyx3.png, OUT/X4/babyx4.png

so ``--out ROOT/benchmark/NAME/LR_bicubic`` beside ``ROOT/benchmark/NAME/HR`` completes a
benchmark. Grey images stay grey, colour stays colour (an alpha channel is resized too).

Every input is checked before anything is written, an existing output is refused unless
``overwrite``, each file is written atomically, and an error part-way removes the files this
run had created: a failed run leaves the output folder as it found it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from inrkit.data.matlab_bicubic import imresize_down
from inrkit.errors import InrkitError, file_error
from inrkit.io.images import image_files_in, read_image, save_image

# 8-bit modes resized channel by channel; "P" and "1" are converted to these first.
_MODES = ("L", "LA", "RGB", "RGBA")
_CONVERTED = {"1": "L", "P": "RGBA"}  # a palette may hold transparency; dropped below if unused


@dataclass(frozen=True)
class MadeLR:
    """What :func:`make_lr` did."""

    folder: Path  # OUT, holding X{s}/
    images: int  # HR images read
    written: int  # LR files written
    seconds: float


def lr_path(out: Path, stem: str, scale: int) -> Path:
    """``OUT/X{s}/{stem}x{s}.png``, the benchmark layout's name for an LR image."""
    return out / f"X{scale}" / f"{stem}x{scale}.png"


def check_scales(scales: list[int]) -> list[int]:
    """The scales without repeats; each must be a positive integer."""
    for s in scales:
        if isinstance(s, bool) or not isinstance(s, int) or s < 1:
            raise InrkitError(f"scale must be a positive integer, got {s!r}")
    if not scales:
        raise InrkitError("give at least one scale")
    return list(dict.fromkeys(scales))


def hr_images(hr_dir: Path, min_side: int) -> list[Path]:
    """The images in ``hr_dir``, checked from their headers; nothing else may be there."""
    images = image_files_in(hr_dir)
    strays = [
        p
        for p in sorted(hr_dir.iterdir())
        if p.is_file() and not p.name.startswith(".") and p not in set(images)
    ]
    if strays:
        raise file_error(strays[0], "not an image file; HR_DIR must hold only the HR images")
    if not images:
        raise file_error(hr_dir, "no images in this folder")
    seen: dict[str, Path] = {}
    for path in images:
        if path.stem in seen:
            raise file_error(path, f"has the same name as {seen[path.stem].name} (both -> .png)")
        seen[path.stem] = path
        _check_header(path, min_side)
    return images


def _check_header(path: Path, min_side: int) -> None:
    try:
        with Image.open(path) as img:
            mode, (width, height) = img.mode, img.size
    except Image.DecompressionBombError:  # not an OSError: Pillow's own pixel limit
        raise file_error(path, "declares too many pixels (a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise file_error(path, "not an image (or a format Pillow cannot read)") from None
    if mode not in _MODES and mode not in _CONVERTED:
        raise file_error(path, f"{mode} images are not supported; give 8-bit grey or RGB images")
    if min(width, height) < min_side:
        raise file_error(path, f"is {width}x{height}, smaller than the scale {min_side}")


def _folders_to_make(folders: list[Path]) -> list[Path]:
    """The missing folders on the way to ``folders``, parents first; a file in the way fails."""
    missing: list[Path] = []
    for folder in folders:
        for path in [*reversed(folder.parents), folder]:
            if path.exists() and not path.is_dir():
                raise file_error(path, "is a file, not a folder")
            if not path.exists() and path not in missing:
                missing.append(path)
    return missing


def downscale(img: Image.Image, scale: int) -> Image.Image:
    """The benchmark LR image of ``img``: cropped to a multiple of ``scale``, MATLAB bicubic."""
    if img.mode in _CONVERTED:
        img = img.convert(_CONVERTED[img.mode])
        if img.mode == "RGBA" and img.getchannel("A").getextrema() == (255, 255):
            img = img.convert("RGB")  # an opaque palette image
    hr = np.asarray(img)  # (H, W) or (H, W, C) uint8
    h, w = hr.shape[:2]
    return Image.fromarray(imresize_down(hr[: h - h % scale, : w - w % scale], scale))


def make_lr(
    hr_dir: str | Path,
    scales: list[int],
    out: str | Path,
    *,
    overwrite: bool = False,
    progress: bool = True,
) -> MadeLR:
    """Write ``OUT/X{s}/{stem}x{s}.png`` for every image in ``hr_dir`` and scale in ``scales``.

    Raises:
        InrkitError: A missing or empty ``hr_dir``, a file in it that is not an image (or is
            smaller than a scale, or not 8-bit), a scale that is not a positive integer, an
            ``out`` that is a file, or (without ``overwrite``) outputs that already exist.
    """
    start = time.perf_counter()
    scales = check_scales(scales)
    hr_dir, out = Path(hr_dir), Path(out)
    images = hr_images(hr_dir, max(scales))
    targets = [lr_path(out, p.stem, s) for p in images for s in scales]
    new_folders = _folders_to_make([out / f"X{s}" for s in scales])
    existing = [t for t in targets if t.exists() or t.is_symlink()]
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise file_error(existing[0], f"already exists{more}; use --overwrite to replace")
    created: list[Path] = []
    try:
        for folder in new_folders:
            folder.mkdir(exist_ok=True)
        bar = tqdm(images, desc="make-lr", unit="image", disable=None if progress else True)
        for path in bar:
            hr = read_image(path)
            for s in scales:
                target = lr_path(out, path.stem, s)
                is_new = not target.exists()
                save_image(downscale(hr, s), target, overwrite=overwrite)
                if is_new:
                    created.append(target)
    except BaseException:
        # Leave no partial set behind (Ctrl-C included); replaced files keep their new pixels.
        for target in created:
            target.unlink(missing_ok=True)
        for folder in reversed(new_folders):
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return MadeLR(out, len(images), len(targets), time.perf_counter() - start)
