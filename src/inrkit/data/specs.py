"""Build data sets from the official specs ``{'dataset': {name, args}, 'wrapper': {name, args}}``.

One literal table per kind, as in the official configs; our additions sit beside them.
"""

from __future__ import annotations

import inspect
from typing import Any

from torch.utils.data import ConcatDataset, Dataset

from inrkit.data import layouts
from inrkit.data.image_folder import ImageFolder
from inrkit.data.photos import Photos
from inrkit.data.sr_wrappers import WRAPPERS
from inrkit.errors import InrkitError


class PairedImageFolders(Dataset):
    """Two folders read in step: ``(image from folder 1, image from folder 2)``."""

    def __init__(self, root_path_1: str, root_path_2: str, **kwargs: Any) -> None:
        self.dataset_1 = ImageFolder(root_path_1, **kwargs)
        self.dataset_2 = ImageFolder(root_path_2, **kwargs)
        if len(self.dataset_1) != len(self.dataset_2):
            raise InrkitError(
                f"{root_path_1} and {root_path_2} hold different numbers of images "
                f"({len(self.dataset_1)} vs {len(self.dataset_2)})"
            )

    def __len__(self) -> int:
        return len(self.dataset_1)

    def __getitem__(self, idx: int):
        return self.dataset_1[idx], self.dataset_2[idx]


class ConcatImages(ConcatDataset):
    """Several data sets one after the other (ours): ``{name: concat, args: {datasets: [{name,
    args}, ...]}}``, e.g. B100 and Urban100 and the photos in one training set."""

    def image_sizes(self) -> list[tuple[str, int, int]]:
        """Every part's ``(name, height, width)`` where the part can tell (for the size check)."""
        sizes = []
        for part in self.datasets:
            part_sizes = getattr(part, "image_sizes", None)
            sizes += part_sizes() if part_sizes is not None else []
        return sizes


DATASETS: dict[str, Any] = {
    "image-folder": ImageFolder,
    "paired-image-folders": PairedImageFolders,
    "photos": Photos,  # ours: the bundled scikit-image photos
    # ours: the official load/ layout under a root folder, and any folder or glob
    "div2k": layouts.div2k,
    "div2k-paired": layouts.div2k_paired,
    "benchmark": layouts.benchmark,
    "benchmark-paired": layouts.benchmark_paired,
    "celebahq-paired": layouts.celebahq_paired,
    "image-glob": layouts.image_glob,
    "concat": ConcatImages,
}


def _check(table: dict[str, Any], spec: Any, where: str) -> dict[str, Any]:
    """The args of ``spec`` after the checks that need no data; raises InrkitError."""
    if not isinstance(spec, dict) or "name" not in spec:
        raise InrkitError(f"{where} must be a mapping with a 'name'")
    name = spec["name"]
    if name not in table:
        raise InrkitError(f"{where}.name: unknown {name!r} (known: {', '.join(table)})")
    args = spec.get("args") or {}
    if not isinstance(args, dict):
        raise InrkitError(f"{where}.args must be a mapping")
    params = inspect.signature(table[name]).parameters
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params.values())
    unknown = [k for k in args if k not in params and not takes_any]
    if unknown:
        raise InrkitError(f"{where}.args: unknown argument(s) {', '.join(map(str, unknown))}")
    if table is DATASETS and name == "concat":
        parts = args.get("datasets")
        if not isinstance(parts, list) or not parts:
            raise InrkitError(f"{where}.args.datasets must be a non-empty list of {{name, args}}")
        for i, part in enumerate(parts):
            _check(DATASETS, part, f"{where}.args.datasets[{i}]")
        return args
    for key, value in args.items():
        # Sizes, counts, scales and repeats: zero or less would crash deep in a worker.
        if isinstance(value, int | float) and not isinstance(value, bool) and not value > 0:
            raise InrkitError(f"{where}.args.{key} must be positive, got {value!r}")
    return args


def _build(table: dict[str, Any], spec: Any, where: str, **extra: Any) -> Any:
    args = _check(table, spec, where)
    name = spec["name"]
    if table is DATASETS and name == "concat":
        parts = args["datasets"]
        return ConcatImages(
            [_build(DATASETS, part, f"{where}.args.datasets[{i}]") for i, part in enumerate(parts)]
        )
    try:
        return table[name](*extra.values(), **args)
    except TypeError as e:
        raise InrkitError(f"{where}.args: {e}") from None


def check_dataset_spec(spec: Any, where: str = "train_dataset") -> None:
    """Raise InrkitError if :func:`make_dataset` would refuse ``spec`` before reading data."""
    if not isinstance(spec, dict) or "dataset" not in spec:
        raise InrkitError(f"{where} must be a mapping with 'dataset' (and usually 'wrapper')")
    _check(DATASETS, spec["dataset"], f"{where}.dataset")
    if spec.get("wrapper") is not None:
        _check(WRAPPERS, spec["wrapper"], f"{where}.wrapper")


def make_dataset(spec: dict[str, Any], where: str = "train_dataset") -> Dataset:
    """A wrapped data set from ``{'dataset': ..., 'wrapper': ...}``."""
    if not isinstance(spec, dict) or "dataset" not in spec:
        raise InrkitError(f"{where} must be a mapping with 'dataset' (and usually 'wrapper')")
    dataset = _build(DATASETS, spec["dataset"], f"{where}.dataset")
    if spec.get("wrapper") is None:
        return dataset
    return _build(WRAPPERS, spec["wrapper"], f"{where}.wrapper", dataset=dataset)
