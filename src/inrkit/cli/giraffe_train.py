"""``inrkit giraffe train``: train GIRAFFE from an official (or our) YAML config.

Single process, or several under ``torchrun --nproc_per_node N -m inrkit giraffe train ...``
(gloo on CPU, nccl on CUDA; rank 0 logs, validates and writes checkpoints).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inrkit.cli.flags import add_training_flags


def add_train(commands: argparse._SubParsersAction) -> None:
    """Register ``inrkit giraffe train``."""
    p = commands.add_parser(
        "train",
        help="train GIRAFFE on a folder of images (official configs load unchanged)",
        description="Train GIRAFFE. Writes model.pt (every checkpoint_every iterations), "
        "model_best.pt (best validation metric), model_<it>.pt (every backup_every), sample "
        "grids under vis/, history.jsonl/.csv, losses.png, metric.png and TensorBoard logs to "
        "the run folder (--out-dir, else the config's training.out_dir).",
    )
    p.add_argument("config", type=Path, metavar="CONFIG.yaml")
    p.add_argument("--out-dir", type=Path, help="run folder (default: training.out_dir)")
    p.add_argument(
        "--init-from",
        metavar="MODEL",
        help="start a new run's generator from this checkpoint (a path or a model name) whose "
        "fields, codes and renderer have the same sizes, e.g. a 64 px run from a 32 px model: "
        "the renderer's new upsampling stage starts at zero, the discriminator fresh",
    )
    add_training_flags(
        p,
        resume_help="continue from the run's model.pt",
        set_example="--set training.max_iters=2000 --set data.path=scenes/",
        quiet_help="no progress bar or summary",
    )
    p.set_defaults(run=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Load and check the config, then train."""
    from inrkit.giraffe.train import train
    from inrkit.giraffe.train_config import load_train_config

    config = load_train_config(args.config, args.overrides)
    out = args.out_dir or Path(config.settings.out_dir)
    result = train(
        config,
        out,
        resume=args.resume,
        init_from=args.init_from,
        device=args.device,
        progress=False if args.quiet else None,
    )
    if not args.quiet:
        metric = config.settings.model_selection_metric
        best = f"best {metric} {result['best']:.4g}"
        print(f"done: {result['out_dir']} at iteration {result['it']} ({best})")
    return 0
