"""LIIF test helpers: the official implementations' reference outputs for the tiny variants,
small image folders, and a tiny official-structure training config."""

from __future__ import annotations

import copy
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
LIIF_FIXTURES = TESTS / "fixtures" / "liif"
MODEL = LIIF_FIXTURES / "edsr-small.pth"  # the tiny edsr-small checkpoint
# Large reference files stay in the shared folder beside the project (present in CI).
SHARED_LIIF = TESTS.parent.parent / "shared" / "fixtures" / "liif"

LIIF_VARIANTS = [
    "edsr-small",
    "edsr-small-plain",
    "edsr-small-noens",
    "edsr-big-small",
    "rcan-small",
    "rdn-a-g8",
    "metasr-small",
]


# The tiny LIIF of the training tests: one residual block of 8 channels, an MLP of 16 x 2.
TINY_MODEL_SPEC = {
    "name": "liif",
    "args": {
        "encoder_spec": {
            "name": "edsr-baseline",
            "args": {"n_resblocks": 1, "n_feats": 8, "no_upsampling": True},
        },
        "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [16, 16]}},
    },
}


def liif_fixture(variant: str, suffix: str) -> Path:
    """Path of a LIIF reference file; in CI a missing shared file fails instead of skipping."""
    for folder in (LIIF_FIXTURES, SHARED_LIIF):
        if (folder / f"{variant}{suffix}").exists():
            return folder / f"{variant}{suffix}"
    if os.environ.get("CI"):
        pytest.fail(
            f"reference file {variant}{suffix} missing in {LIIF_FIXTURES} and {SHARED_LIIF}"
        )
    pytest.skip(f"{variant}{suffix} lives in {SHARED_LIIF}, which is not beside this checkout")


SIZES = [(48, 40), (44, 52), (40, 40)]


def write_images(folder: Path, sizes=SIZES, seed: int = 0) -> list[Path]:
    """Small smooth RGB PNGs (bicubic-upsampled noise), so SR is neither trivial nor hopeless."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, (h, w) in enumerate(sizes):
        small = Image.fromarray((rng.random((h // 4, w // 4, 3)) * 255).astype(np.uint8))
        path = folder / f"im{i}.png"
        small.resize((w, h), Image.BICUBIC).save(path)
        paths.append(path)
    return paths


def as_tensor(path: Path) -> torch.Tensor:
    """An image file as a float CHW tensor in [0, 1]."""
    arr = np.asarray(Image.open(path).convert("RGB"))
    return torch.from_numpy(arr.copy()).permute(2, 0, 1).float() / 255


def _photos(folder: Path, n: int = 3, side: int = 40) -> Path:
    """``n`` seeded noisy sinusoid PNGs of ``side`` px, the training data of the tiny config."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        y, x = np.mgrid[0:side, 0:side] / side
        img = 120 + 80 * np.stack([np.sin(5 * x + i), np.cos(4 * y - i), np.sin(7 * x * y)], -1)
        img += rng.normal(0, 10, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"{i:04d}.png")
    return folder


def tiny_train_config(tmp_path: Path, **changes) -> Path:
    """An official-structure training config on a tiny model and tiny folders."""
    data = _photos(tmp_path / "hr")
    cfg = {
        "train_dataset": {
            "dataset": {
                "name": "image-folder",
                "args": {"root_path": str(data), "repeat": 2, "cache": "in_memory"},
            },
            "wrapper": {
                "name": "sr-implicit-downsampled",
                "args": {"inp_size": 8, "scale_max": 4, "augment": True, "sample_q": 48},
            },
            "batch_size": 2,
        },
        "val_dataset": {
            "dataset": {"name": "image-folder", "args": {"root_path": str(data), "first_k": 2}},
            "wrapper": {
                "name": "sr-implicit-downsampled",
                "args": {"inp_size": 8, "scale_max": 4, "sample_q": 48},
            },
            "batch_size": 2,
        },
        "data_norm": {"inp": {"sub": [0.5], "div": [0.5]}, "gt": {"sub": [0.5], "div": [0.5]}},
        "model": copy.deepcopy(TINY_MODEL_SPEC),
        "optimizer": {"name": "adam", "args": {"lr": 1.0e-3}},
        "epoch_max": 3,
        "multi_step_lr": {"milestones": [2], "gamma": 0.5},
        "epoch_val": 1,
        "epoch_save": 2,
    }
    cfg.update(changes)
    path = tmp_path / "train_tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path
