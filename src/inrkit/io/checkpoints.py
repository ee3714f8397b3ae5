"""Checkpoint files, for both methods, their trainers and the metrics' weights: written
atomically (a kill at any moment leaves the old file or the new one, whole), read without
running pickled code, with one-line errors; and a digest of the weights, to tell whether two
checkpoints (or a run and its resumed twin) hold the same ones."""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from inrkit.errors import InrkitError, file_error
from inrkit.io.files import atomic_write


def atomic_torch_save(
    obj: Any,
    path: str | Path,
    *,
    overwrite: bool = True,
    exists_message: str = "already exists",
    make_folders: bool = False,
    os_error: str | None = "cannot write checkpoint",
) -> Path:
    """``torch.save`` to a temporary file beside ``path``, fsync, then rename over it.

    Args:
        obj: What to save (tensors in plain containers, so that it loads with weights only).
        path: The checkpoint file.
        overwrite: Replace an existing file; otherwise refuse with ``PATH: exists_message``.
        exists_message: What follows ``PATH:`` when refusing to overwrite.
        make_folders: Create ``path``'s folder and its parents when missing.
        os_error: A full disk or other ``OSError`` becomes ``PATH: os_error (reason)``;
            None lets the ``OSError`` through.
    """

    def write(tmp: Path) -> None:
        # Through a Python file, so that a full disk is an OSError (torch's own writer raises
        # RuntimeError) and becomes the one-line error.
        with open(tmp, "wb") as f:
            torch.save(obj, f)

    return atomic_write(
        path,
        write,
        overwrite=overwrite,
        exists_message=exists_message,
        make_folders=make_folders,
        os_error=os_error,
        sync_folder=True,
    )


# What torch.save writes: a zip archive, or (legacy) a pickle that starts with a PROTO opcode.
TORCH_MAGIC = (b"PK\x03\x04", b"\x80")


def file_head(path: str | Path, n: int) -> bytes:
    """The first ``n`` bytes of a checkpoint file, to tell its format without unpickling it.

    Raises:
        InrkitError: the file cannot be read, or is empty.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(n)
    except OSError as e:
        raise file_error(path, f"cannot read ({e.strerror or e})") from None
    if not head:
        raise file_error(path, "truncated or corrupt checkpoint (empty file)")
    return head


def load_trusted(path: str | Path) -> dict[str, Any]:
    """Read a training checkpoint safely (no pickled code), with a one-line error."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise file_error(path, "no such checkpoint") from None
    except Exception as e:  # noqa: BLE001 — any failure to parse is the file's fault
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise InrkitError(f"{path}: unreadable checkpoint ({first[:200]})") from None


def load_weights_only(path: Path, allowed: Sequence[Any] = ()) -> Any:
    """``torch.load(weights_only=True)`` onto the CPU, with one-line errors naming ``path``.

    Args:
        allowed: Globals the file may reference beyond tensors and containers, as for
            ``torch.serialization.safe_globals``.

    Raises:
        InrkitError: truncated or corrupt, or pickled Python objects that could run code (the
            message names the first one referenced).
    """
    allow = torch.serialization.safe_globals(list(allowed)) if allowed else contextlib.nullcontext()
    try:
        with allow:
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        if "weights only" not in str(e).lower():
            raise file_error(path, "truncated or corrupt checkpoint") from None
        found = re.search(r"GLOBAL ([\w.]+)", str(e))
        reason = f"it references {found.group(1)}" if found else "not plain tensors and containers"
        raise file_error(
            path,
            "refusing to load: the file contains pickled Python objects "
            f"that could run code ({reason})",
        ) from None
    except Exception:  # EOFError, RuntimeError, OSError, zip and pickle errors alike
        raise file_error(path, "truncated or corrupt checkpoint") from None


def cpu_copy(obj: Any) -> Any:
    """``obj`` (an optimizer state) with every tensor moved to the CPU, containers copied."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().to("cpu")
    if isinstance(obj, dict):
        return {k: cpu_copy(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(cpu_copy(v) for v in obj)
    return obj


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 of all parameters and buffers: equal digests mean bit-identical weights."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(flat.view(torch.uint8).numpy().tobytes())  # bf16 has no NumPy dtype
    return digest.hexdigest()
