"""A tiny LIIF training run for the fault tests: config, runs of the real command, digests."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml
from PIL import Image

from testlib.liif import TINY_MODEL_SPEC

ROBUSTNESS = Path(__file__).resolve().parents[1] / "robustness"
RUNNER = ROBUSTNESS / "fault_runner.py"
# 3 images x repeat 2 / batch 2: three optimizer steps between two checkpoints.
STEPS_PER_EPOCH = 3


def tiny_images(folder: Path, n: int = 3, side: int = 32) -> Path:
    """Smooth colour patterns with seeded noise, as PNGs in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:side, 0:side] / side
    for i in range(n):
        img = 120 + 80 * np.stack([np.sin(5 * x + i), np.cos(4 * y - i), np.sin(7 * x * y)], -1)
        img += rng.normal(0, 10, img.shape)
        Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(folder / f"{i:04d}.png")
    return folder


def tiny_config(folder: Path, **changes: object) -> Path:
    """An official-structure config: one-block encoder, 16-16 MLP, validation every epoch."""
    data = tiny_images(folder / "hr")
    wrapper = {"name": "sr-implicit-downsampled", "args": {"inp_size": 8, "scale_max": 4}}
    cfg = {
        "train_dataset": {
            "dataset": {
                "name": "image-folder",
                "args": {"root_path": str(data), "repeat": 2, "cache": "in_memory"},
            },
            "wrapper": {**wrapper, "args": {**wrapper["args"], "augment": True, "sample_q": 32}},
            "batch_size": 2,
        },
        "val_dataset": {  # two batches, so that a kill can land between them
            "dataset": {"name": "image-folder", "args": {"root_path": str(data), "first_k": 2}},
            "wrapper": {**wrapper, "args": {**wrapper["args"], "sample_q": 32}},
            "batch_size": 1,
        },
        "data_norm": {"inp": {"sub": [0.5], "div": [0.5]}, "gt": {"sub": [0.5], "div": [0.5]}},
        "model": copy.deepcopy(TINY_MODEL_SPEC),
        "optimizer": {"name": "adam", "args": {"lr": 1.0e-3}},
        "epoch_max": 12,
        "multi_step_lr": {"milestones": [6], "gamma": 0.5},
        "epoch_val": 1,
        "epoch_save": 2,
    }
    cfg.update(changes)
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def child_env(**extra: str) -> dict[str, str]:
    """One thread (deterministic and light), no bytecode writes, offline."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "INRKIT_OFFLINE": "1"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key in ("INRKIT_TEST_FAULT", "INRKIT_TEST_PROGRESS"):
        env.pop(key, None)
    return {**env, **extra}


def train_command(config: Path, out_dir: Path, name: str, resume: bool) -> list[str]:
    """``inrkit liif train`` through the fault runner (inert unless a fault is armed)."""
    cmd = [sys.executable, str(RUNNER), "liif", "train", str(config)]
    return [*cmd, "--out-dir", str(out_dir), "--name", name, *(["--resume"] if resume else [])]


def train_to_end(config: Path, out_dir: Path, name: str, resume: bool = False) -> str:
    """Run the command to the end; its stdout (one JSON line per epoch)."""
    done = subprocess.run(
        train_command(config, out_dir, name, resume),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def weights_of(path: Path) -> str:
    """The digest of the model in a training checkpoint, as ``inrkit.liif.load`` rebuilds it."""
    from inrkit.io.checkpoints import weights_digest
    from inrkit.liif import load

    return weights_digest(load(path))
