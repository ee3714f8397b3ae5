"""``inrkit data``: get the LIIF data sets into the official layout under a root folder.

``inrkit data fetch div2k|benchmark|celebahq --root DIR`` downloads (resumably) and unpacks
the public archives; ``inrkit data prepare-celebahq SRC_DIR --root DIR`` resizes the CelebAHQ
originals. The root defaults to ``$INRKIT_DATA_ROOT``, else ``./load`` as in the official code.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from inrkit.errors import InrkitError

DATASET_NAMES = ("div2k", "benchmark", "celebahq")  # = inrkit.data.fetch.ARCHIVES (tested)


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit data`` and its sub-commands."""
    p = subparsers.add_parser(
        "data",
        help="download and prepare the data sets (DIV2K, benchmarks, CelebAHQ)",
        description="Put the LIIF data sets into the official layout under a root folder: "
        "ROOT/div2k, ROOT/benchmark, ROOT/celebAHQ.",
    )
    commands = p.add_subparsers(dest="data_command", metavar="COMMAND")
    root_help = "the data root (default: $INRKIT_DATA_ROOT, else ./load)"

    f = commands.add_parser(
        "fetch",
        help="download and unpack a data set",
        description="Download the public archives of a data set (resuming a broken download "
        "on the next run), check their size and checksum, and unpack them safely under ROOT. "
        "An archive already in place is checked and used, not downloaded again. CelebAHQ has "
        "no direct download: its split file is fetched and the message says where the "
        "originals are.",
    )
    f.add_argument("name", choices=DATASET_NAMES, help="the data set")
    f.add_argument("--root", type=Path, metavar="DIR", help=root_help)
    f.add_argument("--keep-archives", action="store_true", help="keep the archives after unpacking")
    f.add_argument("-q", "--quiet", action="store_true", help="no progress bars or messages")

    c = commands.add_parser(
        "prepare-celebahq",
        help="resize the CelebAHQ originals to 256, 128, 64 and 32 pixels",
        description="Resize the 1024x1024 CelebAHQ originals (data1024x1024) to "
        "ROOT/celebAHQ/{256,128,64,32} as the official resize.py (Pillow bicubic), and write "
        "ROOT/celebAHQ/split.json. Resumable: finished outputs are kept.",
    )
    c.add_argument("src", type=Path, metavar="SRC_DIR", help="folder of the original images")
    c.add_argument("--root", type=Path, metavar="DIR", help=root_help)
    c.add_argument(
        "--split",
        type=Path,
        metavar="SPLIT_JSON",
        help='{"train": [...], "val": [...]} file names (default: ROOT/celebAHQ/split.json if '
        "there, else the sorted names cut 90/10 like the official 27000/3000)",
    )
    c.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    c.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Run the chosen ``inrkit data`` sub-command; 0 on success."""
    from tqdm.auto import tqdm

    def say(line: str) -> None:
        if not args.quiet:
            tqdm.write(line)

    if args.data_command == "fetch":
        from inrkit.data.fetch import fetch

        fetch(
            args.name, args.root, keep_archives=args.keep_archives, progress=not args.quiet, say=say
        )
        return 0
    if args.data_command == "prepare-celebahq":
        from inrkit.data.celebahq import prepare_celebahq

        done = prepare_celebahq(
            args.src,
            args.root,
            split_file=args.split,
            overwrite=args.overwrite,
            progress=not args.quiet,
        )
        say(
            f"{done.folder}/{{32,64,128,256}}: {done.written} images resized, "
            f"{done.skipped} already done; split: {done.n_train} train / {done.n_val} val "
            f"in {done.folder / 'split.json'}"
        )
        return 0
    raise InrkitError("choose a data command: fetch or prepare-celebahq (see 'inrkit data --help')")
