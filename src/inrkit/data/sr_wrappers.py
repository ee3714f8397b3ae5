"""LIIF's training samples: an LR input, HR query coordinates, cells and colours (Sec. 4.1).

The three official wrappers, with their semantics:

* ``sr-implicit-downsampled``: a random scale s ~ U(scale_min, scale_max); an HR crop of
  ``round(inp_size * s)`` pixels is bicubic-downsampled to the ``inp_size`` LR input (whole
  images when ``inp_size`` is None).
* ``sr-implicit-paired``: LR/HR pairs from folders (integer scale), aligned crops.
* ``sr-implicit-uniform-varied``: CelebAHQ pairs whose HR size grows with the index.

All return ``{'inp': (3, h, w), 'coord': (Q, 2), 'cell': (Q, 2), 'gt': (Q, 3)}`` in [0, 1]
(normalisation happens in the trainer), with random flips / transposes when ``augment``, and
``sample_q`` random HR pixels (without replacement) when given.
"""

from __future__ import annotations

import math
import random
from typing import Any, Protocol, runtime_checkable

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset

from inrkit.errors import InrkitError
from inrkit.nn.coords import make_coord


@runtime_checkable
class SizedDataset(Protocol):
    """A map-style data set: its length and its items by index.

    What a wrapper reads from the data set it wraps (torch's ``Dataset`` declares no
    ``__len__``; every data set of ours has one).
    """

    def __len__(self) -> int: ...

    def __getitem__(self, idx: int) -> Any: ...


def resize_fn(img: torch.Tensor, size: int | tuple[int, int]) -> torch.Tensor:
    """Bicubic resize as the official code does it (8-bit PIL round trip, anti-aliased).

    Args:
        img: (3, H, W) in [0, 1]. size: (h, w), or one int for the *shorter* side.
    """
    # The official ToPILImage truncates (x * 255).byte(); keep it for identical inputs.
    arr = img.mul(255).byte().permute(1, 2, 0).numpy()
    pil = Image.fromarray(arr)
    if isinstance(size, int):
        h, w = img.shape[-2:]
        size = (size, round(size * w / h)) if h <= w else (round(size * h / w), size)
    out = pil.resize((size[1], size[0]), Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(out).copy()).permute(2, 0, 1).float() / 255


