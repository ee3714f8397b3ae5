"""The official LIIF data layout under a root folder (``load/`` in the official README).

::

    ROOT/div2k/DIV2K_train_HR/0001.png              ROOT/benchmark/Set5/HR/baby.png
    ROOT/div2k/DIV2K_valid_HR/0801.png              ROOT/benchmark/Set5/LR_bicubic/X2/babyx2.png
    ROOT/div2k/DIV2K_valid_LR_bicubic/X4/0801x4.png ROOT/celebAHQ/{32,64,128,256}/00000.png
                                                    ROOT/celebAHQ/split.json

Each function returns a folder and raises a one-line error naming it, and the command that
makes it, when it is missing. The root defaults to ``$INRKIT_DATA_ROOT``, else ``load``.
The data sets at the end read these folders with :class:`ImageFolder`, so they give (3, H, W)
floats in [0, 1] and take the official ``first_k`` / ``repeat`` / ``cache`` arguments.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch.utils.data import Dataset

from inrkit.data.image_folder import CACHE_MODES, ImageFolder, load_rgb
from inrkit.data.root import (  # torch-free; layouts.BENCHMARKS etc. as before
    BENCHMARKS,  # noqa: F401
    CELEBAHQ_SIZES,
    CELEBAHQ_SPLITS,
    DIV2K_SPLITS,
    SCALES,
    Root,
    data_root,
)
from inrkit.errors import InrkitError, file_error
from inrkit.io.images import image_files_in, list_images


def _folder(path: Path, hint: str) -> Path:
    if not path.is_dir():
        raise file_error(path, f"folder missing ({hint})")
    return path


def _fetch_hint(dataset: str, root: Path) -> str:
    return f"fetch it with `inrkit data fetch {dataset} --root {root}`"


def _check_scale(scale: int) -> int:
    if scale not in SCALES:
        raise InrkitError(f"scale must be one of {', '.join(map(str, SCALES))}, got {scale!r}")
    return int(scale)


def div2k_hr(root: Root = None, split: str = "train") -> Path:
    """``ROOT/div2k/DIV2K_{train,valid}_HR`` (800 training, 100 validation images)."""
    if split not in DIV2K_SPLITS:
        raise InrkitError(f"DIV2K split must be train or valid, got {split!r}")
    root = data_root(root)
    return _folder(root / "div2k" / DIV2K_SPLITS[split], _fetch_hint("div2k", root))


def div2k_lr(root: Root = None, scale: int = 4) -> Path:
    """``ROOT/div2k/DIV2K_valid_LR_bicubic/X{scale}`` (``0801x4.png`` beside ``0801.png``)."""
    root = data_root(root)
    path = root / "div2k" / "DIV2K_valid_LR_bicubic" / f"X{_check_scale(scale)}"
    return _folder(path, _fetch_hint("div2k", root))


def benchmark_hr(root: Root = None, name: str = "Set5") -> Path:
    """``ROOT/benchmark/NAME/HR`` for Set5, Set14, B100, Urban100 (or another of yours)."""
    root = data_root(root)
    return _folder(root / "benchmark" / name / "HR", _fetch_hint("benchmark", root))


def benchmark_lr(root: Root = None, name: str = "Set5", scale: int = 4) -> Path:
    """``ROOT/benchmark/NAME/LR_bicubic/X{scale}`` (``babyx4.png`` beside ``baby.png``)."""
    root = data_root(root)
    path = root / "benchmark" / name / "LR_bicubic" / f"X{_check_scale(scale)}"
    return _folder(path, _fetch_hint("benchmark", root))


def _prepare_hint(root: Path) -> str:
    return f"make it with `inrkit data prepare-celebahq SRC_DIR --root {root}`"


def celebahq(root: Root = None, size: int = 256) -> Path:
    """``ROOT/celebAHQ/{32,64,128,256}``: the 30,000 faces resized from 1024x1024."""
    if size not in CELEBAHQ_SIZES:
        sizes = ", ".join(map(str, CELEBAHQ_SIZES))
        raise InrkitError(f"CelebAHQ size must be one of {sizes}, got {size!r}")
    root = data_root(root)
    return _folder(root / "celebAHQ" / str(size), _prepare_hint(root))


def celebahq_split(root: Root = None, split: str = "train") -> list[str]:
    """The file names of a split in ``ROOT/celebAHQ/split.json`` ({"train": [...], "val": ...})."""
    if split not in CELEBAHQ_SPLITS:
        raise InrkitError(f"CelebAHQ split must be train or val, got {split!r}")
    root = data_root(root)
    path = root / "celebAHQ" / "split.json"
    if not path.is_file():
        raise file_error(path, f"file missing ({_prepare_hint(root)})")
    try:
        names = json.loads(path.read_text())[split]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise file_error(path, f"not a split file with a {split!r} list of names") from None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise file_error(path, f"{split!r} must be a list of file names")
    return names


def paired_by_name(
    lr_dir: str | Path, hr_dir: str | Path, scale: int | None = None
) -> list[tuple[Path, Path]]:
    """(LR, HR) file pairs, one per HR image, sorted by HR name.

    Args:
        lr_dir, hr_dir: The two folders.
        scale: LR files are named ``NAMEx{scale}.ext`` beside HR ``NAME.ext`` (DIV2K and the
            benchmarks); None when both have the same names (CelebAHQ).

    Raises:
        InrkitError: An HR image without its LR partner (the first one is named).
    """
    lr_dir, hr_dir = Path(lr_dir), Path(hr_dir)
    lr_by_stem = {p.stem: p for p in image_files_in(lr_dir)}
    hr_files = image_files_in(hr_dir)
    if not hr_files:
        raise file_error(hr_dir, "no images in this folder")
    pairs = []
    for hr in hr_files:
        stem = hr.stem if scale is None else f"{hr.stem}x{scale}"
        if stem not in lr_by_stem:
            raise file_error(lr_dir / f"{stem}{hr.suffix}", f"missing (the LR partner of {hr})")
        pairs.append((lr_by_stem[stem], hr))
    return pairs


class ImageFiles(ImageFolder):
    """:class:`ImageFolder` over a given list of files (pairs by name, globs)."""

    def __init__(self, files: list[Path], repeat: int = 1, cache: str = "none") -> None:
        # ImageFolder lists a folder; the reading and caching it does on a list are reused.
        if cache not in CACHE_MODES:
            raise InrkitError(f"cache must be one of {', '.join(CACHE_MODES)}, got {cache!r}")
        self.files, self.repeat, self.cache = list(files), int(repeat), cache
        self._memory: list[torch.Tensor] | None = None
        if cache == "in_memory":
            self._memory = [load_rgb(f) for f in self.files]
        elif cache == "bin":
            self._bins = [self._bin_for(f) for f in self.files]


class PairedFiles(Dataset):
    """(LR, HR) image pairs as two aligned :class:`ImageFiles`."""

    def __init__(
        self,
        pairs: list[tuple[Path, Path]],
        first_k: int | None = None,
        repeat: int = 1,
        cache: str = "none",
    ) -> None:
        pairs = pairs[:first_k] if first_k is not None else pairs
        self.lr = ImageFiles([lr for lr, _ in pairs], repeat, cache)
        self.hr = ImageFiles([hr for _, hr in pairs], repeat, cache)

    def __len__(self) -> int:
        return len(self.hr)

    def __getitem__(self, idx: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.lr[idx], self.hr[idx]


# ----- the data sets of the DATASETS table (our names) --------------------------------------
def div2k(
    root: Root = None,
    split: str = "train",
    first_k: int | None = None,
    repeat: int = 1,
    cache: str = "none",
) -> ImageFolder:
    """DIV2K HR images (``train``: 800, ``valid``: 100)."""
    return ImageFolder(div2k_hr(root, split), first_k=first_k, repeat=repeat, cache=cache)


def div2k_paired(
    root: Root = None,
    scale: int = 4,
    first_k: int | None = None,
    repeat: int = 1,
    cache: str = "none",
) -> PairedFiles:
    """(LR, HR) pairs of the DIV2K validation split with its bicubic LR images."""
    pairs = paired_by_name(div2k_lr(root, scale), div2k_hr(root, "valid"), scale)
    return PairedFiles(pairs, first_k, repeat, cache)


def benchmark(
    root: Root = None,
    name: str = "Set5",
    first_k: int | None = None,
    repeat: int = 1,
    cache: str = "none",
) -> ImageFolder:
    """HR images of a benchmark (Set5, Set14, B100, Urban100)."""
    return ImageFolder(benchmark_hr(root, name), first_k=first_k, repeat=repeat, cache=cache)


def benchmark_paired(
    root: Root = None,
    name: str = "Set5",
    scale: int = 4,
    first_k: int | None = None,
    repeat: int = 1,
    cache: str = "none",
) -> PairedFiles:
    """(LR, HR) pairs of a benchmark with its bicubic LR images."""
    pairs = paired_by_name(benchmark_lr(root, name, scale), benchmark_hr(root, name), scale)
    return PairedFiles(pairs, first_k, repeat, cache)


def celebahq_paired(
    root: Root = None,
    split: str = "train",
    inp_size: int = 32,
    out_size: int = 256,
    first_k: int | None = None,
    repeat: int = 1,
    cache: str = "none",
) -> PairedFiles:
    """(LR, HR) CelebAHQ pairs of a split, as the official configs' paired-image-folders."""
    lr_dir, hr_dir = celebahq(root, inp_size), celebahq(root, out_size)
    pairs = []
    for name in celebahq_split(root, split):
        for folder in (lr_dir, hr_dir):
            if not (folder / name).is_file():
                raise file_error(folder / name, f"missing (listed in the {split!r} split)")
        pairs.append((lr_dir / name, hr_dir / name))
    if not pairs:
        raise InrkitError(f"the CelebAHQ {split!r} split is empty")
    return PairedFiles(pairs, first_k, repeat, cache)


def image_glob(
    path: str, first_k: int | None = None, repeat: int = 1, cache: str = "none"
) -> ImageFolder:
    """Your own images: a folder, or a glob pattern such as ``photos/**/*.jpg`` (sorted)."""
    if Path(path).is_dir():
        return ImageFolder(path, first_k=first_k, repeat=repeat, cache=cache)
    files = list_images(path)
    if not files:
        raise file_error(path, "no images match this pattern")
    return ImageFiles(files[:first_k] if first_k is not None else files, repeat, cache)
