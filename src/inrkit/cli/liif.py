"""``inrkit liif``: LIIF experiments — ``train``, ``test``, ``eval``, ``study`` and ``export``.

``test`` (official configs), ``eval`` (LIIF, Sec. 4) and ``export`` are here; ``train`` and
``study`` in :mod:`.liif_train` and :mod:`.liif_study`.

Each sub-command is a pair of small functions: ``add_<name>(subparsers)`` registers its
parser (with ``run=...`` as default) and ``run_<name>(args) -> int`` does the work. To add a
sub-command, write the pair and append the ``add_`` function to :data:`SUBCOMMANDS`.
Torch and the models are imported inside the ``run_`` functions, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from inrkit.cli.flags import (
    add_data_root_flag,
    add_liif_model_flags,
    add_tiling_flags,
    note,
    parse_scales,
    pick_device,
    positive_int,
)
from inrkit.cli.liif_study import add_study
from inrkit.cli.liif_train import add_train
from inrkit.errors import InrkitError, file_error
from inrkit.liif.eval_config import EVAL_SETS


# ----- inrkit liif test ----------------------------------------------------------------------
def add_test(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit liif test``."""
    p = subparsers.add_parser(
        "test",
        help="PSNR of a model with an official test config (prints 'result: PSNR')",
        description="Run an official LIIF test config (configs/test/test-*.yaml, e.g. ours in "
        "configs/liif/test/) exactly as the official test.py, and print 'result: PSNR'.",
    )
    p.add_argument("config", type=Path, metavar="CONFIG", help="official test YAML")
    add_liif_model_flags(p)
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="where the config's ./load/ folder is (default: ./load, as the official)",
    )
    p.add_argument(
        "--eval-bsize",
        type=positive_int,
        metavar="N",
        help="queries per decoder batch (default: the config's eval_bsize)",
    )
    p.add_argument(
        "--num-workers",
        type=int,
        default=0,
        metavar="N",
        help="data loader processes (default: %(default)s)",
    )
    p.set_defaults(run=run_test)


def run_test(args: argparse.Namespace) -> int:
    """Official ``test.py``: build the loader, load the model, print ``result: {:.4f}``."""
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from inrkit.data.specs import make_dataset
    from inrkit.liif import load
    from inrkit.liif.eval_config import load_test_config
    from inrkit.liif.evaluate import eval_psnr

    config = load_test_config(args.config, root=args.root)
    spec = config.test_dataset
    dataset = make_dataset(spec.to_official(), where=f"{args.config}: test_dataset")
    loader = DataLoader(
        dataset,
        batch_size=spec.batch_size,
        shuffle=False,
        num_workers=max(args.num_workers, 0),
    )
    model = load(args.model, device=pick_device(args.device))
    bsize = args.eval_bsize if args.eval_bsize is not None else config.eval_bsize
    batches = tqdm(loader, desc="test", leave=False, disable=None)  # a bar only on a terminal
    result = eval_psnr(batches, model, config.data_norm, config.eval_type, bsize)
    print(f"result: {result:.4f}")
    return 0


