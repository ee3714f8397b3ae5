"""``inrkit giraffe render``: the paper's controllable animations as GIFs, MP4s and PNG strips.

Everything cheap is checked before the model is loaded: the counts and names (while parsing),
the config, and that no output exists (without ``--overwrite``). Torch and the model are
imported inside :func:`run`, so ``inrkit --help`` stays fast; the names below are equal to
``inrkit.giraffe.PROGRAMS`` / ``PRESETS`` (a test checks it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inrkit.cli.giraffe_eval import add_eval
from inrkit.cli.giraffe_train import add_train
from inrkit.errors import InrkitError, file_error

PROGRAMS = (
    "object_rotation",
    "object_translation_horizontal",
    "object_translation_vertical",
    "interpolate_app",
    "interpolate_shape",
    "interpolate_app_bg",
    "object_translation_circle",
    "render_camera_elevation",
    "render_add_cars",
    "render_add_clevr10",
    "render_add_clevr6",
)
ALIASES = {"object_translation_depth": "object_translation_vertical"}
PRESETS = (
    "cars_64",
    "cats_64",
    "celeba_64",
    "chairs_64",
    "church_64",
    "cars_256",
    "celebahq_256",
    "church_256",
    "clevr2_256",
    "clevr2345_256",
    "ffhq_256",
)
MAX_SAMPLES, MAX_STEPS = 256, 1000  # as inrkit.giraffe.programs


def _whole(text: str, lo: int, hi: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"{what} must be from {lo} to {hi}, got {text!r}")
    return value


def n_samples(text: str) -> int:
    """Scenes per frame: 1 to 256."""
    return _whole(text, 1, MAX_SAMPLES, "samples")


def steps(text: str) -> int:
    """Frames per slider sweep: 2 to 1000."""
    return _whole(text, 2, MAX_STEPS, "steps")


def seed(text: str) -> int:
    """A seed from 0 to 2^63 - 1."""
    return _whole(text, 0, 2**63 - 1, "seed")


def program(text: str) -> str:
    """An official program name (or alias), returned as the official name."""
    name = ALIASES.get(text, text)
    if name not in PROGRAMS:
        known = ", ".join([*PROGRAMS, *ALIASES])
        raise argparse.ArgumentTypeError(f"unknown render program {text!r} (known: {known})")
    return name


def _config_program(name: str) -> str:
    try:
        return program(name)
    except argparse.ArgumentTypeError as e:
        raise InrkitError(f"the config's rendering.render_program: {e}") from None


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit giraffe`` and its ``render`` sub-command."""
    group = subparsers.add_parser(
        "giraffe",
        help="render GIRAFFE models (compositional 3D-aware image synthesis)",
        description="GIRAFFE models: official checkpoints and configs, rendered on a CPU.",
    )
    group.set_defaults(run=run, giraffe_command=None, _giraffe_parser=group)
    commands = group.add_subparsers(dest="giraffe_command", metavar="COMMAND")
    p = commands.add_parser(
        "render",
        help="render controllable animations (GIF, MP4, PNG strips)",
        description="Render the paper's controllable animations. Each program writes "
        "DIR/NAME/NAME.gif (a looping grid of the samples; .mp4 with --format mp4, which needs "
        "ffmpeg) and DIR/NAME/NAME_0000.png, ... (six frames of each sample side by side). "
        f"Programs: {', '.join(PROGRAMS)} (object_translation_depth = "
        f"object_translation_vertical). Presets: {', '.join(PRESETS)}.",
    )
    p.add_argument(
        "--model",
        default="default",
        metavar="CKPT",
        help="checkpoint file, or an official pretrained model named by its preset, e.g. "
        "cars_64 (downloaded once) (default: %(default)s)",
    )
    p.add_argument(
        "--config",
        metavar="PRESET",
        help="preset name or official YAML file; needed for official checkpoint files",
    )
    p.add_argument(
        "--program",
        type=program,
        action="append",
        metavar="NAME",
        help="render program (repeatable; default: the config's render_program list)",
    )
    p.add_argument("--out-dir", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--n-samples",
        type=n_samples,
        default=15,
        metavar="N",
        help="scenes per frame (default: %(default)s)",
    )
    p.add_argument(
        "--steps",
        type=steps,
        default=32,
        metavar="T",
        help="frames per slider sweep (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=seed,
        default=0,
        metavar="S",
        help="seed of codes and poses; same seed, same frames (default: %(default)s)",
    )
    p.add_argument(
        "--format",
        choices=("gif", "mp4", "png"),
        default="gif",
        help="animation format; png writes the strips only (default: %(default)s)",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where to render (default: %(default)s)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or 'wrote' lines")
    p.set_defaults(run=run)
    add_train(commands)
    add_eval(commands)


def run(args: argparse.Namespace) -> int:
    """Dispatch ``inrkit giraffe COMMAND``."""
    if args.giraffe_command is None:
        args._giraffe_parser.print_help(sys.stderr)
        return 2
    return render(args)


def render(args: argparse.Namespace) -> int:
    """Load the model, check the outputs, render every program; 0 on success."""
    import torch

    from inrkit.giraffe import load
    from inrkit.giraffe.animation import output_paths, require_mp4, save_program
    from inrkit.giraffe.official_config import resolve_config

    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise file_error(args.out_dir, "exists and is not a folder")
    if args.config is not None:
        resolve_config(args.config)  # an unknown preset or bad YAML fails before loading
    if args.format == "mp4":
        require_mp4()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InrkitError("--device cuda: no CUDA device is available")
    model = load(args.model, config=args.config, device=args.device)
    programs = args.program or [_config_program(name) for name in model.config.render_program]
    programs = list(dict.fromkeys(programs))  # once each, in the order given
    if not args.overwrite:
        for name in programs:
            for path in output_paths(name, args.out_dir, args.n_samples, args.format):
                if path.exists():
                    raise file_error(path, "already exists (use --overwrite)")
    for name in programs:
        written = save_program(
            model,
            name,
            args.out_dir,
            n_samples=args.n_samples,
            steps=args.steps,
            seed=args.seed,
            fmt=args.format,
            progress=not args.quiet,
        )
        if not args.quiet:
            extra = f" and {len(written) - 1} strips" if args.format != "png" else ""
            print(f"wrote {written[0] if args.format != 'png' else written[0].parent}{extra}")
    return 0
