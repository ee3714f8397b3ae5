"""Precision names, the bf16 capability check and its fp32 fallback."""

from __future__ import annotations

import warnings

import pytest
import torch

from inrkit.errors import InrkitError
from inrkit.nn import precision


@pytest.mark.parametrize("bad", ["fp16", "BF16", "", "float32", None])
def test_unknown_precision_is_one_line(bad: object) -> None:
    with pytest.raises(InrkitError) as info:
        precision.check_precision(bad)  # type: ignore[arg-type]
    assert "\n" not in str(info.value) and "fp32, bf16" in str(info.value)


def test_native_bf16_computes_in_bf16(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning when bf16 runs as asked
        assert precision.compute_dtype("bf16", "cpu") == torch.bfloat16
        assert precision.compute_dtype("fp32", "cpu") == torch.float32
    assert precision.fallback_message("bf16", "cpu") is None


def test_no_bf16_warns_once_per_call_and_runs_fp32(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision, "cpu_has_bf16", lambda: False)
    message = precision.fallback_message("bf16", "cpu")
    assert message is not None and "\n" not in message and "fp32" in message
    assert precision.fallback_message("fp32", "cpu") is None
    with pytest.warns(precision.PrecisionWarning, match="no native bfloat16"):
        assert precision.compute_dtype("bf16", "cpu") == torch.float32


def test_capability_check_agrees_with_torch() -> None:
    caps = torch.cpu.get_capabilities() if hasattr(torch.cpu, "get_capabilities") else {}
    if caps:
        expected = bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))
        assert precision.cpu_has_bf16() == expected


def test_autocast_is_nothing_for_fp32() -> None:
    x, w = torch.randn(4, 8), torch.randn(3, 8)
    with precision.autocast(torch.float32, "cpu"):
        assert torch.nn.functional.linear(x, w).dtype == torch.float32
    with precision.autocast(torch.bfloat16, "cpu"):
        assert torch.nn.functional.linear(x, w).dtype == torch.bfloat16
