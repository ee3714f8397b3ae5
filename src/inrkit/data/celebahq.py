"""CelebAHQ for LIIF (paper Sec. 5.3): the 1024x1024 faces at 256, 128, 64 and 32 pixels.

As the official ``scripts/resize.py``: Pillow bicubic (anti-aliased when shrinking: the filter
support is scaled by the reduction factor), 256 made from the original and 128/64/32 from that
256 image, PNGs named after the original (``00000.jpg`` -> ``00000.png``). The split is
``--split``, else an existing ``ROOT/celebAHQ/split.json`` (e.g. the official one fetched by
``inrkit data fetch celebahq``), else the sorted names cut 90/10 as the official 27000/3000.

Resumable: outputs are written atomically, and an output that is already a PNG of the right
size is kept. Anything else under an output name is refused unless ``overwrite`` is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from tqdm import tqdm

from inrkit.data.layouts import CELEBAHQ_SPLITS, Root, data_root
from inrkit.errors import file_error
from inrkit.io.files import atomic_write
from inrkit.io.images import image_files_in, read_image, save_image

SIZES = (256, 128, 64, 32)  # in this order: the smaller sizes are made from the 256 image
VAL_FRACTION = 0.1  # official: the last 3000 of 30000 sorted names are the validation split


@dataclass(frozen=True)
class Prepared:
    """What :func:`prepare_celebahq` did."""

    folder: Path  # ROOT/celebAHQ
    written: int  # originals with at least one output written now
    skipped: int  # originals whose four outputs were already there
    n_train: int
    n_val: int


def default_split(names: list[str]) -> dict[str, list[str]]:
    """Sorted names: the first 90% train, the last 10% (at least one of two or more) val."""
    names = sorted(names)
    n_val = max(1, round(len(names) * VAL_FRACTION)) if len(names) >= 2 else 0
    return {"train": names[: len(names) - n_val], "val": names[len(names) - n_val :]}


def source_images(src: str | Path) -> list[Path]:
    """The originals in ``src``, checked: images only, square, one per output name."""
    src = Path(src)
    if not src.exists():
        raise file_error(src, "no such folder")
    if not src.is_dir():
        raise file_error(src, "is not a folder (give the folder of 1024x1024 originals)")
    images = image_files_in(src)
    others = sorted(p for p in src.iterdir() if not p.name.startswith(".") and p.is_file())
    strays = [p for p in others if p not in set(images)]
    if strays:
        raise file_error(strays[0], "not an image file; the folder must hold only the originals")
    if not images:
        subfolders = sorted(p.name for p in src.iterdir() if p.is_dir())
        hint = f" (are they in {src / subfolders[0]}?)" if subfolders else ""
        raise file_error(src, f"no images in this folder{hint}")
    seen: dict[str, Path] = {}
    for path in images:
        if path.stem in seen:
            raise file_error(path, f"has the same name as {seen[path.stem].name} (both -> .png)")
        seen[path.stem] = path
        width, height = _header_size(path)
        if width != height:
            raise file_error(path, f"not square ({width}x{height}); CelebAHQ faces are square")
    return images


def _header_size(path: Path) -> tuple[int, int]:
    try:
        with Image.open(path) as img:
            return img.size
    except Image.DecompressionBombError:  # not an OSError: Pillow's own pixel limit
        raise file_error(path, "declares too many pixels (a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise file_error(path, "not an image (or a format Pillow cannot read)") from None


def load_split(path: str | Path, names: list[str]) -> dict[str, list[str]]:
    """A split file ``{"train": [...], "val": [...]}`` whose names are all among ``names``."""
    path = Path(path)
    try:
        split = json.loads(path.read_text())
    except FileNotFoundError:
        raise file_error(path, "no such file") from None
    except (OSError, ValueError) as e:
        raise file_error(path, f"not a JSON split file ({e})") from None
    known = set(names)
    for key in CELEBAHQ_SPLITS:
        listed = split.get(key) if isinstance(split, dict) else None
        if not isinstance(listed, list) or not all(isinstance(n, str) for n in listed):
            raise file_error(path, f"needs {key!r}: a list of file names")
        unknown = [n for n in listed if n not in known]
        if unknown:
            raise file_error(
                path, f"lists {unknown[0]!r}, which no original becomes ({len(unknown)} such names)"
            )
    return {key: split[key] for key in CELEBAHQ_SPLITS}


def _is_done(path: Path, size: int) -> bool | None:
    """True: a PNG of size x size; False: missing; None: something else is there."""
    if not path.exists():
        return False
    try:
        with Image.open(path) as img:
            good = img.format == "PNG" and img.size == (size, size)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        good = False
    return True if good else None


def _write_split(path: Path, split: dict[str, list[str]], overwrite: bool) -> None:
    if path.is_file():
        try:
            same = json.loads(path.read_text()) == split
        except (OSError, ValueError):
            same = False
        if same:
            return
        if not overwrite:
            raise file_error(path, "exists with a different split; use --overwrite to replace")
    atomic_write(path, lambda tmp: tmp.write_text(json.dumps(split) + "\n"))


def prepare_celebahq(
    src: str | Path,
    root: Root = None,
    *,
    split_file: str | Path | None = None,
    overwrite: bool = False,
    progress: bool = True,
) -> Prepared:
    """Resize the originals in ``src`` into ``ROOT/celebAHQ/{32,64,128,256}`` and a split.

    Raises:
        InrkitError: A missing or empty ``src``, a non-image or non-square file, a bad split
            file, or (without ``overwrite``) an output name holding something else.
    """
    originals = source_images(src)
    folder = data_root(root) / "celebAHQ"
    names = [p.stem + ".png" for p in originals]
    split_path = folder / "split.json"
    if split_file is not None:
        split = load_split(split_file, names)
    elif split_path.is_file():
        split = load_split(split_path, names)
    else:
        split = default_split(names)
    done = {(name, s): _is_done(folder / str(s) / name, s) for name in names for s in SIZES}
    clashes = [folder / str(s) / n for (n, s), ok in done.items() if ok is None]
    if clashes and not overwrite:
        more = f" (and {len(clashes) - 1} more)" if len(clashes) > 1 else ""
        raise file_error(
            clashes[0], f"exists and is not a PNG of this size{more}; use --overwrite to replace"
        )
    for s in SIZES:
        (folder / str(s)).mkdir(parents=True, exist_ok=True)
    _write_split(split_path, split, overwrite)
    written = 0
    bar = tqdm(originals, desc="celebAHQ", unit="image", disable=None if progress else True)
    for path in bar:
        name = path.stem + ".png"
        todo = [s for s in SIZES if overwrite or not done[name, s]]
        if todo:
            _resize_one(path, folder, name, todo, overwrite)
            written += 1
    return Prepared(folder, written, len(names) - written, len(split["train"]), len(split["val"]))


def _resize_one(src: Path, folder: Path, name: str, sizes: list[int], overwrite: bool) -> None:
    """Write ``name`` at each of ``sizes``; 128/64/32 are resized from the 256 image."""
    base = None
    if SIZES[0] in sizes:
        # reducing_gap=None: one exact bicubic pass over all pixels (no box pre-reduction).
        rgb = read_image(src).convert("RGB")
        base = rgb.resize((256, 256), Image.Resampling.BICUBIC, reducing_gap=None)
        save_image(base, folder / "256" / name, overwrite=overwrite)
    for size in sizes:
        if size == SIZES[0]:
            continue
        if base is None:  # resuming: the 256 image was written by an earlier run
            base = read_image(folder / "256" / name).convert("RGB")
        small = base.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=None)
        save_image(small, folder / str(size) / name, overwrite=overwrite)
