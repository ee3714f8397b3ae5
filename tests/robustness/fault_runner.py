"""``python fault_runner.py ARGS``: run ``inrkit ARGS`` with a fault armed (test helper).

The process SIGKILLs itself at a named point, so that a test can aim a kill at the moments
that matter without adding any hook to inrkit itself; the patches below stay inside this
process. Two environment variables drive it:

``INRKIT_TEST_FAULT=POINT:N``
    ``step``: in the N-th training step of this process, after the forward pass and before
    the optimizer step. ``checkpoint``: in the N-th ``torch.save``, after half of the bytes
    reached the temporary file (the write is cut, as by a power cut). ``validation``: in the
    N-th validation, after its first batch.
``INRKIT_TEST_PROGRESS=FILE``
    One line appended per training step started, so that the test can count the work a kill
    threw away (the kernel keeps the lines even though the process dies at once).
"""

from __future__ import annotations

import io
import os
import signal
import sys
from collections.abc import Iterable, Iterator
from typing import Any


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class _Counter:
    """Counts occurrences of one point and kills the process at the armed one."""

    def __init__(self, spec: str) -> None:
        point, _, n = spec.partition(":")
        if point not in ("step", "checkpoint", "validation", "") or (point and not n.isdigit()):
            raise SystemExit(f"fault_runner: bad INRKIT_TEST_FAULT {spec!r}")
        self.point, self.n, self.seen = point, int(n or 0), {"step": 0, "checkpoint": 0}
        self.seen["validation"] = 0

    def hit(self, point: str) -> bool:
        """Count ``point``; True when this occurrence is the armed one."""
        self.seen[point] += 1
        return point == self.point and self.seen[point] == self.n


def install(fault: _Counter, progress: str | None) -> None:
    """Patch the LIIF trainer's loss, torch.save and validation in this process only."""
    import torch
    import torch.nn.functional as functional

    import inrkit.liif.train as trainer

    log = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT) if progress else None

    class _Functional:
        """torch.nn.functional as the trainer sees it, with l1_loss as the step's probe."""

        def __getattr__(self, name: str) -> Any:
            return getattr(functional, name)

        @staticmethod
        def l1_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
            if log is not None:
                os.write(log, b"step\n")
            loss = functional.l1_loss(pred, gt)
            if fault.hit("step"):
                _die()
            return loss

    real_save = torch.save

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if not fault.hit("checkpoint"):
            real_save(obj, f, *args, **kwargs)
            return
        buffer = io.BytesIO()
        real_save(obj, buffer, *args, **kwargs)
        data = buffer.getvalue()
        f.write(data[: len(data) // 2])
        f.flush()
        _die()

    real_eval = trainer.eval_psnr

    def eval_psnr(loader: Iterable[Any], *args: Any, **kwargs: Any) -> float:
        if fault.hit("validation"):
            loader = _die_after_first(loader)
        return real_eval(loader, *args, **kwargs)

    trainer.F = _Functional()
    torch.save = save
    trainer.eval_psnr = eval_psnr


def _die_after_first(loader: Iterable[Any]) -> Iterator[Any]:
    for i, batch in enumerate(loader):
        if i == 1:
            _die()
        yield batch
    _die()  # a one-batch validation: die once it is done, still before its result is used


if __name__ == "__main__":
    install(
        _Counter(os.environ.get("INRKIT_TEST_FAULT", "")), os.environ.get("INRKIT_TEST_PROGRESS")
    )
    from inrkit.cli import main

    sys.exit(main(sys.argv[1:]))