def to_pixel_samples(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, H, W) -> pixel-centre coords (H*W, 2) and colours (H*W, 3), row-major."""
    return make_coord(img.shape[-2:]), img.reshape(3, -1).permute(1, 0)


def _augment_fn(enabled: bool):
    """One random dihedral transform (flips and transpose), applied alike to LR and HR."""
    if not enabled:
        return lambda x: x
    hflip, vflip, dflip = (random.random() < 0.5 for _ in range(3))

    def apply(x: torch.Tensor) -> torch.Tensor:
        if hflip:
            x = x.flip(-2)
        if vflip:
            x = x.flip(-1)
        if dflip:
            x = x.transpose(-2, -1)
        return x

    return apply


def _sample(hr: torch.Tensor, inp: torch.Tensor, sample_q: int | None) -> dict[str, torch.Tensor]:
    coord, rgb = to_pixel_samples(hr.contiguous())
    if sample_q is not None:
        keep = torch.from_numpy(np.random.choice(len(coord), sample_q, replace=False))
        coord, rgb = coord[keep], rgb[keep]
    cell = torch.ones_like(coord)
    cell[:, 0] *= 2 / hr.shape[-2]
    cell[:, 1] *= 2 / hr.shape[-1]
    return {"inp": inp, "coord": coord, "cell": cell, "gt": rgb}


class _Wrapper(Dataset):
    """What every wrapper holds: the wrapped data set (its length is the wrapper's), whether to
    augment, and how many HR pixels a sample keeps."""

    def __init__(self, dataset: SizedDataset, augment: bool, sample_q: int | None) -> None:
        self.dataset = dataset
        self.augment = augment
        self.sample_q = sample_q

    def __len__(self) -> int:
        return len(self.dataset)


class SRImplicitDownsampled(_Wrapper):
    """Random-scale bicubic downsampling of HR images (the paper's training samples)."""

    def __init__(
        self,
        dataset: SizedDataset,
        inp_size: int | None = None,
        scale_min: float = 1,
        scale_max: float | None = None,
        augment: bool = False,
        sample_q: int | None = None,
    ) -> None:
        super().__init__(dataset, augment, sample_q)
        self.inp_size = inp_size
        self.scale_min = scale_min
        self.scale_max = scale_min if scale_max is None else scale_max

    def largest_crop(self) -> int | None:
        """Side of the largest HR crop a sample can take (None: whole images)."""
        return None if self.inp_size is None else round(self.inp_size * self.scale_max)

    def check_sizes(self) -> None:
        """Refuse, before training, an image smaller than the largest HR crop (names it)."""
        need = self.largest_crop()
        sizes = getattr(self.dataset, "image_sizes", None)
        if need is None or sizes is None:
            return
        for name, h, w in sizes():
            if min(h, w) < need:
                raise InrkitError(
                    f"{name}: image is {w}x{h}, smaller than the largest HR crop {need}x{need} "
                    f"(inp_size {self.inp_size} x scale_max {self.scale_max:g}); use larger "
                    "images or lower inp_size or scale_max"
                )

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        img = self.dataset[idx]
        s = random.uniform(self.scale_min, self.scale_max)
        if self.inp_size is None:
            h_lr = math.floor(img.shape[-2] / s + 1e-9)
            w_lr = math.floor(img.shape[-1] / s + 1e-9)
            hr = img[:, : round(h_lr * s), : round(w_lr * s)]
            lr = resize_fn(hr, (h_lr, w_lr))
        else:
            w_lr = self.inp_size
            w_hr = round(w_lr * s)
            if w_hr > min(img.shape[-2:]):
                h, w = img.shape[-2:]
                raise InrkitError(
                    f"a training image is {w}x{h}, smaller than the HR crop {w_hr}x{w_hr} "
                    f"(inp_size {self.inp_size} x scale {s:.2f}); use larger images or lower "
                    "inp_size or scale_max"
                )
            x0 = random.randint(0, img.shape[-2] - w_hr)
            y0 = random.randint(0, img.shape[-1] - w_hr)
            hr = img[:, x0 : x0 + w_hr, y0 : y0 + w_hr]
            lr = resize_fn(hr, (w_lr, w_lr))
        aug = _augment_fn(self.augment)
        return _sample(aug(hr), aug(lr), self.sample_q)


class SRImplicitPaired(_Wrapper):
    """Aligned crops of (LR, HR) pairs with an integer scale (e.g. DIV2K bicubic folders)."""

    def __init__(
        self,
        dataset: SizedDataset,
        inp_size: int | None = None,
        augment: bool = False,
        sample_q: int | None = None,
    ) -> None:
        super().__init__(dataset, augment, sample_q)
        self.inp_size = inp_size

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        lr, hr = self.dataset[idx]
        s = hr.shape[-2] // lr.shape[-2]  # integer scale, as in the official code
        if self.inp_size is None:
            h_lr, w_lr = lr.shape[-2:]
            hr = hr[:, : h_lr * s, : w_lr * s]
        else:
            w = self.inp_size
            if w > min(lr.shape[-2:]):
                h_lr, w_lr = lr.shape[-2:]
                raise InrkitError(
                    f"an LR training image is {w_lr}x{h_lr}, smaller than inp_size {w}; "
                    "use larger images or lower inp_size"
                )
            x0 = random.randint(0, lr.shape[-2] - w)
            y0 = random.randint(0, lr.shape[-1] - w)
            lr = lr[:, x0 : x0 + w, y0 : y0 + w]
            hr = hr[:, x0 * s : (x0 + w) * s, y0 * s : (y0 + w) * s]
        aug = _augment_fn(self.augment)
        return _sample(aug(hr), aug(lr), self.sample_q)


class SRImplicitUniformVaried(_Wrapper):
    """CelebAHQ pairs: the HR target size grows linearly with the index (official)."""

    def __init__(
        self,
        dataset: SizedDataset,
        size_min: int,
        size_max: int | None = None,
        augment: bool = False,
        gt_resize: int | None = None,
        sample_q: int | None = None,
    ) -> None:
        super().__init__(dataset, augment, sample_q)
        self.gt_resize = gt_resize
        self.size_min = size_min
        self.size_max = size_min if size_max is None else size_max

    def __getitem__(self, idx: int) -> dict[str, torch.Tensor]:
        lr, hr = self.dataset[idx]
        p = idx / max(len(self.dataset) - 1, 1)
        hr = resize_fn(hr, round(self.size_min + (self.size_max - self.size_min) * p))
        if self.augment and random.random() < 0.5:
            lr, hr = lr.flip(-1), hr.flip(-1)
        if self.gt_resize is not None:
            hr = resize_fn(hr, self.gt_resize)
        return _sample(hr, lr, self.sample_q)


WRAPPERS = {
    "sr-implicit-downsampled": SRImplicitDownsampled,
    "sr-implicit-paired": SRImplicitPaired,
    "sr-implicit-uniform-varied": SRImplicitUniformVaried,
}
