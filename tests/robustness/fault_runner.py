"""``python fault_runner.py ARGS``: run ``inrkit ARGS`` with a fault armed (test helper).

The process SIGKILLs itself at a named point, so that a test can aim a kill at the moments
that matter without adding any hook to inrkit itself; the patches below stay inside this
process. They fit the trainer that ARGS name: ``liif train`` or ``giraffe train``. Two
environment variables drive it:

``INRKIT_TEST_FAULT=POINT:N``
    ``step``: in the N-th training step of this process, after its forward pass and before its
    (GIRAFFE: the discriminator's) optimizer step. ``checkpoint``: in the N-th
    ``torch.save``, after half of the bytes reached the temporary file (the write is cut, as by
    a power cut). ``validation``: in the N-th validation, after its first batch.
``INRKIT_TEST_PROGRESS=FILE``
    One line appended per training step started (``step``), so that the test can count the work
    a kill threw away (the kernel keeps the lines even though the process dies at once); the
    GIRAFFE trainer also logs ``resume IT`` when it reads the checkpoint it resumes from.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator
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


def _progress_log(progress: str | None) -> Callable[[str], None]:
    """Append one line to the progress file (unbuffered: it survives the kill)."""
    fd = os.open(progress, os.O_WRONLY | os.O_APPEND | os.O_CREAT) if progress else None

    def log(line: str) -> None:
        if fd is not None:
            os.write(fd, f"{line}\n".encode())

    return log


def _patch_torch_save(fault: _Counter) -> None:
    """torch.save that writes half of the bytes of the armed save, then dies."""
    import torch

    real_save = torch.save

    def save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if not fault.hit("checkpoint"):
            real_save(obj, f, *args, **kwargs)
            return
        buffer = io.BytesIO()
        real_save(obj, buffer, *args, **kwargs)
        data = buffer.getvalue()
        with contextlib.ExitStack() as stack:
            if isinstance(f, str | os.PathLike):  # GIRAFFE saves to the temporary's path
                f = stack.enter_context(open(f, "wb"))
            f.write(data[: len(data) // 2])
            f.flush()
            _die()

    torch.save = save


def install_liif(fault: _Counter, log: Callable[[str], None]) -> None:
    """Patch the LIIF trainer's loss, torch.save and validation in this process only."""
    import torch
    import torch.nn.functional as functional

    import inrkit.liif.train as trainer

    class _Functional:
        """torch.nn.functional as the trainer sees it, with l1_loss as the step's probe."""

        def __getattr__(self, name: str) -> Any:
            return getattr(functional, name)

        @staticmethod
        def l1_loss(pred: torch.Tensor, gt: torch.Tensor) -> torch.Tensor:
            log("step")
            loss = functional.l1_loss(pred, gt)
            if fault.hit("step"):
                _die()
            return loss

    real_eval = trainer.eval_psnr

    def eval_psnr(loader: Iterable[Any], *args: Any, **kwargs: Any) -> float:
        if fault.hit("validation"):
            loader = _die_after_first(loader)
        return real_eval(loader, *args, **kwargs)

    _patch_torch_save(fault)
    trainer.F = _Functional()
    trainer.eval_psnr = eval_psnr


def install_giraffe(fault: _Counter, log: Callable[[str], None]) -> None:
    """Patch the GIRAFFE trainer's step, resume, torch.save and Validator in this process."""
    import inrkit.giraffe.train as trainer

    real_step, real_read = trainer.train_step, trainer.read_checkpoint

    def train_step(net: Any, opt_g: Any, opt_d: Any, *args: Any, **kwargs: Any) -> Any:
        log("step")
        if fault.hit("step"):
            # Both players' forward and backward passes ran and the generator has stepped;
            # the discriminator's update is where the process dies.
            opt_d = _DieOn(opt_d, "step", calls=1)
        return real_step(net, opt_g, opt_d, *args, **kwargs)

    def read_checkpoint(path: Any) -> dict[str, Any]:
        ckpt = real_read(path)
        log(f"resume {int(ckpt.get('it', 0))}")
        return ckpt

    class Validator(trainer.Validator):
        def __call__(self, gen: Any) -> float:
            if not fault.hit("validation"):
                return super().__call__(gen)
            # Dies in the second batch of fakes; a one-batch validation dies once it is done,
            # still before its result is used.
            super().__call__(_DieOn(gen, "__call__", calls=2))
            _die()

    _patch_torch_save(fault)
    trainer.train_step = train_step
    trainer.read_checkpoint = read_checkpoint
    trainer.Validator = Validator


class _DieOn:
    """``target`` as its callers see it, except that the ``calls``-th use of ``method`` kills."""

    def __init__(self, target: Any, method: str, calls: int) -> None:
        self._target, self._method, self._left = target, method, calls

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._target, name)
        return self._counted(real) if name == self._method else real

    def _counted(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self._left -= 1
            if self._left == 0:
                _die()
            return real(*args, **kwargs)

        return call

    def __call__(self, *args: Any, **kwargs: Any) -> Any:  # a module's forward, for instance
        return self._counted(self._target)(*args, **kwargs)


def _die_after_first(loader: Iterable[Any]) -> Iterator[Any]:
    for i, batch in enumerate(loader):
        if i == 1:
            _die()
        yield batch
    _die()  # a one-batch validation: die once it is done, still before its result is used


if __name__ == "__main__":
    armed = _Counter(os.environ.get("INRKIT_TEST_FAULT", ""))
    install = install_giraffe if sys.argv[1:2] == ["giraffe"] else install_liif
    install(armed, _progress_log(os.environ.get("INRKIT_TEST_PROGRESS")))
    from inrkit.cli import main

    sys.exit(main(sys.argv[1:]))
