"""The flags ``inrkit liif train`` and ``inrkit giraffe train`` share, so they stay alike."""

from __future__ import annotations

import argparse


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
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    parser.add_argument("-q", "--quiet", action="store_true", help=quiet_help)
