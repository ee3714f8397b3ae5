"""Evaluation of LIIF models (LIIF, Sec. 4.2-4.3).

* :func:`eval_psnr` is the official test loop over a data loader of wrapped samples
  (``inrkit liif test`` and validation during training).
* :func:`evaluate_images` scores whole images at any scales — in-distribution and
  out-of-distribution (x6-x30) — with PSNR and SSIM under one protocol, always beside a bicubic
  baseline on the same LR input (``inrkit liif eval`` and the cross-dataset study).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from PIL import Image

from inrkit.data.sr_wrappers import SizedDataset, resize_fn
from inrkit.errors import InrkitError
from inrkit.liif.config_types import DataNorm
from inrkit.liif.inference import DEFAULT_CHUNK, DEFAULT_TILE, upscale_tensor
from inrkit.metrics.psnr import calc_psnr, protocol_shave
from inrkit.metrics.ssim import WINDOW, calc_ssim


def norm_tensors(
    data_norm: DataNorm | Mapping[str, Any], device: torch.device
) -> dict[str, torch.Tensor]:
    """``inp_sub``, ``inp_div``, ``gt_sub``, ``gt_div`` shaped to broadcast like the official.

    ``data_norm`` is a :class:`DataNorm` or its official form (parsed here).
    """
    if not isinstance(data_norm, DataNorm):
        data_norm = DataNorm.parse(data_norm, "data_norm")
    out = {}
    # inp: (B, 3, h, w) images; gt: (B, Q, 3) sampled pixels.
    for key, shape in (("inp", (1, -1, 1, 1)), ("gt", (1, 1, -1))):
        side = getattr(data_norm, key)
        for op in ("sub", "div"):
            out[f"{key}_{op}"] = torch.tensor(
                getattr(side, op), dtype=torch.float32, device=device
            ).view(*shape)
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
    loader: Iterable[Mapping[str, torch.Tensor]],
    model: torch.nn.Module,
    data_norm: DataNorm | Mapping[str, Any] | None,
    eval_type: str | None = None,
    eval_bsize: int | None = None,
    device: torch.device | None = None,
) -> float:
    """Mean PSNR over a loader of wrapped samples, weighted by batch size (official).

    ``loader`` yields batches ``{'inp', 'coord', 'cell', 'gt'}`` (a DataLoader, or one wrapped
    in a progress bar). ``data_norm`` None means no normalisation (``sub`` 0, ``div`` 1), as the
    official.
    """
    device = device or next(model.parameters()).device
    norm = norm_tensors(DataNorm.identity() if data_norm is None else data_norm, device)
    metric, _ = _metric(eval_type)
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        batch = {k: v.to(device) for k, v in batch.items()}
        inp = (batch["inp"] - norm["inp_sub"]) / norm["inp_div"]
        if eval_bsize is None:
            pred = model(inp, batch["coord"], batch["cell"])
        else:
            # LIIF and MetaSR define encode and query (pyright: nn.Module's attributes are typed
            # Tensor | Module, and a Tensor is not callable).
            feat = model.encode(inp)  # pyright: ignore[reportCallIssue]
            coord, cell, b = batch["coord"], batch["cell"], eval_bsize
            pred = torch.cat(
                [
                    model.query(feat, coord[:, q : q + b], cell[:, q : q + b])  # pyright: ignore[reportCallIssue]
                    for q in range(0, coord.shape[1], b)
                ],
                dim=1,
            )
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


# ----- whole images at any scale, PSNR + SSIM, with a bicubic baseline ----------------------
# Protocol names -> the ``dataset`` argument of calc_psnr / calc_ssim.
PROTOCOLS: dict[str, str | None] = {"plain": None, "benchmark": "benchmark", "div2k": "div2k"}
PROTOCOL_NOTES = {
    "plain": "PSNR on RGB, no border shave; SSIM on Y",
    "benchmark": "PSNR and SSIM on Y, border shave = scale",
    "div2k": "PSNR on RGB, border shave = scale + 6; SSIM on Y, same shave",
}
METHODS = ("model", "bicubic")


def scale_key(scale: float) -> str:
    """``x2``, ``x2.5``: how a scale names its column and its JSON entry."""
    return f"x{scale:g}"


def downsample_pair(hr: torch.Tensor, scale: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, H, W) HR -> (LR, cropped HR), as the official ``sr-implicit-downsampled`` with
    ``inp_size: None``: LR is ``floor(H / s)`` x ``floor(W / s)``, the HR crop is its size
    times s (rounded), and LR is the bicubic, anti-aliased 8-bit resize of that crop.
    """
    h_lr = math.floor(hr.shape[-2] / scale + 1e-9)
    w_lr = math.floor(hr.shape[-1] / scale + 1e-9)
    if h_lr < 1 or w_lr < 1:
        raise InrkitError(
            f"an image of {hr.shape[-2]}x{hr.shape[-1]} is too small for scale {scale:g}"
        )
    hr = hr[:, : round(h_lr * scale), : round(w_lr * scale)]
    return resize_fn(hr, (h_lr, w_lr)), hr


