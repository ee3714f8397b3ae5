"""The ``--precision fp32|bf16`` flag of the commands that run models (upscale, giraffe
render, serve), and its one-line warning where bf16 would not be native."""

from __future__ import annotations

import argparse
import sys

# Equal to inrkit.nn.precision.PRECISIONS (a test checks it); not imported from there because
# that imports torch, which would make `inrkit --help` take seconds.
PRECISIONS = ("fp32", "bf16")


def add_flag(p: argparse.ArgumentParser | argparse._ArgumentGroup, what: str) -> None:
    """Register ``--precision`` for a command whose model work is ``what``."""
    p.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="fp32",
        help=f"{what} in fp32, or in bf16 (bfloat16 matrix products: several times faster on "
        "CPUs with avx512_bf16 or AMX, results within a small tolerance; elsewhere fp32 runs, "
        "with a warning) (default: %(default)s)",
    )


def effective(precision: str, device: object) -> str:
    """``precision``, or "fp32" after a one-line warning where ``device`` has no native bf16."""
    from tqdm import tqdm

    from inrkit.nn.precision import fallback_message

    message = fallback_message(precision, device)  # type: ignore[arg-type]
    if message is None:
        return precision
    tqdm.write(f"inrkit: warning: {message}", file=sys.stderr)
    return "fp32"
