"""Training history: JSON lines + CSV per record, TensorBoard scalars, PNG curves.

The curves need matplotlib, which comes with the ``train`` extra (``pip install
'inrkit[train]'``); without it a run with plots stops at once with a one-line error, before any
epoch is spent.
"""

from __future__ import annotations

import csv
import functools
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError, file_error
from inrkit.io.files import atomic_write

PlotSpec = tuple[str, str, tuple[str, ...]]
"""One PNG: (file name, y-axis label, record keys drawn as curves)."""

LIIF_PLOTS: tuple[PlotSpec, ...] = (
    ("loss.png", "L1 loss", ("train_loss",)),
    ("psnr.png", "PSNR (dB)", ("val_psnr",)),
)


class History:
    """Append-only log of records (one per epoch, or per logging interval) in
    ``history.jsonl`` and ``history.csv``.

    On resume the existing records are read back and any beyond the resumed position
    (``x_key`` of the last checkpoint) dropped, so curves never show a point twice.
    """

    def __init__(
        self,
        folder: Path,
        resume_epoch: int | None = None,
        tensorboard: bool = True,
        *,
        x_key: str = "epoch",
        plots: Sequence[PlotSpec] = LIIF_PLOTS,
    ):
        self.folder = folder
        self.jsonl = folder / "history.jsonl"
        self.x_key, self.plots = x_key, tuple(plots)
        if self.plots:
            pyplot()  # no matplotlib: say so now, not after the first epoch
        self.records: list[dict[str, Any]] = []
        if self.jsonl.exists() and resume_epoch is not None:
            lines = self.jsonl.read_text().splitlines()
            self.records = [
                r for r in map(json.loads, filter(None, lines)) if r.get(x_key, 0) <= resume_epoch
            ]
        try:
            self._rewrite()
        except OSError as e:
            raise _cannot_write(folder, e) from None
        self.writer = None
        if tensorboard:
            try:
                from torch.utils.tensorboard import SummaryWriter

                # On resume, drop the scalars of epochs after the checkpoint (written before a
                # kill), as the records were dropped above.
                purge = None if resume_epoch is None else resume_epoch + 1
                self.writer = SummaryWriter(str(folder / "tensorboard"), purge_step=purge)
            except ImportError:  # TensorBoard is optional; the JSON/CSV/PNG logs stay
                self.writer = None

    def _rewrite(self) -> None:
        # Atomic: a kill mid-write leaves the old file whole, never a cut JSON line.
        text = "".join(json.dumps(r) + "\n" for r in self.records)
        atomic_write(self.jsonl, lambda tmp: tmp.write_text(text), sync=False)
        keys: list[str] = []
        for r in self.records:
            keys += [k for k in r if k not in keys]

        def write_csv(tmp: Path) -> None:
            with open(tmp, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=keys)
                writer.writeheader()
                writer.writerows(self.records)

        atomic_write(self.folder / "history.csv", write_csv, sync=False)

    def append(self, record: dict[str, Any]) -> None:
        """Add one record, update the files, TensorBoard and the plots."""
        self.records.append(record)
        try:
            self._rewrite()
            if self.writer is not None:
                for key, value in record.items():
                    if key != self.x_key and isinstance(value, int | float):
                        self.writer.add_scalar(key, value, record[self.x_key])
                self.writer.flush()
            plot_curves(self.records, self.folder, x_key=self.x_key, plots=self.plots)
        except OSError as e:
            raise _cannot_write(self.folder, e) from None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _cannot_write(folder: Path, error: OSError) -> Exception:
    """A full disk or a lost mount while logging: the one-line error, not a traceback."""
    return file_error(folder, f"cannot write the history ({error.strerror or error})")


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend, or a one-line error naming the extra."""
    try:
        import matplotlib
    except ImportError:
        raise InrkitError("training curves need matplotlib: pip install 'inrkit[train]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_curves(
    records: list[dict[str, Any]],
    folder: Path,
    *,
    x_key: str = "epoch",
    plots: Sequence[PlotSpec] = LIIF_PLOTS,
) -> list[Path]:
    """Write one PNG per plot spec that has finite values (by default LIIF's loss and PSNR)."""
    plt = pyplot()
    written = []
    for name, ylabel, keys in plots:
        curves = {
            key: [
                (r[x_key], r[key])
                for r in records
                if isinstance(r.get(key), int | float) and math.isfinite(r[key])
            ]
            for key in keys
        }
        curves = {k: v for k, v in curves.items() if v}
        if not curves:
            continue
        fig, ax = plt.subplots(figsize=(5, 3.2), dpi=100)
        for key, points in curves.items():
            marker = "o" if len(points) < 30 else None
            ax.plot(*zip(*points, strict=True), marker=marker, label=key)
        if len(curves) > 1:
            ax.legend()
        ax.set_xlabel(x_key)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        atomic_write(folder / name, functools.partial(fig.savefig, format="png"))
        plt.close(fig)
        written.append(folder / name)
    return written
