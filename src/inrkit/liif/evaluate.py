"""Evaluation of LIIF models: the official ``eval_psnr`` over a data loader (Sec. 4.2)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch.utils.data import DataLoader

from inrkit.metrics.psnr import calc_psnr


def norm_tensors(data_norm: dict[str, Any], device: torch.device) -> dict[str, torch.Tensor]:
    """``inp_sub``, ``inp_div``, ``gt_sub``, ``gt_div`` shaped to broadcast like the official."""
    out = {}
    for key, shape in (("inp", (1, -1, 1, 1)), ("gt", (1, 1, -1))):
        for op in ("sub", "div"):
            out[f"{key}_{op}"] = torch.tensor(data_norm[key][op], dtype=torch.float32,
                                              device=device).view(*shape)  # fmt: skip
    return out


def _metric(eval_type: str | None):
    if eval_type is None:
        return calc_psnr, None
    protocol, _, scale = eval_type.partition("-")
    if protocol not in ("div2k", "benchmark") or not scale.isdigit():
        raise ValueError(f"eval_type must be None, div2k-N or benchmark-N, got {eval_type!r}")
    return (lambda sr, hr: calc_psnr(sr, hr, dataset=protocol, scale=int(scale))), int(scale)


@torch.no_grad()
def eval_psnr(
    loader: DataLoader,
    model: torch.nn.Module,
    data_norm: dict[str, Any],
    eval_type: str | None = None,
    eval_bsize: int | None = None,
    device: torch.device | None = None,
) -> float:
    """Mean PSNR over a loader of wrapped samples, weighted by batch size (official)."""
    device = device or next(model.parameters()).device
    norm = norm_tensors(data_norm, device)
    metric, _ = _metric(eval_type)
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        inp = (batch["inp"] - norm["inp_sub"]) / norm["inp_div"]
        if eval_bsize is None:
            pred = model(inp, batch["coord"], batch["cell"])
        else:
            feat = model.encode(inp)
            pred = torch.cat([model.query(feat, batch["coord"][:, q : q + eval_bsize],
                                          batch["cell"][:, q : q + eval_bsize])
                              for q in range(0, batch["coord"].shape[1], eval_bsize)], dim=1)  # fmt: skip
        pred = (pred * norm["gt_div"] + norm["gt_sub"]).clamp_(0, 1)
        gt = batch["gt"]
        if eval_type is not None:  # back to images so that borders can be shaved
            ih, iw = batch["inp"].shape[-2:]
            s = math.sqrt(batch["coord"].shape[1] / (ih * iw))
            shape = (batch["inp"].shape[0], round(ih * s), round(iw * s), 3)
            pred = pred.view(*shape).permute(0, 3, 1, 2)
            gt = gt.view(*shape).permute(0, 3, 1, 2)
        total += metric(pred, gt).item() * inp.shape[0]
        count += inp.shape[0]
    return total / max(count, 1)
