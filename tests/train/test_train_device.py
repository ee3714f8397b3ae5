"""``--device cuda`` without CUDA: one line before any work, from every trainer."""

from __future__ import annotations

import pytest
import torch

from inrkit.errors import InrkitError
from inrkit.train import distributed


def test_cuda_is_refused_without_cuda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(InrkitError, match=r"^--device cuda: CUDA is not available"):
        distributed.check_device("cuda")
    for device in ("auto", "cpu"):
        distributed.check_device(device)  # nothing to refuse
