"""``inrkit liif study``: one LIIF per training set, scored on other sets (LIIF, Sec. 4).

The work is :func:`inrkit.liif.study.run_study`; this module parses the flags and prints the
results table (stdout) and progress notes (stderr).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from inrkit.cli.flags import DEVICES, add_data_root_flag, parse_scales, positive_int
from inrkit.liif.eval_config import EVAL_SETS
from inrkit.liif.study_sets import TRAIN_SETS


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"empty name in {text!r}")
    return names


def add_study(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit liif study``."""
    p = subparsers.add_parser(
        "study",
        help="train one model per data set (seed recipe), evaluate each on others, report",
        description="Train the seed's recipe (EDSR-baseline-LIIF, batch 16, Adam lr 1e-4, 48x48 "
        "LR patches at scales x1-x4, L1; configs/liif/study_seed.yaml) once per training set, "
        "evaluate each final model on every eval set at every scale (PSNR and SSIM, beside "
        "bicubic), and write OUT/report.md, OUT/results.json and OUT/curves/. Rerunning the "
        "same command skips finished runs, resumes an unfinished one and evaluates only what "
        "is missing.",
    )
    p.add_argument(
        "--train",
        type=_names,
        required=True,
        metavar="SETS",
        help=f"comma-separated: {', '.join(TRAIN_SETS)}, or folders of HR images",
    )
    p.add_argument(
        "--eval",
        type=_names,
        default=["celebahq"],
        metavar="SETS",
        help=f"comma-separated: {', '.join(EVAL_SETS)}, or folders of HR images "
        "(default: celebahq)",
    )
    add_data_root_flag(p)
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=15,
        metavar="N",
        help="epochs per run (default: %(default)s)",
    )
    p.add_argument(
        "--steps-per-epoch",
        type=positive_int,
        metavar="N",
        help="a CPU budget: stop each epoch after N steps of the batch (default: whole epochs, "
        "1000 steps each); printed in the report",
    )
    p.add_argument(
        "--out-dir",
        type=Path,
        required=True,
        metavar="OUT",
        help="the study folder (runs/, curves/, report.md, results.json)",
    )
    p.add_argument(
        "--scales",
        type=parse_scales,
        default=[2.0, 3.0, 4.0],
        metavar="S,S",
        help="evaluation scales (default: 2,3,4)",
    )
    p.add_argument(
        "--config",
        type=Path,
        metavar="YAML",
        help="another recipe (default: the seed's; its train_dataset.dataset is replaced per run)",
    )
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help="override a value of every run's config, e.g. --set "
        "train_dataset.batch_size=8 (repeatable; values are YAML)",
    )
    p.add_argument(
        "--pretrained",
        action="append",
        default=[],
        metavar="ROW=MODEL",
        help="also score a model this study does not train, as row ROW (a checkpoint or a "
        "named model, e.g. div2k=edsr-baseline-liif: the authors' DIV2K-trained weights); "
        "repeatable",
    )
    p.add_argument(
        "--compare",
        type=Path,
        metavar="YAML",
        help="published numbers to print beside the table: 'title', 'rows' ({row: {column: "
        "PSNR}}) and an optional 'note' (e.g. studies/seed/seed_numbers.yaml)",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--resume-runs",
        action="store_true",
        help="the default: skip finished runs, resume unfinished ones, refuse "
        "runs whose recipe changed",
    )
    mode.add_argument(
        "--force",
        action="store_true",
        help="start runs whose recipe changed fresh (deletes OUT/runs/<run>)",
    )
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    p.set_defaults(run=run_study)


def command_line(args: argparse.Namespace) -> str:
    """The command, rebuilt from the parsed flags, for the report."""
    parts = [
        "inrkit",
        "liif",
        "study",
        "--train",
        ",".join(args.train),
        "--eval",
        ",".join(args.eval),
    ]
    if args.root is not None:
        parts += ["--root", str(args.root)]
    parts += [
        "--epochs",
        str(args.epochs),
        *(["--steps-per-epoch", str(args.steps_per_epoch)] if args.steps_per_epoch else []),
        "--out-dir",
        str(args.out_dir),
        "--scales",
        ",".join(f"{s:g}" for s in args.scales),
    ]
    if args.config is not None:
        parts += ["--config", str(args.config)]
    for item in args.overrides:
        parts += ["--set", item]
    for item in args.pretrained:
        parts += ["--pretrained", item]
    if args.compare is not None:
        parts += ["--compare", str(args.compare)]
    return shlex.join(parts + (["--force"] if args.force else []))


def run_study(args: argparse.Namespace) -> int:
    """Run the study, then print its table and where the report is."""
    from tqdm import tqdm

    from inrkit.liif import study
    from inrkit.liif.study_report import results_table

    def note(message: str) -> None:
        if not args.quiet:
            tqdm.write(f"study: {message}", file=sys.stderr)

    results = study.run_study(
        args.train,
        args.eval,
        args.out_dir,
        root=args.root,
        epochs=args.epochs,
        scales=args.scales,
        overrides=args.overrides,
        config=args.config,
        steps_per_epoch=args.steps_per_epoch,
        pretrained=study.parse_pretrained(args.pretrained),
        compare=args.compare,
        force=args.force,
        device=args.device,
        progress=False if args.quiet else None,
        command=command_line(args),
        log=note,
    )
    print(results_table(results))
    for warning in results["warnings"]:  # shown even with --quiet: a number to distrust
        tqdm.write(f"study: warning: {warning}", file=sys.stderr)
    note(f"wrote {args.out_dir / 'report.md'} and {args.out_dir / 'results.json'}")
    return 0
