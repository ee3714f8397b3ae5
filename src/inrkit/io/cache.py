"""The cache of official pretrained models: where it is, and telling paths from model names.

The folder is ``$INRKIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/inrkit``, else ``~/.cache/inrkit``;
each method keeps its files in a sub-folder (``liif/``, ``giraffe/``, ``inception/``). What
goes in it, and how it is fetched and verified, is :mod:`inrkit.weights`.
"""

from __future__ import annotations

import os
from pathlib import Path

from inrkit.errors import file_error


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
