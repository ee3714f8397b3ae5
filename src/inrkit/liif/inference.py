"""Upscaling whole images with LIIF: any scale or size, tiled and chunked (LIIF, Sec. 3.4-4.3).

The output pixel (i, j) of an H x W result is LIIF queried at its centre with the cell
(2/H, 2/W), exactly like the official ``batched_predict``; RGB comes back as
``clamp(out * 0.5 + 0.5, 0, 1)``.

Memory stays bounded: the input is cut into tiles of latent pixels; for each tile the encoder
sees a crop padded by its receptive radius (so the codes equal whole-image encoding), the
first decoder layer is precomputed for the tile's codes, and the output pixels that read
them are queried in chunks.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
import torch
from PIL import Image

from inrkit.errors import InrkitError
from inrkit.io.modes import from_float_rgb, resize_alpha, to_float_rgb
from inrkit.liif.defaults import DEFAULT_CHUNK, DEFAULT_MAX_OUTPUT_PIXELS, DEFAULT_TILE
from inrkit.liif.model import LIIF, nearest_index
from inrkit.liif.tiling import receptive_radius, round_half_up, scaled_bounds, split
from inrkit.nn.coords import make_coord
from inrkit.nn.precision import autocast, check_precision, compute_dtype

ImageLike = TypeVar("ImageLike", Image.Image, np.ndarray, torch.Tensor)


class UpscaleStopped(Exception):
    """Raised between chunks when ``should_stop()`` says the result is unwanted."""


def output_size(
    in_hw: tuple[int, int],
    scale: float | tuple[float, float] | None = None,
    size: tuple[int, int] | None = None,
    width: int | None = None,
    height: int | None = None,
    max_pixels: float = DEFAULT_MAX_OUTPUT_PIXELS,
) -> tuple[int, int]:
    """Validate the wanted size and return the output (H, W).

    Exactly one of ``scale`` (one factor or (row, col) factors; output ``round(H*s)``),
    ``size`` (exact (H, W)), ``width`` or ``height`` (the other side keeps the aspect ratio).
    """
    h, w = in_hw
    given = [x is not None for x in (scale, size, width, height)]
    if sum(given) != 1:
        raise InrkitError("give exactly one of scale, size, width or height")
    if scale is not None:
        sy, sx = scale if isinstance(scale, tuple | list) else (scale, scale)
        for s in (sy, sx):
            if not isinstance(s, int | float) or not math.isfinite(s) or s <= 0:
                raise InrkitError(f"scale must be a finite number > 0, got {s}")
        out = (round_half_up(h * sy), round_half_up(w * sx))
    elif size is not None:
        out = (size[0], size[1])
    elif width is not None:
        out = (max(1, round_half_up(h * width / w)), width)
    else:
        assert height is not None  # exactly one of the four is given (checked above)
        out = (height, max(1, round_half_up(w * height / h)))
    for side in out:
        if not isinstance(side, int) or isinstance(side, bool) or side < 1:
            raise InrkitError(f"output size must be at least 1x1 pixels, got {out[0]}x{out[1]}")
    if out[0] * out[1] > max_pixels:
        raise InrkitError(
            f"output {out[0]}x{out[1]} = {out[0] * out[1]} pixels is more than the limit of "
            f"{max_pixels} (raise it with max_pixels / --max-pixels)"
        )
    return out


def _axis_coords(n: int) -> torch.Tensor:
    """Pixel centres of an axis of n pixels, as in the official make_coord."""
    return make_coord((n,))[:, 0]


def _latent_span(coords: torch.Tensor, n: int, model: LIIF) -> tuple[int, int]:
    """Smallest run of latent pixels that queries at ``coords`` read along one axis."""
    shifts = (-1, 1) if model.local_ensemble else (0,)
    eps = 1e-6 if model.local_ensemble else 0.0
    idx = [nearest_index((coords + v / n + eps).clamp(-1 + 1e-6, 1 - 1e-6), n) for v in shifts]
    both = torch.cat(idx)
    return int(both.min()), int(both.max()) + 1


@torch.no_grad()
def _predict_fast(
    model: LIIF,
    inp: torch.Tensor,
    out_hw: tuple[int, int],
    tile: int,
    chunk: int,
    step: Callable[[int], None],
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """(B, 3, h, w) normalised input -> (B, H, W, 3) normalised output, tile by tile;
    ``step(n)`` after each chunk of n output pixels.

    ``dtype`` bfloat16 runs the encoder's convolutions (channels-last, the layout bf16
    kernels are written for) and the decoder's hidden layers in bf16; see
    :meth:`LIIF.query_grid_prepared` for what stays fp32.
    """
    b, _, h, w = inp.shape
    big_h, big_w = out_hw
    radius = receptive_radius(model.encoder)
    if radius is None:  # not tileable: one tile, the whole image
        tile = max(h, w)
    rows_in, cols_in = split(h, tile), split(w, tile)
    rows_out, cols_out = scaled_bounds(rows_in, h, big_h), scaled_bounds(cols_in, w, big_w)
    ys, xs = _axis_coords(big_h).to(inp.device), _axis_coords(big_w).to(inp.device)
    out = inp.new_empty(b, big_h, big_w, 3)
    for r0, r1 in rows_out:
        a0, a1 = _latent_span(ys[r0:r1], h, model)
        for c0, c1 in cols_out:
            b0, b1 = _latent_span(xs[c0:c1], w, model)
            # Codes one pixel around the window (for the 3x3 unfold), and the input crop the
            # encoder needs for those codes to be exact.
            f0, f1, g0, g1 = max(a0 - 1, 0), min(a1 + 1, h), max(b0 - 1, 0), min(b1 + 1, w)
            m = radius or 0
            i0, i1, j0, j1 = max(f0 - m, 0), min(f1 + m, h), max(g0 - m, 0), min(g1 + m, w)
            crop = inp[:, :, i0:i1, j0:j1]
            if dtype != torch.float32:
                crop = crop.contiguous(memory_format=torch.channels_last)
            with autocast(dtype, inp.device):
                feat = model.encode(crop)
            feat = feat[:, :, f0 - i0 : f1 - i0, g0 - j0 : g1 - j0]
            prep = model.prepare(feat, (h, w), (f0, g0), (a0, a1, b0, b1))
            out[:, r0:r1, c0:c1] = model.query_grid_prepared(
                prep, ys[r0:r1], xs[c0:c1], (2 / big_h, 2 / big_w), chunk, dtype, step
            )
    return out


@torch.no_grad()
def predict_reference(
    model: torch.nn.Module,
    inp: torch.Tensor,
    out_hw: tuple[int, int],
    chunk: int = 30000,
    step: Callable[[int], None] | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """The official ``batched_predict``: whole-image encoding, reference query in chunks.

    Returns (B, H, W, 3) normalised output. Works for every model (LIIF, MetaSR). ``dtype``
    bfloat16 runs the encoder in bf16; the query stays fp32 (MetaSR's predicted weights, for
    one, lose too much in bf16).
    """
    b = inp.shape[0]
    coord = make_coord(out_hw).to(inp.device).unsqueeze(0).expand(b, -1, -1)
    cell = torch.empty_like(coord)
    cell[..., 0], cell[..., 1] = 2 / out_hw[0], 2 / out_hw[1]
    # LIIF and MetaSR define encode and query (pyright: nn.Module's attributes are typed
    # Tensor | Module, and a Tensor is not callable).
    with autocast(dtype, inp.device):
        feat = model.encode(inp).float()  # pyright: ignore[reportCallIssue]
    query = model.query_reference if isinstance(model, LIIF) else model.query
    pieces = []
    for q0 in range(0, coord.shape[1], chunk):
        pieces.append(query(feat, coord[:, q0 : q0 + chunk], cell[:, q0 : q0 + chunk]))  # pyright: ignore[reportCallIssue]
        if step is not None:
            step(pieces[-1].shape[1] * b)
    return torch.cat(pieces, dim=1).view(b, *out_hw, 3)


def upscale_tensor(
    model: torch.nn.Module,
    rgb: torch.Tensor,
    out_hw: tuple[int, int],
    *,
    tile: int = DEFAULT_TILE,
    chunk: int = DEFAULT_CHUNK,
    reference: bool = False,
    progress: bool | None = False,
    should_stop: Callable[[], bool] | None = None,
    precision: str = "fp32",
    on_progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """(B, 3, h, w) RGB in [0, 1] -> (B, 3, H, W) RGB in [0, 1] on the model's device.

    Args:
        tile: Latent pixels per tile side (memory knob; the result does not depend on it).
        chunk: Queries per decoder batch (speed/memory knob; no effect on the result).
        reference: Use the official formulation instead of the fast path.
        progress: Show a tqdm bar (``None``: only on a terminal).
        should_stop: Asked after each chunk; when it returns True the work stops with
            :class:`UpscaleStopped` (a server's cancelled request).
        precision: ``"fp32"``, or ``"bf16"``: convolutions and hidden GEMMs in bfloat16
            (several times faster where the hardware has it, about 0.01 dB lower PSNR);
            without native bf16 a :class:`~inrkit.nn.precision.PrecisionWarning` and fp32.
        on_progress: ``on_progress(done, total)`` with output pixels finished and in all
            (``B * H * W``, however the work is tiled): once with ``done == 0`` before the
            work starts, then after each chunk; the last call has ``done == total``. A server
            shows it as a progress bar, or lets other work run between chunks.
    """
    from tqdm.auto import tqdm

    if tile < 1 or chunk < 1:
        raise InrkitError(f"tile and chunk must be positive, got tile={tile}, chunk={chunk}")
    check_precision(precision)
    device = next(model.parameters()).device
    dtype = compute_dtype(precision, device)
    inp = (rgb.to(device=device, dtype=torch.float32) - 0.5) / 0.5
    # Progress is counted here, where the tiles and chunks are made: every output pixel is
    # queried once, whether the encoder can be tiled or not, and for any scale.
    total = rgb.shape[0] * out_hw[0] * out_hw[1]
    done = 0
    if on_progress is not None:
        on_progress(0, total)
    with tqdm(
        total=total,
        unit="px",
        unit_scale=True,
        disable=None if progress is None else not progress,
        desc="upscale",
        leave=False,
    ) as bar:

        def step(n: int) -> None:
            nonlocal done
            done += n
            bar.update(n)
            if on_progress is not None:
                on_progress(done, total)
            if should_stop is not None and should_stop():
                raise UpscaleStopped("upscale stopped before the end")

        if isinstance(model, LIIF) and model.imnet is not None and not reference:
            out = _predict_fast(model, inp, out_hw, tile, chunk, step, dtype)
        else:
            out = predict_reference(model, inp, out_hw, max(chunk, 30000), step, dtype)
    return out.mul_(0.5).add_(0.5).clamp_(0, 1).permute(0, 3, 1, 2)


def _as_tensor(image: Any) -> tuple[torch.Tensor, Callable[[torch.Tensor], Any]]:
    """Any supported image -> ((1, 3, h, w) float tensor in [0, 1], back-converter)."""
    if isinstance(image, Image.Image):
        rgb, alpha, layout = to_float_rgb(image)

        def to_pil(out: torch.Tensor) -> Image.Image:
            arr = out[0].permute(1, 2, 0).cpu().numpy()
            a = resize_alpha(alpha, arr.shape[:2]) if alpha is not None else None
            return from_float_rgb(arr, a, layout)

        return torch.from_numpy(rgb).permute(2, 0, 1)[None], to_pil
    if isinstance(image, np.ndarray):
        if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
            raise InrkitError(f"array images must be HxWx3 uint8, got {image.shape} {image.dtype}")
        # Converting to float copies anyway; doing it in NumPy also accepts read-only arrays.
        t = torch.from_numpy(image.astype(np.float32) / 255).permute(2, 0, 1)[None]
        return t, lambda out: (out[0].permute(1, 2, 0) * 255).round().byte().cpu().numpy()
    if isinstance(image, torch.Tensor):
        if image.ndim not in (3, 4) or image.shape[-3] != 3 or not image.is_floating_point():
            raise InrkitError(
                f"tensor images must be 3xHxW floats in [0, 1], got {tuple(image.shape)}"
            )
        batch = image if image.ndim == 4 else image[None]
        return batch, lambda out: (out if image.ndim == 4 else out[0]).to(image.device, image.dtype)
    raise InrkitError(f"cannot upscale a {type(image).__name__}: pass a PIL image, array or tensor")


def upscale(
    model: torch.nn.Module,
    image: ImageLike,
    scale: float | tuple[float, float] | None = None,
    size: tuple[int, int] | None = None,
    *,
    width: int | None = None,
    height: int | None = None,
    max_pixels: int = DEFAULT_MAX_OUTPUT_PIXELS,
    tile: int = DEFAULT_TILE,
    chunk: int = DEFAULT_CHUNK,
    reference: bool = False,
    progress: bool | None = False,
    should_stop: Callable[[], bool] | None = None,
    precision: str = "fp32",
    on_progress: Callable[[int, int], None] | None = None,
) -> ImageLike:
    """Upscale (or resample) an image with a LIIF model to any scale or exact size.

    Args:
        model: A LIIF (or MetaSR) model, e.g. from :func:`inrkit.liif.load`.
        image: A PIL image (any mode: alpha is resized bicubically, gray stays gray, 16-bit
            stays 16-bit), an HxWx3 uint8 array, or a 3xHxW (or Bx3xHxW) float tensor in [0, 1].
        scale: One factor or (row, col) factors; the output is ``round(H*s) x round(W*s)``.
        size: Exact output (H, W). ``width`` / ``height``: one side, aspect ratio kept.
        max_pixels: Refuse outputs larger than this many pixels.
        tile, chunk, reference, progress, should_stop, precision, on_progress: See
            :func:`upscale_tensor`; ``precision="bf16"`` is the fast, slightly less exact one.

    Returns:
        The result as the same kind of image as ``image``.
    """
    rgb, back = _as_tensor(image)
    out_hw = output_size((rgb.shape[-2], rgb.shape[-1]), scale, size, width, height, max_pixels)
    was_training = model.training
    model.eval()
    try:
        out = upscale_tensor(
            model,
            rgb,
            out_hw,
            tile=tile,
            chunk=chunk,
            reference=reference,
            progress=progress,
            should_stop=should_stop,
            precision=precision,
            on_progress=on_progress,
        )
    finally:
        model.train(was_training)
    return back(out)
