"""``inrkit giraffe render``: the paper's controllable animations as GIFs, MP4s and PNG strips,
or a keyframed path (``--path``, :mod:`inrkit.giraffe.keyframes`).

Everything cheap is checked before the model is loaded: the counts and names (while parsing),
the config, the path file, and that no output exists (without ``--overwrite``). Torch and the
model are imported inside :func:`run`, so ``inrkit --help`` stays fast: the program names and
limits come from the torch-free :mod:`inrkit.giraffe.defaults`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from inrkit.cli.flags import add_precision_flag, effective_precision, number, seed, whole
from inrkit.cli.giraffe_eval import add_eval
from inrkit.cli.giraffe_mesh import add_mesh
from inrkit.cli.giraffe_train import add_train
from inrkit.errors import InrkitError, file_error
from inrkit.giraffe.defaults import (
    ALIASES,
    DEFAULT_FPS,
    DEFAULT_N_SAMPLES,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    INTERPOLATIONS,
    MAX_FPS,
    MAX_FRAMES,
    MAX_SAMPLES,
    MAX_STEPS,
    PROGRAM_NAMES,
    RENDER_FORMATS,
)
from inrkit.giraffe.presets import PRESETS

# The flags that only render programs take, and their defaults.
PROGRAM_DEFAULTS = {"n_samples": DEFAULT_N_SAMPLES, "steps": DEFAULT_STEPS, "seed": DEFAULT_SEED}


def prior(text: str) -> list[float]:
    """Comma-separated probabilities of 0, 1, 2, ... objects (checked as a whole later)."""
    try:
        return [float(item) for item in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected probabilities of 0, 1, 2, ... objects such as 0,0.5,0.5, got {text!r}"
        ) from None


def n_samples(text: str) -> int:
    """Scenes per frame: 1 to MAX_SAMPLES."""
    return whole(text, 1, MAX_SAMPLES, "samples")


def steps(text: str) -> int:
    """Frames per slider sweep: 2 to MAX_STEPS."""
    return whole(text, 2, MAX_STEPS, "steps")


def program(text: str) -> str:
    """An official program name (or alias), returned as the official name."""
    name = ALIASES.get(text, text)
    if name not in PROGRAM_NAMES:
        known = ", ".join([*PROGRAM_NAMES, *ALIASES])
        raise argparse.ArgumentTypeError(f"unknown render program {text!r} (known: {known})")
    return name


def fps(text: str) -> float:
    """Frames per second of a path: a number in (0, MAX_FPS]."""
    value = number(text)
    if not 0 < value <= MAX_FPS:
        raise argparse.ArgumentTypeError(f"fps must be in (0, {MAX_FPS:g}], got {text!r}")
    return value


def path_frames(text: str) -> int:
    """Frames of a path: 1 to MAX_FRAMES."""
    return whole(text, 1, MAX_FRAMES, "frames")


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
        f"Programs: {', '.join(PROGRAM_NAMES)} (object_translation_depth = "
        f"object_translation_vertical). Presets: {', '.join(PRESETS)}. With --path FILE, a "
        "keyframed path (JSON or YAML) is rendered instead: DIR/STEM/STEM.gif (or .mp4) and a "
        "six-frame strip DIR/STEM/STEM_strip.png, or with --format png every frame as "
        "DIR/STEM/STEM_0000.png, ...",
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
    p.add_argument(
        "--path",
        type=Path,
        metavar="FILE",
        help="a keyframed path (.json, else YAML) to render instead of programs",
    )
    p.add_argument("--out-dir", type=Path, required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--n-samples",
        type=n_samples,
        metavar="N",
        help=f"scenes per frame (default: {DEFAULT_N_SAMPLES})",
    )
    p.add_argument(
        "--steps",
        type=steps,
        metavar="T",
        help=f"frames per slider sweep (default: {DEFAULT_STEPS})",
    )
    p.add_argument(
        "--seed",
        type=seed,
        metavar="S",
        help=f"seed of codes and poses; same seed, same frames (default: {DEFAULT_SEED})",
    )
    p.add_argument(
        "--object-existence-prior",
        type=prior,
        metavar="P0,P1,...",
        help="render_add_* programs: the probabilities of 0, 1, 2, ... objects that choose "
        "their stages, e.g. 0,0,0,1 for three objects (default: the model config's)",
    )
    p.add_argument(
        "--interpolation",
        choices=INTERPOLATIONS,
        help="--path: between keyframes, linear or Catmull-Rom (default: the file's, else linear)",
    )
    p.add_argument(
        "--fps",
        type=fps,
        metavar="F",
        help=f"--path: frames per second (default: the file's, else {DEFAULT_FPS:g})",
    )
    p.add_argument(
        "--frames",
        type=path_frames,
        metavar="N",
        help="--path: this many frames from the first keyframe to the last (played at --fps)",
    )
    p.add_argument(
        "--format",
        choices=RENDER_FORMATS,
        default="gif",
        help="animation format; png writes the strips only (default: %(default)s)",
    )
    p.add_argument(
        "--device",
        choices=("cpu", "cuda"),
        default="cpu",
        help="where to render (default: %(default)s)",
    )
    add_precision_flag(p, "render")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or 'wrote' lines")
    p.set_defaults(run=run)
    add_train(commands)
    add_eval(commands)
    add_mesh(commands)


def run(args: argparse.Namespace) -> int:
    """Dispatch ``inrkit giraffe COMMAND``."""
    if args.giraffe_command is None:
        args._giraffe_parser.print_help(sys.stderr)
        return 2
    _check_render_flags(args)
    if args.path is not None:
        return render_path(args)
    for key, value in PROGRAM_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return render(args)


def _check_render_flags(args: argparse.Namespace) -> None:
    """One line for flags that belong to the other kind of render."""
    program_flags = [
        f"--{k.replace('_', '-')}" for k in PROGRAM_DEFAULTS if getattr(args, k) is not None
    ]
    path_flags = [
        f"--{k}" for k in ("interpolation", "fps", "frames") if getattr(args, k) is not None
    ]
    if args.path is not None:
        if args.program:
            raise InrkitError("give --program or --path, not both")
        if args.object_existence_prior is not None:
            program_flags.append("--object-existence-prior")
        if program_flags:
            raise InrkitError(
                f"{', '.join(program_flags)}: only for render programs (a path sets its own "
                "seeds and frames)"
            )
    elif path_flags:
        raise InrkitError(f"{', '.join(path_flags)}: only with --path")


def render_path(args: argparse.Namespace) -> int:
    """Render a keyframed path: check the file and the outputs, load the model, write."""
    import torch

    from inrkit.giraffe import load
    from inrkit.giraffe.animation import require_mp4
    from inrkit.giraffe.keyframes import frame_times
    from inrkit.giraffe.official_config import resolve_config
    from inrkit.giraffe.path import output_paths, resolve_path, save_path

    path = resolve_path(
        args.path, interpolation=args.interpolation, fps=args.fps, frames=args.frames
    )
    if args.out_dir.exists() and not args.out_dir.is_dir():
        raise file_error(args.out_dir, "exists and is not a folder")
    if args.config is not None:
        resolve_config(args.config)
    if args.format == "mp4":
        require_mp4()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise InrkitError("--device cuda: no CUDA device is available")
    name = args.path.stem
    outputs = output_paths(name, args.out_dir, len(frame_times(path)), args.format)
    if not args.overwrite:
        for out in outputs:
            if out.exists():
                raise file_error(out, "already exists (use --overwrite)")
    model = load(args.model, config=args.config, device=args.device)
    start = time.perf_counter()
    written = save_path(
        model,
        path,
        args.out_dir,
        fmt=args.format,
        name=name,
        progress=not args.quiet,
        precision=effective_precision(args.precision, args.device),
    )
    if not args.quiet:
        n, seconds = len(frame_times(path)), time.perf_counter() - start
        what = written[0].parent if args.format == "png" else written[0]
        print(f"wrote {what} ({n} frames at {path.fps:g} fps, rendered in {seconds:.1f} s)")
    return 0


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
    run_precision = effective_precision(args.precision, args.device)
    programs = args.program or [_config_program(name) for name in model.config.render_program]
    programs = list(dict.fromkeys(programs))  # once each, in the order given
    prior_flag = args.object_existence_prior
    if prior_flag is not None:
        from inrkit.giraffe.add_programs import ADD_PROGRAMS, check_prior

        others = [name for name in programs if name not in ADD_PROGRAMS]
        if others:
            raise InrkitError(
                f"--object-existence-prior: only for the render_add_* programs, not {others[0]}"
            )
        prior_flag = check_prior(prior_flag)
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
            precision=run_precision,
            object_existence_prior=prior_flag,
        )
        if not args.quiet:
            extra = f" and {len(written) - 1} strips" if args.format != "png" else ""
            print(f"wrote {written[0] if args.format != 'png' else written[0].parent}{extra}")
    return 0
