"""Writing files atomically: a temporary file beside the target, fsynced, then moved into place.

A crash or an exception at any moment leaves the old file (or none) under the final name, never
half of a new one. The temporary file lives in the target's own folder because ``os.replace``
is atomic only within one file system. Checkpoints, images, animations and downloads all go
through here.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path

from inrkit.errors import file_error

_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{8}\.part")  # as temp_path_beside names them


def temp_path_beside(dest: Path) -> Path:
    """A fresh hidden name in ``dest``'s folder (same file system, so ``os.replace`` is atomic)."""
    # Cut long names (in bytes) so the temporary one stays under the usual 255-byte limit.
    name = os.fsdecode(os.fsencode(dest.name)[:200])
    return dest.with_name(f".{name}.{secrets.token_hex(4)}.part")


def remove_interrupted_writes(folder: Path) -> list[Path]:
    """Delete the temporary files that writes into ``folder`` left when a kill cut them short.

    Only for a folder that no other process writes into at the same time (a training run's
    own folder, when the run starts): their temporary files would look the same.
    """
    stale = [p for p in folder.glob(".*.part") if _TEMP_NAME.fullmatch(p.name)]
    for path in stale:
        path.unlink(missing_ok=True)
    return stale


def atomic_write(
    path: str | Path,
    write: Callable[[Path], object],
    *,
    overwrite: bool = True,
    exists_message: str = "already exists",
    mode: int | None = None,
    make_folders: bool = False,
    os_error: str | None = None,
    sync_folder: bool = False,
    sync: bool = True,
) -> Path:
    """Call ``write(tmp)`` to write the whole file at a temporary path, then publish it as ``path``.

    The temporary file is fsynced and moved over ``path``; it is removed whatever happens, so a
    failed ``write`` leaves any previous ``path`` untouched and nothing else behind.

    Args:
        path: The target.
        write: Writes the file at the path it is given (it may create the file itself).
        overwrite: Replace an existing ``path``. Otherwise refuse, also when the name appears
            while ``write`` runs (a hard link, unlike a rename, fails if the name exists).
        exists_message: What follows ``PATH:`` when refusing to overwrite.
        mode: Permission bits for the new file; by default what ``write`` created it with.
        make_folders: Create ``path``'s folder and its parents when missing.
        os_error: When given, an ``OSError`` becomes the one line ``PATH: {os_error} (reason)``.
        sync_folder: Also fsync the folder afterwards, so that the rename itself is durable.
        sync: Fsync the file before publishing it. Without, a crash still never shows half a
            file under ``path``, but a power cut may; for many small files that are cheap to
            make again (rendered data sets), the fsync would cost more than the rest.

    Returns:
        ``path``, as a :class:`~pathlib.Path`.

    Raises:
        InrkitError: ``path`` exists and ``overwrite`` is false, or an ``OSError`` when
            ``os_error`` is given. Anything ``write`` raises passes through.
    """
    path = Path(path)
    if not overwrite and path.exists():
        raise file_error(path, exists_message)
    if make_folders:
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_beside(path)
    try:
        write(tmp)
        if sync:
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        _publish(tmp, path, overwrite, exists_message)
    except OSError as e:
        if os_error is None:
            raise
        raise file_error(path, f"{os_error} ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    if sync_folder:
        _fsync_dir(path.parent)
    return path


def _publish(tmp: Path, path: Path, overwrite: bool, exists_message: str) -> None:
    """Move the finished file into place; without ``overwrite``, never replace a file."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        # A hard link fails atomically if the name exists, even if it appeared just now; the
        # caller then removes the temporary name.
        os.link(tmp, path)
    except FileExistsError:
        raise file_error(path, exists_message) from None
    except OSError:
        # Filesystems without hard links (FAT, some network mounts): check, then rename.
        if path.exists():
            raise file_error(path, exists_message) from None
        os.replace(tmp, path)


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX); harmless where unsupported."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