# ----- inrkit liif eval ----------------------------------------------------------------------
def add_eval(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit liif eval``."""
    p = subparsers.add_parser(
        "eval",
        help="PSNR and SSIM of a model and of bicubic on a data set at any scales",
        description="Evaluate whole images at each scale with the set's protocol (benchmarks: "
        "Y channel, shave = scale; div2k: RGB, shave = scale + 6; others: RGB) as PSNR and SSIM "
        "(always on Y), beside bicubic on the same LR. At x2-x4 the official LR_bicubic "
        "folders are used when present; other scales make LR from HR as the official test "
        "configs do (PIL bicubic of the 8-bit HR). celebahq-64-128 and celebahq-32-256 are "
        "the paper's paired CelebA-HQ tasks (their scale is fixed: --scale may be left out).",
    )
    names = ", ".join(EVAL_SETS)
    p.add_argument(
        "--dataset",
        required=True,
        metavar="NAME",
        help=f"{names}, or a folder (or glob) of HR images",
    )
    p.add_argument(
        "--scale",
        type=parse_scales,
        action="extend",
        metavar="S",
        help="scale(s): --scale 2 --scale 6 or --scale 2,3,4,6 (required, except for the "
        "fixed CelebA-HQ tasks)",
    )
    add_liif_model_flags(p)
    add_data_root_flag(p)
    p.add_argument(
        "--protocol",
        choices=("plain", "benchmark", "div2k"),
        help="override the data set's protocol",
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the numbers as JSON")
    add_tiling_flags(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    p.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    """Evaluate, print the table, write the JSON."""
    from inrkit.liif import load
    from inrkit.liif.eval_config import fixed_scales, open_eval_set
    from inrkit.liif.evaluate import PROTOCOL_NOTES, evaluate_images, format_table, scale_key

    scales = list(dict.fromkeys(args.scale or fixed_scales(args.dataset) or []))
    if not scales:
        raise InrkitError(f"--scale is required for the dataset {args.dataset!r}")
    if args.json is not None and args.json.is_dir():
        raise file_error(args.json, "is a directory, expected a JSON file name")
    opened = open_eval_set(args.dataset, args.root, scales)
    protocol = args.protocol or opened.protocol
    model = load(args.model, device=pick_device(args.device))
    for remark in opened.notes:
        note(remark, args.quiet)
    progress = False if args.quiet else None  # None: bars only on a terminal
    result = evaluate_images(
        model,
        opened.hr_images,
        scales,
        protocol,
        paired=opened.paired,
        tile=args.tile,
        chunk=args.chunk,
        progress=progress,
    )
    print(
        f"{args.dataset}: {result['images']} images, {protocol} protocol "
        f"({PROTOCOL_NOTES[protocol]})"
    )
    print(format_table(result))
    if args.json is not None:
        lr_source = {
            scale_key(s): "official LR folder" if s in opened.paired else "bicubic from HR"
            for s in scales
        }
        report = {"dataset": args.dataset, "model": str(args.model), "lr": lr_source, **result}
        _write_json(args.json, report)
        note(f"wrote {args.json}", args.quiet)
    return 0


def _write_json(path: Path, data: dict) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n")
    except OSError as e:
        raise file_error(path, f"cannot write ({e.strerror or e})") from None


# ----- the group -----------------------------------------------------------------------------
# The sub-commands, in the order ``inrkit liif --help`` lists them.
def add_export(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit liif export``."""
    p = subparsers.add_parser(
        "export",
        help="write a checkpoint's model weights only (.safetensors or official .pth)",
        description="Read a checkpoint (a training checkpoint of ours or the official code, or "
        "a .safetensors) and write the model alone: OUT.safetensors in our format (the model "
        "spec in the metadata), any other name in the official structure without optimizer.",
    )
    p.add_argument("checkpoint", metavar="CKPT", help="checkpoint file or official model name")
    p.add_argument("out", type=Path, metavar="OUT", help="file to write")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Load, then save weights only; prints the path and its size."""
    from inrkit.liif import load, save

    if args.out.exists() and not args.overwrite:
        raise file_error(args.out, "already exists (use --overwrite)")
    if not args.out.parent.is_dir():
        raise file_error(args.out.parent, "no such folder")
    written = save(load(args.checkpoint), args.out, overwrite=True)
    print(f"wrote {written} ({written.stat().st_size / 2**20:.1f} MiB)")
    return 0


SUBCOMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_train,
    add_test,
    add_eval,
    add_study,
    add_export,
]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit liif`` and its sub-commands."""
    p = subparsers.add_parser(
        "liif",
        help="LIIF experiments: test with official configs, eval",
        description="LIIF experiments (Chen et al., CVPR 2021).",
    )
    sub = p.add_subparsers(dest="liif_command", metavar="SUBCOMMAND")
    for add in SUBCOMMANDS:
        add(sub)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Reached only without a sub-command."""
    raise InrkitError("liif needs a sub-command (see 'inrkit liif --help')")
