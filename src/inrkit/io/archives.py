"""Safe extraction of downloaded zip and tar archives.

An archive from the internet can try to write outside its folder: absolute member names,
``../`` components ("zip slip"), symbolic or hard links that point elsewhere (a later member
then writes through them), and device files. Every member is checked before anything is
written; regular files and folders are the only members accepted. The archive is unpacked
into a fresh hidden folder inside the target, and only then moved into place, so a failure
halfway leaves the target as it was (besides what earlier archives put there).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tqdm import tqdm

from inrkit.errors import InrkitError

# (path components, is a folder, size in bytes, opener of the member's bytes)
Member = tuple[tuple[str, ...], bool, int, Callable[[], IO[bytes]]]
_DRIVE = re.compile(r"^[A-Za-z]:")


class ArchiveError(InrkitError):
    """An archive that is corrupt or unsafe to extract; the message starts with its path."""


def safe_parts(archive: Path, name: str) -> tuple[str, ...]:
    """The path components of a member name; refuses absolute names and ``..``."""
    # Backslashes count as separators too: a Windows tool would extract them as such.
    normal = name.replace("\\", "/")
    if normal.startswith("/") or _DRIVE.match(normal) or "\0" in normal:
        raise ArchiveError(f"{archive}: refusing member {name!r}: absolute path")
    parts = tuple(p for p in normal.split("/") if p not in ("", "."))
    if ".." in parts:
        raise ArchiveError(f"{archive}: refusing member {name!r}: it leads outside the folder")
    return parts


def _zip_members(archive: Path, zf: zipfile.ZipFile) -> list[Member]:
    members = []
    for info in zf.infolist():
        # Unix zips keep st_mode in the high 16 bits; others leave the file type 0 (regular).
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind == stat.S_IFLNK:
            raise ArchiveError(f"{archive}: refusing member {info.filename!r}: symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ArchiveError(f"{archive}: refusing member {info.filename!r}: special file")
        is_dir = info.is_dir() or kind == stat.S_IFDIR
        opener = (lambda i=info: zf.open(i)) if not is_dir else _no_bytes
        members.append((safe_parts(archive, info.filename), is_dir, info.file_size, opener))
    return members


def _tar_members(archive: Path, tf: tarfile.TarFile) -> list[Member]:
    members = []
    for info in tf.getmembers():
        why = (
            "symbolic link"
            if info.issym()
            else "hard link"
            if info.islnk()
            else "device or pipe"
            if info.isdev()
            else None
            if info.isfile() or info.isdir()
            else "special member"
        )
        if why:
            raise ArchiveError(f"{archive}: refusing member {info.name!r}: {why}")
        opener = (lambda i=info: tf.extractfile(i)) if info.isfile() else _no_bytes
        members.append((safe_parts(archive, info.name), info.isdir(), info.size, opener))
    return members


def _no_bytes() -> IO[bytes]:
    raise AssertionError("folders have no bytes")


@contextmanager
def _members(archive: Path) -> Iterator[list[Member]]:
    """The checked members of a zip or tar (plain or compressed) archive, open for reading."""
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            yield _zip_members(archive, zf)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive, "r:*") as tf:
            yield _tar_members(archive, tf)
    else:
        raise ArchiveError(f"{archive}: not a zip or tar archive")


def extract_archive(archive: str | Path, target: str | Path, *, progress: bool = True) -> list[str]:
    """Unpack ``archive`` into the folder ``target`` (created), merging with what is there.

    Returns:
        The top-level names the archive put into ``target``.

    Raises:
        ArchiveError: An unsafe member (absolute, ``..``, link, device), a corrupt archive,
            too little free space, or a member that would replace a folder or a link.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with _members(archive) as members:
            _check_space(archive, target, sum(size for _, _, size, _ in members))
            staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target))
            try:
                _unpack(archive, members, staging, progress)
                tops = sorted(p.name for p in staging.iterdir())
                _merge(staging, target)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError) as e:
        raise ArchiveError(f"{archive}: corrupt archive ({e})") from None
    return tops


def _check_space(archive: Path, target: Path, needed: int) -> None:
    free = shutil.disk_usage(target).free
    if needed > free:
        raise ArchiveError(
            f"{archive}: needs {needed / 1e9:.1f} GB to extract, {target} has {free / 1e9:.1f} GB"
        )


def _unpack(archive: Path, members: list[Member], staging: Path, progress: bool) -> None:
    disable = None if progress else True  # None: a bar only on a terminal
    bar = tqdm(members, desc=f"extract {archive.name}", unit="file", disable=disable, leave=False)
    for parts, is_dir, _, opener in bar:
        if not parts:
            continue  # the archive's own "./" entry
        out = staging.joinpath(*parts)
        try:
            if is_dir:
                out.mkdir(parents=True, exist_ok=True)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            with opener() as src, open(out, "xb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            name = "/".join(parts)
            raise ArchiveError(f"{archive}: member {name!r} appears twice or clashes") from None


def _merge(src: Path, dst: Path) -> None:
    """Move the entries of ``src`` into ``dst``, descending into folders both have."""
    for entry in sorted(src.iterdir()):
        there = dst / entry.name
        if there.is_symlink():
            # Writing through a link could land anywhere; the user set it up, so say so.
            raise ArchiveError(f"{there}: is a symbolic link; refusing to extract through it")
        if entry.is_dir() and there.is_dir():
            _merge(entry, there)
        elif not there.exists() or (entry.is_file() and there.is_file()):
            os.replace(entry, there)  # a whole new folder moves at once
        else:
            kind = "folder" if entry.is_dir() else "file"
            raise ArchiveError(f"{there}: exists and is not a {kind}; move it away and retry")
