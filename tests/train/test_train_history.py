"""``inrkit.train.history``: records, curves, and a one-line error without matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from inrkit.errors import InrkitError
from inrkit.train.history import History, pyplot


def test_history_writes_records_and_curves(tmp_path: Path) -> None:
    history = History(tmp_path, tensorboard=False)
    history.append({"epoch": 1, "train_loss": 0.5, "val_psnr": 20.0})
    history.append({"epoch": 2, "train_loss": 0.4, "val_psnr": float("nan")})
    history.close()
    assert len((tmp_path / "history.jsonl").read_text().splitlines()) == 2
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "psnr.png").is_file()  # the one finite point


def test_without_matplotlib_the_error_names_the_extra(tmp_path: Path, monkeypatch) -> None:
    # None in sys.modules makes ``import matplotlib`` raise ImportError, as if not installed.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(InrkitError, match=r"pip install 'inrkit\[train\]'"):
        pyplot()
    with pytest.raises(InrkitError, match="matplotlib"):  # at once, before any epoch
        History(tmp_path, tensorboard=False)
    History(tmp_path, tensorboard=False, plots=()).close()  # no plots: no need
