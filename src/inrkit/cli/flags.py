"""What every command shares: the parser that turns bad flags into user errors, the one-line
error report, and the flag types and flag groups (counts, seeds, scales, devices, models,
precision, training) that more than one command takes, so that they read and fail alike.

Nothing here imports torch at module level: ``inrkit --help`` builds every parser from this.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from tqdm import tqdm

from inrkit.errors import InrkitError
from inrkit.giraffe.defaults import MAX_SEED
from inrkit.liif.defaults import DEFAULT_CHUNK, DEFAULT_TILE
from inrkit.nn.precision import PRECISIONS

if TYPE_CHECKING:
    import torch

PROG = "inrkit"
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT (128 + 2)
DEVICES = ("auto", "cpu", "cuda")
_SIZE = re.compile(r"^\s*(\d+)\s*[xX×]\s*(\d+)\s*$")

Parser = argparse.ArgumentParser | argparse._ArgumentGroup


# ----- the parser and error reporting --------------------------------------------------------
class UsageError(InrkitError):
    """A bad command line, reported like any other user error."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing usage and exiting.

    ``add_subparsers`` builds sub-parsers of the parent's class, so they inherit this too.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def report_error(message: object) -> None:
    """Print a user error in the house style (also used for per-file errors that continue)."""
    # tqdm.write keeps an active progress bar intact; without one it is a plain print.
    tqdm.write(f"{PROG}: error: {message}", file=sys.stderr)


def note(message: str, quiet: bool = False) -> None:
    """A remark on stderr that is not an error (stdout keeps only the results)."""
    if not quiet:
        tqdm.write(f"note: {message}", file=sys.stderr)


# ----- flag types: an ArgumentTypeError becomes "argument --flag: <message>" -----------------
def whole_number(text: str) -> int:
    """``text`` as an int, else "not a whole number: ..." (the range is the caller's check)."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def number(text: str) -> float:
    """``text`` as a float, else "not a number: ..." (the range is the caller's check)."""
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def whole(text: str, lo: int, hi: int, what: str) -> int:
    """A whole number from ``lo`` to ``hi``; ``what`` names it in the message."""
    value = whole_number(text)
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"{what} must be from {lo} to {hi}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number >= 1."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def seed(text: str) -> int:
    """A seed from 0 to 2^63 - 1."""
    return whole(text, 0, MAX_SEED, "seed")


def _factor(text: str) -> float:
    value = number(text)
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"scale must be a finite number > 0, got {text!r}")
    return value


def parse_scale(text: str) -> float | tuple[float, float]:
    """``4``, ``3.5`` or ``2,3`` (row factor, column factor)."""
    parts = text.split(",")
    if len(parts) > 2:
        raise argparse.ArgumentTypeError(f"expected S or ROWS,COLS (e.g. 4 or 2,3), got {text!r}")
    factors = [_factor(p) for p in parts]
    return factors[0] if len(factors) == 1 or factors[0] == factors[1] else (factors[0], factors[1])


def parse_scales(text: str) -> list[float]:
    """``4`` or ``2,3,4``: scales >= 1 (non-integer and out-of-distribution ones allowed)."""
    scales = []
    for part in text.split(","):
        value = number(part)
        if not math.isfinite(value) or value < 1:
            raise argparse.ArgumentTypeError(f"scale must be a number >= 1, got {part!r}")
        scales.append(value)
    return scales


def parse_int_scales(text: str) -> list[int]:
    """``4`` or ``2,3,4``: positive integer scales."""
    scales = []
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            value = 0
        if value < 1:
            raise argparse.ArgumentTypeError(f"scale must be a positive integer, got {part!r}")
        scales.append(value)
    return scales


def parse_size(text: str) -> tuple[int, int]:
    """``HxW``, height first, e.g. ``1080x1920``."""
    match = _SIZE.match(text)
    if not match:
        raise argparse.ArgumentTypeError(f"expected HxW, height first (1080x1920), got {text!r}")
    h, w = int(match[1]), int(match[2])
    if h < 1 or w < 1:
        raise argparse.ArgumentTypeError(f"size must be at least 1x1, got {text!r}")
    return h, w


