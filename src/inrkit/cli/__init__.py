"""The ``inrkit`` command line: one argparse sub-command per module, errors turned into one line.

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int``. This is the one
place where a user error (:class:`~inrkit.errors.InrkitError`, or a bad flag) becomes
``inrkit: error: <message>`` on stderr and exit code 2, without a traceback. Anything else
is a bug and keeps its traceback.

Command modules import torch and the models inside ``run``, so ``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from tqdm import tqdm

from inrkit import __version__
from inrkit.cli import data, demo, giraffe, liif, models, serve, upscale
from inrkit.errors import InrkitError

PROG = "inrkit"
# The command groups, in the order ``inrkit --help`` lists them; add a module here to add one.
COMMANDS = [upscale, liif, giraffe, data, models, demo, serve]
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT (128 + 2)


class UsageError(InrkitError):
    """A bad command line, reported like any other user error."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of printing usage and exiting.

    ``add_subparsers`` builds sub-parsers of the parent's class, so they inherit this too.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def build_parser() -> ArgumentParser:
    """The top-level parser with every command group registered."""
    parser = ArgumentParser(
        prog=PROG, description="Implicit neural representations of images (LIIF) and scenes."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(subparsers)
    return parser


def report_error(message: object) -> None:
    """Print a user error in the house style (also used for per-file errors that continue)."""
    # tqdm.write keeps an active progress bar intact; without one it is a plain print.
    tqdm.write(f"{PROG}: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run ``inrkit`` with ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help(sys.stderr)
            return 2
        return args.run(args)
    except InrkitError as e:
        report_error(e)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError:
        report_error("out of memory (try a smaller --tile or --chunk)")
        return 2
