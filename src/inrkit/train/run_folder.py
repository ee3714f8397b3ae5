"""The check that a training run folder holds a checkpoint to resume, and none to clobber."""

from __future__ import annotations

from pathlib import Path

from inrkit.errors import InrkitError


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