# ----- flag groups ---------------------------------------------------------------------------
def add_device_flag(p: Parser, choices: tuple[str, ...] = DEVICES, default: str = "auto") -> None:
    """``--device``: auto (cuda when available, else cpu), cpu or cuda."""
    what = "auto: cuda when available, else cpu" if "auto" in choices else "where to run"
    p.add_argument(
        "--device", choices=choices, default=default, help=f"{what} (default: %(default)s)"
    )


def pick_device(name: str) -> str:
    """The device for ``--device NAME``; a one-line error when CUDA is asked for but absent."""
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise InrkitError("--device cuda: CUDA is not available here; use --device cpu")
    return name


def add_liif_model_flags(p: Parser, metavar: str = "CKPT") -> None:
    """``--model`` (a LIIF checkpoint or official name) and ``--device``."""
    p.add_argument(
        "--model",
        default="default",
        metavar=metavar,
        help="checkpoint file, or edsr-baseline-liif / rdn-liif (default: %(default)s)",
    )
    add_device_flag(p)


def add_data_root_flag(p: Parser) -> None:
    """``--root``: the folder of the LIIF data sets in the official layout."""
    p.add_argument(
        "--root",
        type=Path,
        metavar="DIR",
        help="the folder with div2k/, benchmark/, celebAHQ/ "
        "(default: $INRKIT_DATA_ROOT, else ./load)",
    )


def add_counts(p: Parser, counts: tuple[tuple[str, int, str], ...]) -> None:
    """Positive-int flags ``(flag, default, what)``, e.g. ``--tile`` and ``--chunk``."""
    for flag, default, what in counts:
        text = f"{what} (default: %(default)s)"
        p.add_argument(flag, type=positive_int, default=default, metavar="N", help=text)


def add_tiling_flags(p: Parser) -> None:
    """``--tile`` and ``--chunk``: the memory knobs of :func:`inrkit.liif.upscale`."""
    add_counts(
        p,
        (
            ("--tile", DEFAULT_TILE, "input pixels per tile side; smaller needs less memory"),
            ("--chunk", DEFAULT_CHUNK, "output pixels per decoder batch"),
        ),
    )


def add_precision_flag(p: Parser, what: str) -> None:
    """``--precision fp32|bf16`` for a command whose model work is ``what``."""
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help=f"{what} in fp32, or in bf16 (bfloat16 matrix products: several times faster on "
        "CPUs with avx512_bf16 or AMX, results within a small tolerance; elsewhere fp32 runs, "
        "with a warning) (default: %(default)s)",
    )


def effective_precision(precision: str, device: torch.device | str) -> str:
    """``precision``, or "fp32" after a one-line warning where ``device`` has no native bf16."""
    from inrkit.nn.precision import fallback_message

    message = fallback_message(precision, device)
    if message is None:
        return precision
    tqdm.write(f"{PROG}: warning: {message}", file=sys.stderr)
    return "fp32"


def add_training_flags(
    parser: argparse.ArgumentParser, *, resume_help: str, set_example: str, quiet_help: str
) -> None:
    """Add ``--resume``, ``--set KEY=VALUE`` (into ``overrides``), ``--device`` and ``-q``.

    Args:
        parser: The training command's parser.
        resume_help: Help for ``--resume``, naming the checkpoint it continues from.
        set_example: The ``--set`` items shown in its help, e.g. ``--set epoch_max=30``.
        quiet_help: Help for ``-q/--quiet``: what the command then leaves out.
    """
    parser.add_argument("--resume", action="store_true", help=resume_help)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="overrides",
        help=f"override a config value, e.g. {set_example} (repeatable; values are YAML)",
    )
    parser.add_argument("--device", choices=DEVICES, default="auto")
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
