"""The controllability measurements, on synthetic alpha maps and a tiny model."""

from __future__ import annotations

import math

import torch
from giraffe_testlib import TINY, one_thread, tiny_network  # noqa: F401

from inrkit.giraffe.controls import (
    alpha_centroid_x,
    colour_drift,
    monotonic_share,
    rotation_report,
    silhouette_stats,
    translation_report,
)
from inrkit.giraffe.model import GiraffeModel


def _blob(x: float, w: int = 16) -> torch.Tensor:
    """A 1-object alpha map (1, h, w) with a 3-pixel-wide bar starting at column x."""
    a = torch.zeros(1, 16, w)
    a[0, 4:10, int(x) : int(x) + 3] = 1
    return a


def test_centroid_follows_a_moving_bar() -> None:
    frames = torch.stack([torch.stack([_blob(x), _blob(12 - x)]) for x in range(0, 12, 2)])
    cx = alpha_centroid_x(frames)  # (T=6, N=2)
    assert cx.shape == (6, 2)
    assert math.isclose(cx[0, 0].item(), 1.5 / 16, abs_tol=1e-6)  # columns 0-2: centre 1.5 px
    assert (cx[1:, 0] > cx[:-1, 0]).all() and (cx[1:, 1] < cx[:-1, 1]).all()
    assert monotonic_share(cx) == 1.0


def test_monotonic_share_counts_only_one_way_movers() -> None:
    still = torch.full((5, 1), 0.5)
    zigzag = torch.tensor([[0.1], [0.5], [0.2], [0.6], [0.7]])
    ramp = torch.linspace(0.2, 0.8, 5)[:, None]
    assert math.isclose(
        monotonic_share(torch.cat([still, zigzag, ramp], dim=1)), 1 / 3, rel_tol=1e-6
    )


def test_reports_run_on_a_model() -> None:
    model = GiraffeModel(network=tiny_network(), config=TINY)
    t = translation_report(model, n_samples=2, steps=4)
    assert set(t) == {"monotonic_share", "mean_travel"} and 0 <= t["monotonic_share"] <= 1
    r = rotation_report(model, n_samples=2, steps=4)
    assert set(r) == {
        "silhouette_iou",
        "width_cv",
        "colour_drift",
        "object_change",
        "background_change",
        "object_pixels",
    }
    assert 0 <= r["object_pixels"] <= 1


def test_silhouette_stats_known_answers() -> None:
    # Scene 0: a 4x4 square that stays put; scene 1: a bar 8 wide, then 4, then 8 columns.
    solid = torch.zeros(3, 2, 16, 16, dtype=torch.bool)
    solid[:, 0, 4:8, 4:8] = True
    for t, w in enumerate((8, 4, 8)):
        solid[t, 1, 6:9, 2 : 2 + w] = True
    stats = silhouette_stats(solid)
    # IoU with frame 0: scene 0 is 1, 1; scene 1 is 4/8 then 1.
    assert math.isclose(stats["silhouette_iou"], (1 + 1 + 0.5 + 1) / 4, rel_tol=1e-6)
    widths = torch.tensor([8.0, 4.0, 8.0])
    cv = (widths.std(correction=0) / widths.mean()).item()
    assert math.isclose(stats["width_cv"], cv / 2, rel_tol=1e-6)  # scene 0 contributes 0
    # No object anywhere: the width measure has nothing to say.
    assert math.isnan(silhouette_stats(torch.zeros(3, 1, 8, 8, dtype=torch.bool))["width_cv"])


def test_colour_drift_known_answers() -> None:
    # Two frames, two scenes: scene 0's object keeps its colour while it moves; scene 1's turns
    # from red to half-green; the background changes in both and must not count.
    frames = torch.zeros(2, 2, 3, 8, 8)
    solid = torch.zeros(2, 2, 8, 8, dtype=torch.bool)
    solid[0, :, 2:4, 2:4] = True
    solid[1, :, 4:6, 3:7] = True
    frames[:, :, 0] = solid.float()  # red objects
    frames[1, 1, 1] = 0.5 * solid[1, 1].float()  # scene 1, frame 1: green added
    frames[1, :, 2] += 0.9 * (~solid[1]).float()  # a background change
    assert math.isclose(colour_drift(frames, solid), (0.0 + 0.5) / 2, rel_tol=1e-6)
    assert math.isnan(colour_drift(frames, torch.zeros_like(solid)))
