"""The controllability measurements, on synthetic alpha maps and a tiny model."""

from __future__ import annotations

import math

import torch
from testlib.giraffe import TINY, tiny_network

from inrkit.giraffe.controllability import (
    STILL,
    alpha_centroid_x,
    colour_drift,
    monotonic_share,
    object_region,
    off_object_change,
    rotation_report,
    silhouette_stats,
    slider_report,
    translation_report,
    truth_turntables,
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


def test_object_region_grows_and_off_object_change_known_answers() -> None:
    # One object whose alpha is one feature pixel (4 x 4 image pixels at 64 px) in frame 0 and
    # the pixel to its right in frame 1: the region is their union, grown by ``dilate`` pixels.
    alpha = torch.zeros(2, 1, 16, 16)
    alpha[0, 0, 8, 8] = 1.0
    alpha[1, 0, 8, 9] = 1.0
    tight = object_region(alpha, 64, dilate=0)
    grown = object_region(alpha, 64, dilate=4)
    assert tight[34, 34] and tight[34, 38] and not tight[34, 50] and not tight[10, 10]
    assert grown.sum() > tight.sum() and (grown | tight).equal(grown)
    # A change at a pixel far off the object counts; one inside the region does not.
    frames = torch.zeros(2, 3, 64, 64)
    frames[1, :, 34, 36] = 0.9  # on the object
    assert off_object_change(frames, tight) == (0.0, 0.0)
    frames[1, 0, 5, 5] = 0.3  # off it: mean over channels 0.1
    mean, worst = off_object_change(frames, tight)
    assert math.isclose(worst, 0.1, rel_tol=1e-6)
    assert math.isclose(mean, 0.1 / int((~tight).sum()), rel_tol=1e-5)


def test_slider_report_runs_on_a_model_and_counts_its_aims() -> None:
    model = GiraffeModel(network=tiny_network(), config=TINY)
    truth = {"width_cv": [0.2, 0.2], "off_mean": [0.0, 0.0], "off_worst": [0.0, 0.0]}
    r = slider_report(model, seeds=(5, 6), steps=3, truth=truth)
    for key in ("horizontal", "depth", "depth_area", "off_mean", "off_worst", "off_worst_tight"):
        assert len(r[key]) == 2, key
    assert all(len(a) == 3 for a in r["depth_area"])
    assert r["horizontal_ok"] == sum(h != 0 for h in r["horizontal"])
    assert r["depth_ok"] == sum(d == 1 for d in r["depth"]) <= r["depth_one_way"] <= 2
    assert r["still_ok"] == sum(w < STILL for w in r["off_worst"])
    assert all(t >= w for t, w in zip(r["off_worst_tight"], r["off_worst"], strict=True))
    assert len(r["width_cv"]) == 2
    assert r["n_scenes"] == 2 and r["truth"] is truth
    # The same seeds give the same numbers (the page's codes are drawn per seed).
    again = slider_report(model, seeds=(5, 6), steps=3, truth=truth)
    assert again["off_worst"] == r["off_worst"] and again["depth_area"] == r["depth_area"]


def test_truth_turntables_of_held_out_cars() -> None:
    truth = truth_turntables(2, size=16, steps=2, preset="cars64")
    assert set(truth) == {"width_cv", "off_mean", "off_worst"}
    assert all(len(v) == 2 for v in truth.values())
    assert all(c > 0 for c in truth["width_cv"])  # a car turning is long, then short
