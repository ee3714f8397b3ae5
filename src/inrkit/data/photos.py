"""The bundled photo set: natural images that ship with scikit-image (no download).

Used to train the default LIIF model, for the demo and in tests. The split is fixed: the
held-out photos are never trained on, so the README's numbers on them are honest. (The sample
images of scikit-learn and matplotlib are kept out entirely: they are for independent
evaluation.)
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from inrkit.errors import InrkitError

TRAIN = (
    "hubble_deep_field.jpg",
    "ihc.png",
    "retina.jpg",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "camera.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "moon.png",
    "coins.png",
)
VAL = ("astronaut.png",)  # for epoch-best selection during training
HELD_OUT = ("chelsea.png", "rocket.jpg", "coffee.png")  # only for the reported numbers
SPLITS = {"train": TRAIN, "val": VAL, "held_out": HELD_OUT}


def photo_dir() -> Path:
    """scikit-image's data folder, which holds the photos."""
    try:
        import skimage
    except ImportError:
        raise InrkitError(
            "the bundled photos come with scikit-image: pip install 'inrkit[train]'"
        ) from None
    return Path(skimage.__file__).parent / "data"


def photo_paths(split: str = "train") -> list[Path]:
    """Paths of the photos of a split (``train`` or ``held_out``)."""
    if split not in SPLITS:
        raise InrkitError(f"unknown photo split {split!r} (known: {', '.join(SPLITS)})")
    folder = photo_dir()
    paths = [folder / name for name in SPLITS[split]]
    missing = [p.name for p in paths if not p.exists()]
    if missing:
        raise InrkitError(f"{folder}: scikit-image lacks {', '.join(missing)}")
    return paths


class Photos(Dataset):
    """The bundled photos as (3, H, W) tensors in [0, 1], kept in memory."""

    def __init__(self, split: str = "train", repeat: int = 1) -> None:
        from inrkit.data.image_folder import load_rgb

        self.paths = photo_paths(split)
        self.images = [load_rgb(p) for p in self.paths]
        self.repeat = int(repeat)

    def image_sizes(self) -> list[tuple[str, int, int]]:
        """``(file, height, width)`` of every photo."""
        return [
            (p.name, t.shape[-2], t.shape[-1]) for p, t in zip(self.paths, self.images, strict=True)
        ]

    def __len__(self) -> int:
        return len(self.images) * self.repeat

    def __getitem__(self, idx: int) -> torch.Tensor:
        return self.images[idx % len(self.images)]
