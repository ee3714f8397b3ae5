"""Is a trained GIRAFFE controllable? Measurements on the render programs' frames.

* :func:`translation_report` — in ``object_translation_horizontal`` the object's alpha
  centroid should move one way across the image as the slider moves (monotonically).
* :func:`rotation_report` — in ``object_rotation`` the object's silhouette should change
  while its colour and the pixels away from the object (the background) stay put. What a
  real turn does is known for the procedural scenes: :func:`turntable_report` applies
  :func:`silhouette_stats` and :func:`colour_drift` to their turntables
  (:func:`inrkit.scenes.turntable.turntable`) as :func:`rotation_report` does to the
  generator's frames and alpha maps.

Both use the program plans of :mod:`inrkit.giraffe.programs` (the same codes, cameras and poses
the GIFs show) and the per-object alpha maps the generator returns (K, 16, 16 per scene).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from inrkit.giraffe.programs import render
from inrkit.scenes.sampling import Scene
from inrkit.scenes.turntable import turntable


def alpha_centroid_x(alpha: torch.Tensor) -> torch.Tensor:
    """Horizontal centroid in [0, 1] of all objects' alpha, (T, N, K, h, w) -> (T, N)."""
    a = alpha.sum(dim=2)  # (T, N, h, w)
    w = a.shape[-1]
    xs = (torch.arange(w, dtype=a.dtype) + 0.5) / w
    mass = a.sum(dim=(-2, -1)).clamp_min(1e-8)
    return (a.sum(dim=-2) * xs).sum(-1) / mass


def monotonic_share(values: torch.Tensor, tol: float = 1e-3) -> float:
    """Share of columns of ``values`` (T, N) that move one way only (steps within ``tol`` of
    zero count as either way) and travel more than ``tol`` in all."""
    d = values[1:] - values[:-1]
    up = (d >= -tol).all(dim=0) & (values[-1] - values[0] > tol)
    down = (d <= tol).all(dim=0) & (values[0] - values[-1] > tol)
    return float((up | down).float().mean())


def translation_report(
    model: object, *, n_samples: int = 16, steps: int = 8, seed: int = 0
) -> dict[str, Any]:
    """Alpha centroids along ``object_translation_horizontal``.

    Returns:
        ``{'monotonic_share', 'mean_travel'}``: the share of scenes whose centroid moves
        monotonically, and the mean distance it travels (in image widths).
    """
    alpha = render(
        model,
        "object_translation_horizontal",
        n_samples=n_samples,
        steps=steps,
        seed=seed,
        return_alpha_map=True,
    )
    cx = alpha_centroid_x(alpha)
    return {
        "monotonic_share": monotonic_share(cx),
        "mean_travel": float((cx[-1] - cx[0]).abs().mean()),
    }


def silhouette_stats(solid: torch.Tensor) -> dict[str, float]:
    """How a turning object's silhouettes (T, N, h, w) bool differ from frame 0's.

    Returns:
        ``{'silhouette_iou', 'width_cv'}``: the mean IoU of frames 1..T-1 with frame 0, and the
        coefficient of variation over the frames of the silhouette's width (columns it
        covers), averaged over the scenes that show an object. A car turning a full circle is
        long, then short, then long: its width varies; an object that only changes colour
        keeps its width.
    """
    inter = (solid & solid[:1]).sum(dim=(-2, -1)).float()
    union = (solid | solid[:1]).sum(dim=(-2, -1)).float().clamp_min(1)
    width = solid.any(dim=-2).sum(dim=-1).float()  # (T, N)
    seen = width.mean(dim=0) > 0
    cv = width.std(dim=0, correction=0)[seen] / width.mean(dim=0)[seen]
    return {
        "silhouette_iou": float((inter / union)[1:].mean()),
        "width_cv": float(cv.mean()) if seen.any() else float("nan"),
    }


def colour_drift(frames: torch.Tensor, solid: torch.Tensor) -> float:
    """How far the object's mean colour moves from frame 0's as it turns.

    Args:
        frames: (T, N, 3, H, W) RGB in [0, 1].
        solid: (T, N, H, W) bool object silhouettes.

    Returns:
        The mean over frames 1..T-1 and scenes (those whose object shows in every frame) of the
        largest channel difference between the frame's and frame 0's mean object RGB. A paint
        that keeps its colour under changing shading stays low; a generator that turns the
        object's rotation into a hue wheel does not.
    """
    area = solid.sum(dim=(-2, -1))  # (T, N)
    seen = (area > 0).all(dim=0)
    if not seen.any():
        return float("nan")
    mean_rgb = (frames * solid[:, :, None]).sum(dim=(-2, -1)) / area.clamp_min(1)[..., None]
    drift = (mean_rgb[1:] - mean_rgb[:1]).abs().amax(dim=-1)  # (T - 1, N)
    return float(drift[:, seen].mean())


def rotation_report(
    model: object, *, n_samples: int = 8, steps: int = 8, seed: int = 0
) -> dict[str, Any]:
    """How ``object_rotation`` changes the object and the background.

    Returns:
        ``{'silhouette_iou', 'width_cv', 'colour_drift', 'object_change',
        'background_change', 'object_pixels'}``: :func:`silhouette_stats` of the object
        silhouettes (alpha > 0.5), their :func:`colour_drift`, the mean absolute RGB change
        from the first frame inside the union of the silhouettes and outside every object's
        reach (alpha < 0.05 in all frames), and the share of pixels the silhouettes cover.
    """
    kwargs = {"n_samples": n_samples, "steps": steps, "seed": seed}
    frames = render(model, "object_rotation", **kwargs)  # (T, N, 3, H, W)
    alpha = render(model, "object_rotation", return_alpha_map=True, **kwargs).sum(dim=2)
    t, n, _, h, w = frames.shape
    alpha = F.interpolate(alpha.reshape(t * n, 1, *alpha.shape[-2:]), size=(h, w), mode="nearest")
    alpha = alpha.reshape(t, n, h, w)
    solid = alpha > 0.5
    change = (frames - frames[:1]).abs().mean(dim=2)  # (T, N, H, W)
    objects = solid.any(dim=0, keepdim=True).expand_as(change)
    background = (alpha < 0.05).all(dim=0, keepdim=True).expand_as(change)

    def mean_where(mask: torch.Tensor) -> float:
        return float(change[mask].mean()) if mask.any() else float("nan")

    return {
        **silhouette_stats(solid),
        "colour_drift": colour_drift(frames, solid),
        "object_change": mean_where(objects),
        "background_change": mean_where(background),
        "object_pixels": float(solid.float().mean()),
    }


def turntable_report(
    scenes: Sequence[Scene], *, steps: int = 8, size: int = 32
) -> dict[str, float]:
    """The ground truth for :func:`rotation_report`: procedural scenes whose objects turn
    through the same frames as ``object_rotation`` over a full range (2 * ``steps`` frames at
    turns ``i / (2 * steps - 1)``), rendered by the scene renderer.

    Returns:
        ``{'silhouette_iou', 'width_cv', 'colour_drift'}`` as in :func:`rotation_report`.
    """
    turns = [i / (2 * steps - 1) for i in range(2 * steps)]
    tables = [turntable(scene, turns, size) for scene in scenes]
    images = torch.from_numpy(np.stack([t[0] for t in tables], axis=1))  # (T, N, S, S, 3) uint8
    solid = torch.from_numpy(np.stack([t[1] for t in tables], axis=1))  # (T, N, S, S)
    frames = images.permute(0, 1, 4, 2, 3) / 255.0
    return {**silhouette_stats(solid), "colour_drift": colour_drift(frames, solid)}
