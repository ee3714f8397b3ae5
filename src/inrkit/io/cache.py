"""The cache of official pretrained models: where it is, and fetching a file into it once.

The folder is ``$INRKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/inrkit``, else ``~/.cache/inrkit``;
each method keeps its files in a sub-folder (``liif/``, ``giraffe/``). Downloads honour
``$INRKIT_DOWNLOAD_MIRROR`` and ``$INRKIT_OFFLINE`` (:mod:`inrkit.io.download`), and every
failure says which URL to fetch by hand and where to save it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from inrkit.errors import file_error
from inrkit.io.download import DownloadError, mirror_url, offline
from inrkit.io.download import download as fetch_file


def local_file(path_or_name: str | Path) -> Path | None:
    """The file a checkpoint argument names on disk, or None when it is a model name.

    Raises:
        InrkitError: the argument names a folder.
    """
    path = Path(path_or_name).expanduser()
    if path.is_dir():
        raise file_error(path, "is a directory, expected a checkpoint file")
    return path if path.is_file() else None


def cache_dir() -> Path:
    """``$INRKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/inrkit``, else ``~/.cache/inrkit``."""
    if os.environ.get("INRKIT_CACHE_DIR"):
        return Path(os.environ["INRKIT_CACHE_DIR"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "inrkit"
    return Path.home() / ".cache" / "inrkit"


def cached_download(
    name: str,
    url: str,
    dest: Path,
    *,
    page: str,
    download: bool = True,
    sha256: str | None = None,
    verify: Callable[[Path], str | None] | None = None,
) -> Path:
    """``dest`` when it is in the cache, else ``url`` (or its mirror) downloaded there.

    Args:
        name: The model name users gave, which starts every message.
        url: The official download link; a mirror serves the file under ``dest.name``.
        dest: Where the file belongs in the cache.
        page: Where to find the file by hand, in brackets after the URL in messages.
        download: Fetch the file when it is not cached; else refuse.
        sha256: The file's checksum, when known.
        verify: Checks a fresh download: a problem to report (the file is deleted), or None.

    Raises:
        InrkitError: ``NAME: ...`` on one line: not cached while offline or with ``download``
            off, a failed download, or a complaint of ``verify``.
    """
    if dest.is_file():
        return dest
    url = mirror_url(url, dest.name)
    by_hand = f"download {url} by hand ({page}) and save it as {dest}"
    if offline():
        raise file_error(name, f"not in the cache and INRKIT_OFFLINE is set; {by_hand}")
    if not download:
        raise file_error(name, f"not in the cache and downloading is off; {by_hand}")
    try:
        fetch_file(url, dest, sha256=sha256)
    except DownloadError as e:
        raise file_error(name, f"{e}; {by_hand}") from None
    problem = verify(dest) if verify is not None else None
    if problem is not None:
        dest.unlink(missing_ok=True)
        raise file_error(name, f"{url}: {problem}; {by_hand}")
    return dest
