"""The ``inrkit`` command line: one argparse sub-command per module, errors turned into one line.

Each command module has ``add_parser(subparsers)`` and ``run(args) -> int``. This is the one
place where a user error (:class:`~inrkit.errors.InrkitError`, or a bad flag) becomes
``inrkit: error: <message>`` on stderr and exit code 2, without a traceback. Anything else
is a bug and keeps its traceback.

Command modules import torch and the models inside ``run``, so ``--help`` stays fast; what
they share (the parser class, the error report, common flags) is in :mod:`inrkit.cli.flags`.
"""

from __future__ import annotations

import sys

from inrkit import __version__
from inrkit.cli import data, demo, giraffe, liif, models, serve, upscale
from inrkit.cli.flags import EXIT_INTERRUPTED, PROG, ArgumentParser, report_error
from inrkit.errors import InrkitError

# The command groups, in the order ``inrkit --help`` lists them; add a module here to add one.
COMMANDS = [upscale, liif, giraffe, data, models, demo, serve]


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
