"""Image data sets for GIRAFFE training: the official ``images`` data set and its transforms.

The official ``ImagesDataset`` takes a glob (``data/comprehensive_cars/images/*.jpg``) and
applies, in this order: a resize to ``img_size`` x ``img_size`` (or, with ``random_crop``, a
resize of the shorter side then a random square crop; or, with ``celebA_center_crop``, a centre
crop of 108 pixels, 650 above 128-pixel outputs, then the resize), a random horizontal flip,
and ``[0, 1]`` floats (``[-1, 1]`` with ``use_tanh_range``). This module does the same with
Pillow (bilinear, antialiased, as torchvision's resize of a PIL image) and draws its random
numbers from torch, so a seeded run is reproducible and resumable.

Differences, on purpose: files are sorted (the official shuffles the list once with Python's
global RNG), a folder is accepted as well as a glob, and a file that cannot be read is an
error naming it (the official prints it and silently draws another image).
"""

from __future__ import annotations

import glob
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from inrkit.errors import InrkitError, file_error
from inrkit.io.images import list_images, read_image

CELEBA_CROP, CELEBAHQ_CROP = 108, 650


def _image_files(path_or_glob: str | Path) -> list[Path]:
    files = list_images(path_or_glob)
    if not files:
        empty = (
            "no image files match" if glob.has_magic(str(path_or_glob)) else "holds no image files"
        )
        raise file_error(path_or_glob, empty)
    return files


class ImagesDataset(Dataset):
    """Images for the discriminator: ``{'image': (3, S, S) float tensor}``.

    Args:
        path: A folder or a glob of image files.
        size: Output side ``img_size``.
        celeba_center_crop: Centre-crop faces first (official ``celebA_center_crop``).
        random_crop: Resize the shorter side, then crop at random (official).
        use_tanh_range: Values in [-1, 1] instead of [0, 1].
        flip: Random horizontal flips (the official always flips; off for evaluation).
    """

    def __init__(
        self,
        path: str | Path,
        size: int = 64,
        *,
        celeba_center_crop: bool = False,
        random_crop: bool = False,
        use_tanh_range: bool = False,
        flip: bool = True,
    ) -> None:
        if celeba_center_crop and random_crop:
            raise InrkitError("data: celebA_center_crop and random_crop cannot both be on")
        if size < 1:
            raise InrkitError(f"data.img_size must be positive, got {size}")
        self.files = _image_files(path)
        self.size, self.flip = size, flip
        self.celeba_center_crop, self.random_crop = celeba_center_crop, random_crop
        self.use_tanh_range = use_tanh_range

    def __len__(self) -> int:
        return len(self.files)

    def _transform(self, img: Image.Image) -> Image.Image:
        s = self.size
        if self.random_crop:
            w, h = img.size
            scale = s / min(w, h)
            img = img.resize(
                (max(s, round(w * scale)), max(s, round(h * scale))), Image.Resampling.BILINEAR
            )
            top = int(torch.randint(img.height - s + 1, ()).item())
            left = int(torch.randint(img.width - s + 1, ()).item())
            return img.crop((left, top, left + s, top + s))
        if self.celeba_center_crop:
            crop = CELEBA_CROP if s <= 128 else CELEBAHQ_CROP
            left, top = round((img.width - crop) / 2), round((img.height - crop) / 2)
            img = img.crop((left, top, left + crop, top + crop))  # pads with black if small
        return img.resize((s, s), Image.Resampling.BILINEAR)

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        path = self.files[idx]
        img = self._transform(read_image(path).convert("RGB"))
        if self.flip and torch.rand(()) < 0.5:
            img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        x = torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)
        if self.use_tanh_range:
            x = x * 2 - 1
        return {"image": x.contiguous()}

    def check_readable(self) -> None:
        """Open every file's header now, so a bad file fails the run at the start, by name.

        With the CelebA centre crop, an image smaller than the crop is refused too: it would be
        padded with black, and the GAN would learn the borders.
        """
        crop = (
            (CELEBA_CROP if self.size <= 128 else CELEBAHQ_CROP) if self.celeba_center_crop else 0
        )
        for path in self.files:
            try:
                with Image.open(path) as img:
                    width, height = img.size
            except (OSError, SyntaxError, ValueError) as e:
                raise file_error(path, f"not a readable image ({type(e).__name__})") from None
            if min(width, height) < crop:
                raise file_error(
                    path,
                    f"image is {width}x{height}, smaller than the CelebA centre crop {crop}x{crop} "
                    "(data.celebA_center_crop); use the original photos or turn the crop off",
                )
