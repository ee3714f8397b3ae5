"""Inference precision: fp32, or bfloat16 where the hardware multiplies it natively.

bfloat16 keeps float32's exponent range and 8 of its 24 significant bits, so matrix products
of activations and weights lose little when they accumulate in fp32 (as every bf16 GEMM
kernel does); a CPU with ``avx512_bf16`` or AMX, or a GPU with bf16 tensor cores, runs them
several times faster than fp32. The methods decide which parts run in bf16 (products of
activations and weights) and which stay fp32 (coordinates, weights of sums, indices).

Without native support, bf16 would be emulated and slower than fp32: :func:`compute_dtype`
then warns once and returns fp32.
"""

from __future__ import annotations

import functools
import platform
import warnings
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from inrkit.errors import InrkitError

if TYPE_CHECKING:
    import torch

# torch is imported inside the functions: the CLI reads PRECISIONS for --help without it.
PRECISIONS = ("fp32", "bf16")


class PrecisionWarning(UserWarning):
    """A precision was asked for that this device cannot run natively; fp32 runs instead."""


def check_precision(precision: str) -> str:
    """``precision`` itself when it is a known name; InrkitError (one line) otherwise."""
    if precision not in PRECISIONS:
        raise InrkitError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return precision


@functools.cache
def cpu_has_bf16() -> bool:
    """Whether this CPU multiplies bfloat16 natively (x86 avx512_bf16 or AMX, Arm BF16)."""
    import torch

    if platform.machine().lower() in ("x86_64", "amd64", "i386", "i686"):
        caps = getattr(torch.cpu, "get_capabilities", dict)()
        if caps:
            return bool(caps.get("avx512_bf16") or caps.get("amx_bf16"))
        return bool(getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)())
    try:  # Linux on Arm lists the BF16 extension among the CPU features
        return " bf16" in Path("/proc/cpuinfo").read_text()
    except OSError:
        return False


def bf16_native(device: torch.device | str) -> bool:
    """Whether ``device`` runs bfloat16 matrix products natively."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return device.type == "cpu" and cpu_has_bf16()


def fallback_message(precision: str, device: torch.device | str) -> str | None:
    """Why ``precision`` will run as fp32 on ``device``, or None when it runs as asked."""
    import torch

    check_precision(precision)
    if precision == "fp32" or bf16_native(device):
        return None
    what = "this CPU has no native bfloat16 instructions (avx512_bf16, AMX or Arm BF16)"
    if torch.device(device).type != "cpu":
        what = f"{torch.device(device)} has no native bfloat16 support"
    return f"{what}; running in fp32 instead of bf16"


def compute_dtype(precision: str, device: torch.device | str) -> torch.dtype:
    """The dtype to compute in: bfloat16 for "bf16" where native (else a warning and fp32)."""
    import torch

    message = fallback_message(precision, device)
    if message is not None:
        warnings.warn(message, PrecisionWarning, stacklevel=3)
        return torch.float32
    return torch.bfloat16 if precision == "bf16" else torch.float32


def autocast(dtype: torch.dtype, device: torch.device | str) -> AbstractContextManager:
    """``torch.autocast`` to ``dtype`` on ``device``'s type, or nothing for fp32."""
    import torch

    if dtype == torch.float32:
        return nullcontext()
    return torch.autocast(torch.device(device).type, dtype=dtype)
