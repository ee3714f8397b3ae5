"""Atomic checkpoint files: a kill at any moment leaves the old file or the new one, whole."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from inrkit.errors import InrkitError, file_error


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, fsync, then rename over it."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as e:
        raise file_error(path, f"cannot write checkpoint ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
    return path


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (POSIX); harmless where unsupported."""
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


def load_trusted(path: str | Path) -> dict[str, Any]:
    """Read a training checkpoint safely (no pickled code), with a one-line error."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise file_error(path, "no such checkpoint") from None
    except Exception as e:  # noqa: BLE001 — any failure to parse is the file's fault
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InrkitError(f"{path}: unreadable checkpoint ({first[:200]})") from None
