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

* :func:`slider_report` — what a user of the page's sliders sees (:mod:`inrkit.giraffe.sliders`)
  on held-out seeds, scene by scene: does the horizontal slider move the object one way, does
  the depth slider grow or shrink it one way, does turning it leave the pixels off the object
  alone, and does its silhouette's width vary as a real car's does when it turns.

Library API, not an experiment script: a user checks a trained model with these (as
``benchmarks/giraffe_quality.py`` does for the README's numbers), and the tests hold the default
model to them; they measure through the library's own renderers, so they live beside them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from inrkit.giraffe import sliders as sl
from inrkit.giraffe.programs import generator_of, render
from inrkit.scenes.sampling import sample_scene, scene_rng
from inrkit.scenes.scene import Scene
from inrkit.scenes.turntable import turntable

HELD_OUT_SEEDS = tuple(range(1000, 1008))
"""The page's shape/appearance seeds of :func:`slider_report`: no GIF, test or figure uses them."""
OBJECT_ALPHA = 0.05
"""Alpha (upsampled bilinearly to the image) above which a pixel is the object's."""
SOLID_ALPHA = 0.5
"""Alpha above which a pixel is inside the object's silhouette (for its width)."""
STILL = 0.02
"""A pixel whose RGB changes less than this (mean over channels, in [0, 1]) stays put."""


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
    kwargs: dict[str, Any] = {"n_samples": n_samples, "steps": steps, "seed": seed}
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


def slider_frames(
    model: object, frames: Sequence[sl.FrameSliders]
) -> tuple[torch.Tensor, torch.Tensor]:
    """RGB (T, 3, H, W) in [0, 1] and alpha maps (T, K, 16, 16) of slider frames, in one
    generator pass (eval mode, no random object removal), as the page renders them."""
    gen = generator_of(model)
    codes = sl.SeedCodes(gen)
    inputs = [sl.frame_inputs(gen, f, codes) for f in frames]
    latent, camera, poses = (
        tuple(torch.cat(parts) for parts in zip(*group, strict=True))
        for group in zip(*(x[:3] for x in inputs), strict=True)
    )
    bg = torch.cat([x[3] for x in inputs])
    with torch.no_grad():
        feat, alpha = gen.volume_render_image(
            latent, camera, poses, bg, mode="val", return_alpha_map=True, sample_existence=False
        )
        rgb = gen.neural_renderer(feat)
    return rgb.clamp(0, 1).float().cpu(), alpha.float().cpu()


def object_region(alpha: torch.Tensor, size: int, dilate: int) -> torch.Tensor:
    """Pixels (H, W) bool that any object covers in any frame: alpha maps (T, K, h, w) summed
    over objects, upsampled bilinearly to ``size``, above :data:`OBJECT_ALPHA`, then grown by
    ``dilate`` pixels (a square neighbourhood)."""
    a = alpha.sum(dim=1, keepdim=True).amax(dim=0, keepdim=True)  # (1, 1, h, w)
    a = F.interpolate(a, size=(size, size), mode="bilinear", align_corners=False)
    region = (a > OBJECT_ALPHA).float()
    if dilate > 0:
        region = F.max_pool2d(region, 2 * dilate + 1, stride=1, padding=dilate)
    return region[0, 0] > 0


def off_object_change(frames: torch.Tensor, region: torch.Tensor) -> tuple[float, float]:
    """(mean, worst) RGB change from frame 0 at the pixels outside ``region``.

    Args:
        frames: (T, 3, H, W) in [0, 1].
        region: (H, W) bool, the object's pixels (see :func:`object_region`).

    Returns:
        A pixel's change is its largest change over the frames of the mean over channels of
        |RGB - RGB of frame 0|; the mean and the largest of it over the pixels off the object
        (NaN, NaN when the object covers everything).
    """
    change = (frames - frames[:1]).abs().mean(dim=1).amax(dim=0)  # (H, W)
    off = change[~region]
    if off.numel() == 0:
        return float("nan"), float("nan")
    return float(off.mean()), float(off.max())


def _upsampled(alpha: torch.Tensor, size: int) -> torch.Tensor:
    """All objects' alpha (T, K, h, w) -> (T, size, size), bilinear."""
    a = alpha.sum(dim=1, keepdim=True)
    return F.interpolate(a, size=(size, size), mode="bilinear", align_corners=False)[:, 0]


def _one_way(values: torch.Tensor, tol: float) -> int:
    """+1 / -1 when ``values`` (T,) rise / fall one way only by more than ``tol``, else 0."""
    share = monotonic_share(values[:, None], tol)
    return 0 if share == 0 else (1 if values[-1] > values[0] else -1)


def _sweep(
    model: object, k: int, seed: int, slider: str, values: Sequence[float]
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`slider_frames` of the page's scene for ``seed`` with one slider swept."""
    frames = [
        sl.uniform_frame(k, shape_seed=seed, appearance_seed=seed, **{slider: v}) for v in values
    ]
    return slider_frames(model, frames)


def _centred(scene: Scene) -> Scene:
    """``scene`` with its objects moved to the middle of the ground (x = y = 0), where the
    sliders' 0.5 puts GIRAFFE's box."""
    objects = tuple(dataclasses.replace(o, centre=(0.0, 0.0, o.centre[2])) for o in scene.objects)
    return dataclasses.replace(scene, objects=objects)


def truth_turntables(
    n: int = 8,
    *,
    size: int = 32,
    steps: int = 8,
    seed: int = 1,
    preset: str = "cars",
    dilate: int | None = None,
) -> dict[str, Any]:
    """The ground truth of :func:`slider_report`'s rotation: the first ``n`` held-out
    procedural cars (``inrkit data scenes --preset PRESET --seed 1``) turned through the same
    frames by the scene renderer, each car moved to the middle of the ground as the sliders'
    0.5 places GIRAFFE's box.

    Returns:
        ``{'width_cv', 'off_mean', 'off_worst'}``: per scene, the silhouette width's
        coefficient of variation and the RGB change off the car (outside its mask grown by
        ``dilate`` pixels, default one feature-image pixel, size / 16). A real car's shadow and
        the darkening of the ground around it turn with it, so the truth changes pixels off the
        car too: GIRAFFE can only draw them with the object's own (low) density.
    """
    dilate = size // 16 if dilate is None else dilate
    turns = [i / (2 * steps - 1) for i in range(2 * steps)]
    out: dict[str, list[float]] = {"width_cv": [], "off_mean": [], "off_worst": []}
    for i in range(n):
        scene = _centred(sample_scene(preset, scene_rng(seed, i)))
        images, masks = turntable(scene, turns, size)
        frames = torch.from_numpy(images).permute(0, 3, 1, 2) / 255.0
        solid = torch.from_numpy(masks)
        region = (
            F.max_pool2d(
                solid.any(dim=0).float()[None, None], 2 * dilate + 1, stride=1, padding=dilate
            )[0, 0]
            > 0
        )
        out["width_cv"].append(silhouette_stats(solid[:, None])["width_cv"])
        mean, worst = off_object_change(frames, region)
        out["off_mean"].append(mean)
        out["off_worst"].append(worst)
    return out


def slider_report(
    model: object,
    *,
    seeds: Sequence[int] = HELD_OUT_SEEDS,
    steps: int = 8,
    dilate: int | None = None,
    preset: str = "cars",
    truth: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Scene by scene, what the page's sliders do for the page's seeds (one object per seed).

    Every other slider stays at 0.5 (the page's start). Per seed:

    * horizontal: ``steps`` values 0..1 of ``translation_x``; the alpha centroid should move
      one way (:func:`monotonic_share`, tolerance 1e-3 image widths);
    * depth: ``steps`` values 0..1 of ``translation_depth``; the object's alpha area (its
      alpha summed, as a share of the feature image) should change one way (tolerance 1e-3);
      +1 means it grows as the slider brings it nearer the camera, as it must;
    * rotation: a full turn in 2 x ``steps`` frames (the ``object_rotation`` turns); the RGB
      change off the object (:func:`object_region` grown by ``dilate`` pixels, default one
      feature-image pixel, H / 16; :func:`off_object_change`), and the coefficient of variation
      of the silhouette's width (alpha > :data:`SOLID_ALPHA`, upsampled bilinearly).

    Args:
        model: A loaded model or a generator.
        seeds: The page's seeds, one scene each.
        steps: Slider values per sweep.
        dilate: Pixels the object region grows by before "off the object".
        preset: The scene preset the model learned (``cars`` or ``cars64``), for the truth.
        truth: :func:`truth_turntables` at the model's size, when already computed.

    Returns:
        Per-scene lists (``horizontal``, ``depth`` (+1/-1/0), ``depth_area`` (T values per
        scene), ``off_mean``, ``off_worst``, ``off_worst_tight`` (the object region not grown),
        ``width_cv``) and the counts of the aims: ``horizontal_ok``, ``depth_ok`` (one way,
        growing nearer), ``still_ok`` (worst off-object change < :data:`STILL`; and
        ``still_ok_tight``), ``width_ratio`` (mean width_cv over the truth's), and the truth.
    """
    gen = generator_of(model)
    size = gen.cfg.img_size
    dilate = size // 16 if dilate is None else dilate
    k = gen.get_n_boxes()
    values = [i / (steps - 1) for i in range(steps)]
    full = sl.rotation_wraps(model)
    turns = [i / (2 * steps - 1) for i in range(2 * steps)] if full else values
    out: dict[str, Any] = {
        key: []
        for key in (
            "horizontal",
            "depth",
            "depth_area",
            "off_mean",
            "off_worst",
            "off_worst_tight",
            "width_cv",
        )
    }
    for seed in seeds:
        _, alpha = _sweep(model, k, seed, "translation_x", values)
        cx = alpha_centroid_x(alpha[:, None])[:, 0]  # (T,)
        out["horizontal"].append(_one_way(cx, 1e-3))
        _, alpha = _sweep(model, k, seed, "translation_depth", values)
        area = alpha.sum(dim=(1, 2, 3)) / alpha[0, 0].numel()  # (T,) share of the image
        out["depth"].append(_one_way(area, 1e-3))
        out["depth_area"].append([round(float(a), 5) for a in area])
        rgb, alpha = _sweep(model, k, seed, "rotation", turns)
        mean, worst = off_object_change(rgb, object_region(alpha, size, dilate))
        out["off_mean"].append(mean)
        out["off_worst"].append(worst)
        out["off_worst_tight"].append(off_object_change(rgb, object_region(alpha, size, 0))[1])
        solid = _upsampled(alpha, size) > SOLID_ALPHA  # (T, H, W)
        out["width_cv"].append(silhouette_stats(solid[:, None])["width_cv"])
    if truth is None:
        truth = truth_turntables(len(seeds), size=size, steps=steps, preset=preset)
    cv = [c for c in out["width_cv"] if c == c]  # scenes with a silhouette (not NaN)
    truth_cv = float(np.mean(truth["width_cv"]))
    out.update(
        horizontal_ok=sum(h != 0 for h in out["horizontal"]),
        depth_ok=sum(d == 1 for d in out["depth"]),
        depth_one_way=sum(d != 0 for d in out["depth"]),
        still_ok=sum(w < STILL for w in out["off_worst"]),
        still_ok_tight=sum(w < STILL for w in out["off_worst_tight"]),
        width_ratio=float(np.mean(cv)) / truth_cv if cv else float("nan"),
        n_scenes=len(seeds),
        truth=truth,
    )
    return out