def crop_paired(lr: torch.Tensor, hr: torch.Tensor) -> torch.Tensor:
    """The HR crop that an official LR image covers (``sr-implicit-paired``, integer scale)."""
    s = hr.shape[-2] // lr.shape[-2]
    return hr[:, : lr.shape[-2] * s, : lr.shape[-1] * s]


def bicubic_upsample(lr: torch.Tensor, out_hw: tuple[int, int]) -> torch.Tensor:
    """(3, h, w) in [0, 1] -> (3, H, W): PIL's bicubic resize of the 8-bit image (the baseline)."""
    arr = lr.mul(255).round().clamp(0, 255).byte().permute(1, 2, 0).cpu().numpy()
    out = Image.fromarray(arr).resize((out_hw[1], out_hw[0]), Image.Resampling.BICUBIC)
    return torch.from_numpy(np.asarray(out).copy()).permute(2, 0, 1).float() / 255


def score(sr: torch.Tensor, hr: torch.Tensor, protocol: str, scale: float) -> dict[str, float]:
    """``{'psnr', 'ssim'}`` of one (3, H, W) result under a protocol (see PROTOCOL_NOTES)."""
    dataset = PROTOCOLS[protocol]
    shave = protocol_shave(dataset, scale)
    h, w = hr.shape[-2] - 2 * shave, hr.shape[-1] - 2 * shave
    if min(h, w) < WINDOW:
        raise InrkitError(
            f"a {hr.shape[-2]}x{hr.shape[-1]} result leaves {max(h, 0)}x{max(w, 0)} "
            f"pixels after the {protocol} border shave of {shave}; SSIM needs "
            f"{WINDOW}x{WINDOW} (use bigger images or smaller scales)"
        )
    sr, hr = sr[None].to(hr.device, torch.float32), hr[None]
    return {
        "psnr": calc_psnr(sr, hr, dataset=dataset, scale=scale).item(),
        "ssim": calc_ssim(sr, hr, dataset=dataset, scale=scale).item(),
    }


def _each(items: Iterable[Any]) -> Iterator[Any]:
    """Items of a list, a generator or a map-style data set (``ImageFolder`` wraps its index
    around instead of raising IndexError, so plain iteration would never stop)."""
    if isinstance(items, SizedDataset):  # has __len__ and __getitem__
        for i in range(len(items)):
            yield items[i]
    else:
        yield from items


