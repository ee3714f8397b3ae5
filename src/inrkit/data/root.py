"""The data root and the names of the official LIIF layout under it (see :mod:`.layouts`).

Torch-free, unlike the data sets of :mod:`inrkit.data.layouts`, so that
:mod:`inrkit.data.fetch`, and with it ``inrkit data --help``, imports no torch.
"""

from __future__ import annotations

import os
from pathlib import Path

DIV2K_SPLITS = {"train": "DIV2K_train_HR", "valid": "DIV2K_valid_HR"}
BENCHMARKS = ("Set5", "Set14", "B100", "Urban100")
SCALES = (2, 3, 4)  # the bicubic LR folders that the archives hold
CELEBAHQ_SIZES = (32, 64, 128, 256)
CELEBAHQ_SPLITS = ("train", "val")

Root = str | os.PathLike[str] | None


def data_root(root: Root = None) -> Path:
    """``root``, else ``$INRKIT_DATA_ROOT``, else ``load`` (the official folder name)."""
    return Path(root if root is not None else os.environ.get("INRKIT_DATA_ROOT") or "load")
