"""A tiny GIRAFFE training run for the fault tests: config, runs of the real command, digests."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from inrkit.giraffe.official_config import to_official
from testlib.giraffe import TINY
from testlib.train_faults import RUNNER, child_env, tiny_images

# 6 images / batch 2: three iterations per epoch, so checkpoints land mid-epoch and at its end.
CHECKPOINT_EVERY = 2


def tiny_config(folder: Path, **training: object) -> Path:
    """An official-structure config: TINY's model (32 px), six images, a short schedule that
    keeps every checkpoint (``backup_every`` = ``checkpoint_every``) and validates by SWD on
    two batches of fakes, so that a kill can land between them."""
    data = tiny_images(folder / "images", n=6)
    cfg = to_official(TINY)
    cfg["data"].update({"path": str(data / "*.png"), "random_crop": False})
    cfg["training"].update(
        {
            "out_dir": str(folder / "out"),
            "batch_size": 2,
            "n_workers": 0,
            "max_iters": 24,
            "print_every": 4,
            "checkpoint_every": CHECKPOINT_EVERY,
            "backup_every": CHECKPOINT_EVERY,
            "validate_every": 4,
            "visualize_every": 0,
            "model_selection_metric": "swd",
            "n_eval_images": 4,
            "eval_batch_size": 2,
            **training,
        }
    )
    path = folder / "giraffe_tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def train_command(config: Path, out_dir: Path, resume: bool) -> list[str]:
    """``inrkit giraffe train`` through the fault runner (inert unless a fault is armed)."""
    cmd = [sys.executable, str(RUNNER), "giraffe", "train", str(config), "--out-dir", str(out_dir)]
    return [*cmd, "-q", *(["--resume"] if resume else [])]


def train_to_end(config: Path, out_dir: Path, resume: bool = False) -> None:
    """Run the command to the end."""
    done = subprocess.run(
        train_command(config, out_dir, resume),
        capture_output=True,
        text=True,
        env=child_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def read(path: Path) -> dict[str, Any]:
    """A checkpoint as the trainer resumes from it (``torch.load(weights_only=True)``)."""
    from inrkit.giraffe.checkpoint import read_checkpoint

    return read_checkpoint(path)


def weights_of(path: Path) -> str:
    """The digest of the network in a checkpoint, as ``inrkit.giraffe.load`` rebuilds it."""
    from inrkit.giraffe import load
    from inrkit.io.checkpoints import weights_digest

    return weights_digest(load(path).network)


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes. Checkpoints of the same state are byte-identical: weights,
    both optimizers, counters, the best metric, the RNG states and the position in the epoch."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