def _pairs_at(
    scale: float,
    hr_images: Iterable[torch.Tensor] | None,
    paired: Mapping[float, Iterable[tuple[torch.Tensor, torch.Tensor]]],
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """(LR, HR) pairs at one scale: the given pairs, else LR made from each HR image."""
    if scale in paired:
        for lr, hr in _each(paired[scale]):
            yield lr, crop_paired(lr, hr)
    elif hr_images is None:
        raise ValueError(f"no HR images and no pairs for scale {scale:g}")
    else:
        for hr in _each(hr_images):
            yield downsample_pair(hr, scale)


@torch.no_grad()
def evaluate_images(
    model: torch.nn.Module,
    hr_images: Iterable[torch.Tensor] | None,
    scales: Iterable[float],
    protocol: str = "plain",
    *,
    paired: Mapping[float, Iterable[tuple[torch.Tensor, torch.Tensor]]] | None = None,
    tile: int = DEFAULT_TILE,
    chunk: int = DEFAULT_CHUNK,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Mean PSNR and SSIM of the model and of bicubic over whole images at each scale.

    Args:
        model: A LIIF (or MetaSR) model; inference is :func:`upscale_tensor` (tiled, chunked).
        hr_images: (3, H, W) HR images in [0, 1] (a list, or a data set such as
            ``ImageFolder``); at each scale the LR input is made from them by
            :func:`downsample_pair`. May be None when ``paired`` covers every scale.
        scales: Scales >= 1, any real number (out-of-distribution ones included).
        protocol: ``plain``, ``benchmark`` or ``div2k`` (see ``PROTOCOL_NOTES``).
        paired: Optional ``{scale: [(LR, HR), ...]}`` of precomputed pairs (the official
            ``LR_bicubic/X2..X4`` folders) used instead of downsampling at those scales.

    Returns:
        ``{'protocol', 'images': n, 'scales': [...], 'results': {'model' | 'bicubic':
        {'x2': {'psnr', 'ssim'}, ...}}}`` — per-image values averaged, as the official test
        with ``batch_size: 1``.
    """
    from tqdm.auto import tqdm

    if protocol not in PROTOCOLS:
        raise InrkitError(f"unknown protocol {protocol!r} (known: {', '.join(PROTOCOLS)})")
    scales = list(dict.fromkeys(float(s) for s in scales))
    for s in scales:
        if not math.isfinite(s) or s < 1:
            raise InrkitError(f"scale must be a number >= 1, got {s:g}")
    paired = paired or {}
    results: dict[str, dict[str, dict[str, float]]] = {m: {} for m in METHODS}
    was_training, count = model.training, 0
    model.eval()
    try:
        for s in tqdm(scales, desc="scales", disable=not progress, leave=False):
            sums, count = {m: {"psnr": 0.0, "ssim": 0.0} for m in METHODS}, 0
            for lr, hr in _pairs_at(s, hr_images, paired):
                count += 1
                out_hw = (hr.shape[-2], hr.shape[-1])
                sr = upscale_tensor(model, lr[None], out_hw, tile=tile, chunk=chunk)[0]
                for method, pred in (("model", sr), ("bicubic", bicubic_upsample(lr, out_hw))):
                    try:
                        values = score(pred, hr, protocol, s)
                    except InrkitError as e:
                        raise InrkitError(f"image {count} at scale {s:g}: {e}") from None
                    for metric, value in values.items():
                        sums[method][metric] += value
            if count == 0:
                raise InrkitError("no images to evaluate")
            for m in METHODS:
                results[m][scale_key(s)] = {k: v / count for k, v in sums[m].items()}
    finally:
        model.train(was_training)
    return {"protocol": protocol, "images": count, "scales": scales, "results": results}


def format_table(result: dict[str, Any]) -> str:
    """The results as a text table: rows model and bicubic, PSNR and SSIM per scale."""
    keys = [scale_key(s) for s in result["scales"]]
    head = ["method"] + [f"{k} {metric}" for k in keys for metric in ("PSNR", "SSIM")]
    rows = [head]
    for method in METHODS:
        cells = result["results"][method]
        rows.append([method] + [f"{cells[k][m]:.4f}" for k in keys for m in ("psnr", "ssim")])
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)
