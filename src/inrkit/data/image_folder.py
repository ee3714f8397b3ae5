"""Images from a folder as float tensors (the official ``image-folder`` data set).

Official semantics: files sorted by name, ``first_k`` keeps the first k, ``repeat`` makes an
epoch see every image ``repeat`` times, ``cache`` is ``none`` (read on every access),
``in_memory`` (decode once) or ``bin`` (decode once into ``.npy`` files beside the data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from inrkit.errors import InrkitError, file_error
from inrkit.io.images import image_files_in, read_image
from inrkit.io.modes import to_float_rgb

CACHE_MODES = ("none", "in_memory", "bin")


def load_rgb(path: Path) -> torch.Tensor:
    """Read any image file as a (3, H, W) float tensor in [0, 1] (alpha dropped)."""
    rgb, _, _ = to_float_rgb(read_image(path))
    return torch.from_numpy(rgb).permute(2, 0, 1).contiguous()


class ImageFolder(Dataset):
    """All images of a folder, optionally the first k, repeated, cached.

    Args:
        root_path: Folder of images (non-recursive).
        split_file / split_key: A JSON file with lists of file names under keys (CelebAHQ).
        first_k: Keep only the first k files (sorted by name).
        repeat: Times each image appears per epoch.
        cache: ``none``, ``in_memory`` or ``bin`` (see module docstring).
    """

    def __init__(
        self,
        root_path: str | Path,
        split_file: str | Path | None = None,
        split_key: str | None = None,
        first_k: int | None = None,
        repeat: int = 1,
        cache: str = "none",
    ) -> None:
        root = Path(root_path)
        if not root.is_dir():
            raise file_error(root, "data folder does not exist")
        if cache not in CACHE_MODES:
            raise InrkitError(f"cache must be one of {', '.join(CACHE_MODES)}, got {cache!r}")
        if split_file is not None:
            import json

            names = json.loads(Path(split_file).read_text())[split_key]
            files = [root / n for n in names]
        else:
            files = image_files_in(root)
        if first_k is not None:
            files = files[:first_k]
        if not files:
            raise file_error(root, "no images in this folder")
        self.files, self.repeat, self.cache = files, int(repeat), cache
        self._memory: list[torch.Tensor] | None = None
        if cache == "in_memory":
            self._memory = [load_rgb(f) for f in files]
        elif cache == "bin":
            self._bins = [self._bin_for(f) for f in files]

    @staticmethod
    def _bin_for(path: Path) -> Path:
        """Decode once into ``_bin_<folder>/<name>.npy`` beside the folder, reuse after."""
        target = path.parent.parent / f"_bin_{path.parent.name}" / f"{path.stem}.npy"
        if not target.exists():
            target.parent.mkdir(exist_ok=True)
            tmp = target.with_suffix(".tmp.npy")
            np.save(tmp, (load_rgb(path).numpy() * 255).round().astype(np.uint8))
            tmp.replace(target)
        return target

    def image_sizes(self) -> list[tuple[str, int, int]]:
        """``(file, height, width)`` of every image, from headers unless decoded already."""
        from PIL import Image

        if self._memory is not None:
            return [
                (str(f), t.shape[-2], t.shape[-1])
                for f, t in zip(self.files, self._memory, strict=True)
            ]
        sizes = []
        for f in self.files:
            with Image.open(f) as im:
                sizes.append((str(f), im.height, im.width))
        return sizes

    def __len__(self) -> int:
        return len(self.files) * self.repeat

    def __getitem__(self, idx: int) -> torch.Tensor:
        i = idx % len(self.files)
        if self._memory is not None:
            return self._memory[i]
        if self.cache == "bin":
            return torch.from_numpy(np.load(self._bins[i])).float() / 255
        return load_rgb(self.files[i])
