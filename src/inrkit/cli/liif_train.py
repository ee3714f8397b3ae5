"""``inrkit liif train``: train LIIF from an official (or our) YAML config (LIIF, Sec. 4.1).

Single process, or several under ``torchrun --nproc_per_node N -m inrkit liif train ...``
(DDP: gloo on CPU, nccl on CUDA; rank 0 logs and writes checkpoints).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inrkit.cli.flags import add_training_flags
from inrkit.errors import InrkitError


def add_train(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit liif train``."""
    p = subparsers.add_parser(
        "train",
        help="train LIIF from a YAML config (official train configs load unchanged)",
        description="Train LIIF. Writes config.json, epoch-last/-best/-N.pth (official format), "
        "history.jsonl/.csv, loss.png, psnr.png and TensorBoard logs to OUT_DIR/NAME.",
    )
    p.add_argument("config", type=Path, metavar="CONFIG.yaml")
    p.add_argument("--name", help="run name (default: the config file's stem)")
    p.add_argument(
        "--out-dir", type=Path, default=Path("runs"), help="parent folder of runs (default: runs)"
    )
    add_training_flags(
        p,
        resume_help="continue from the run's epoch-last.pth",
        set_example="--set epoch_max=30 --set train_dataset.batch_size=8",
        quiet_help="no progress bars or epoch lines",
    )
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Load and check the config, then train; one JSON line per epoch on stdout."""
    from inrkit.liif.config import load_config
    from inrkit.liif.train import train

    config = load_config(args.config, args.overrides)
    name = args.name or args.config.stem
    if not name or "/" in name or name in (".", ".."):
        raise InrkitError(f"--name {name!r}: must be a plain folder name")
    result = train(
        config,
        args.out_dir / name,
        resume=args.resume,
        device=args.device,
        progress=False if args.quiet else None,
    )
    if not args.quiet:
        print(f"done: {result['out_dir']} (best val PSNR {result['best_val']:.4f})")
    return 0
