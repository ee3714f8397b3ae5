"""The decoder MLP after its first layer, for the fast query path (LIIF, Sec. 3.2-3.3).

The fast path computes layer 1 per query from precomputed tables (see
:meth:`inrkit.liif.model.LIIF.prepare`); :class:`MLPTail` runs the remaining layers on the
four ensemble shifts as one batch and blends them by area (the local ensemble, Eq. 4).

Two things make it fast:

* **No allocation per chunk.** A chunk's activations are a few MiB; tensors that size come as
  fresh pages from the OS each time, and the page faults cost a good part of the GEMM time.
  The layers write with ``out=`` into buffers made once; the kernels and the order of their
  operations are unchanged, so fp32 results are bit for bit those of fresh tensors.
* **bfloat16 GEMMs** (``dtype=torch.bfloat16``). The hidden layers multiply in bf16 (the
  kernels accumulate in fp32, and oneDNN applies the ReLU on the way out); layer 1, built
  from fp32 tables and fp32 coordinate terms, is rounded to bf16 once. The blend stays fp32:
  the last layer is affine, so it commutes with the area-weighted sum,
  ``sum_s w_s (W h_s + b) = W (sum_s w_s h_s) + b`` (the w_s sum to 1); the last hidden
  states are blended in fp32 and the last layer runs in fp32, once per query instead of once
  per query and shift.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def blend(preds: list[torch.Tensor], areas: list[torch.Tensor]) -> torch.Tensor:
    """Area-weighted sum: each prediction is weighted by the area of the *opposite* code."""
    total = torch.stack(areas).sum(dim=0)
    if len(areas) == 4:
        areas = [areas[3], areas[2], areas[1], areas[0]]
    weights = [(area / total).unsqueeze(-1) for area in areas]
    out = preds[0] * weights[0]
    for pred, weight in zip(preds[1:], weights[1:], strict=True):
        out = out + pred * weight
    return out


def blend_weights(areas: list[torch.Tensor]) -> list[torch.Tensor]:
    """The weight of each shift's prediction in :func:`blend`, (B, n) each."""
    total = torch.stack(areas).sum(dim=0)
    if len(areas) == 4:
        areas = [areas[3], areas[2], areas[1], areas[0]]
    return [area / total for area in areas]


def fused_linear_relu(dtype: torch.dtype, device: torch.device) -> Callable | None:
    """oneDNN's linear with the ReLU fused (what torch.compile uses on CPU), where it runs;
    it saves a pass over each hidden layer's output. None: use addmm and relu_."""
    op = getattr(getattr(torch.ops, "mkldnn", None), "_linear_pointwise", None)
    if op is None or device.type != "cpu":
        return None
    try:
        x, w = torch.ones(2, 4, dtype=dtype), torch.ones(3, 4, dtype=dtype)
        if not torch.equal(op(x, w, -w[:, 0], "relu", [], "").float(), torch.full((2, 3), 3.0)):
            return None
    except RuntimeError:
        return None
    return op


class MLPTail:
    """Layers 2..L of the decoder over buffers for up to ``rows`` rows (shifts x queries);
    inference only (``out=`` has no autograd).

    Args:
        linears: The decoder's linear layers; ``linears[0]`` (layer 1) is computed by the
            caller into :meth:`layer1`, ReLU applied.
        rows: Most rows of one call.
        dtype: float32, or bfloat16 for the hidden layers' GEMMs.
    """

    def __init__(self, linears: list[nn.Linear], rows: int, dtype: torch.dtype) -> None:
        device = linears[0].weight.device
        widths = [lin.out_features for lin in linears[:-1]]  # hidden widths, layer 1 first
        # bf16 pays only where there are hidden GEMMs beyond layer 1.
        self.low = dtype != torch.float32 and len(linears) > 2
        self.dtype = dtype if self.low else torch.float32
        self.width1 = widths[0]
        self.hidden = [(lin.bias, lin.weight) for lin in linears[1:-1]]
        self.last = linears[-1]
        self.layer1_buf = torch.empty(rows * widths[0], device=device)
        self.bufs = [torch.empty(rows * max(widths), device=device)]
        if self.low:
            self.hidden = [(b.to(self.dtype), w.to(self.dtype)) for b, w in self.hidden]
            self.fused = fused_linear_relu(self.dtype, device)
            # bf16 activations, and an fp32 copy of the last ones for the blend.
            self.bufs.append(torch.empty(rows * max(widths), device=device, dtype=self.dtype))
        else:
            self.bufs.append(self.layer1_buf)  # fp32: layer 1's buffer is free after layer 2

    def layer1(self, shifts: int, rows: int) -> torch.Tensor:
        """The (shifts, rows, D1) fp32 buffer that layer 1's activations go into."""
        return self.layer1_buf[: shifts * rows * self.width1].view(shifts, rows, self.width1)

    def __call__(self, x: torch.Tensor, areas: list[torch.Tensor]) -> torch.Tensor:
        """:meth:`layer1` filled (S, B*n, D1) and the S areas (B, n) -> blended (B, n, out)."""
        shifts, rows = x.shape[0], x.shape[0] * x.shape[1]
        bs, n = areas[0].shape
        y = x.view(rows, -1)
        if not self.low:  # the reference loop's very operations, into the buffers
            for i, (bias, weight) in enumerate(self.hidden):
                out = self.bufs[i % 2][: rows * weight.shape[0]].view(rows, -1)
                y = torch.addmm(bias, y, weight.t(), out=out).relu_()
            y = torch.addmm(self.last.bias, y, self.last.weight.t())
            return blend(list(y.view(shifts, bs, n, -1).unbind(0)), areas)
        y = self.bufs[1][: y.numel()].view(rows, -1).copy_(y)  # the one rounding to bf16
        for bias, weight in self.hidden:
            if self.fused is not None:  # a fresh output: oneDNN's op has no out=
                y = self.fused(y, weight, bias, "relu", [], "")
            else:
                y = torch.addmm(bias, y, weight.t()).relu_()
        # The blend in fp32: convert once, then fp32 multiply-adds (mixed-dtype ones are slow).
        h = self.bufs[0][: y.numel()].view(shifts, bs * n, -1).copy_(y.view(shifts, bs * n, -1))
        weights = [w.reshape(-1, 1) for w in blend_weights(areas)]
        summed = h[0].mul_(weights[0])
        for s in range(1, shifts):
            summed.addcmul_(h[s], weights[s])
        return torch.addmm(self.last.bias, summed, self.last.weight.t()).view(bs, n, -1)
