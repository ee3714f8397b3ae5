"""Checkpoint files: written atomically (a kill at any moment leaves the old file or the new
one, whole), read without running pickled code, with one-line errors; the check that a run
folder holds a checkpoint to resume (and none to clobber); and a digest of the weights, to tell
whether two checkpoints (or a run and its resumed twin) hold the same ones."""

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


def atomic_torch_save(obj: Any, path: str | Path) -> Path:
    """``torch.save`` to a temporary file beside ``path``, fsync, then rename over it."""

    def write(tmp: Path) -> None:
        # Through a Python file, so that a full disk is an OSError (torch's own writer raises
        # RuntimeError) and becomes the one-line error.
        with open(tmp, "wb") as f:
            torch.save(obj, f)

    return atomic_write(path, write, os_error="cannot write checkpoint", sync_folder=True)


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


def check_run_folder(last: Path, *, resume: bool) -> None:
    """Refuse to resume a run folder without its last checkpoint, or to start over one with it.

    Args:
        last: The checkpoint a resume continues from, in the run folder (``epoch-last.pth``,
            ``model.pt``).
        resume: Whether the user asked to continue the run (``--resume``).

    Raises:
        InrkitError: naming the folder and what to do.
    """
    out = last.parent
    if resume and not last.exists():
        raise InrkitError(f"{out}: nothing to resume (no {last.name})")
    if not resume and last.exists():
        raise InrkitError(f"{out}: already holds a run; pass --resume or choose another --out-dir")


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
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()
