"""The bundled default GIRAFFE (64x64 toy cars): it loads by name and is small, the training
preset builds it (rendering with more ray samples than it was trained with), its samples beat
the trivial baselines on held-out scenes, and the page's sliders do what they say: horizontal
and depth move the car, turning it leaves the rest of the image alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from testlib.giraffe import held_out_swd

import inrkit.giraffe as giraffe
from inrkit.giraffe.checkpoint import DEFAULT_MODEL_PATH
from inrkit.giraffe.controllability import rotation_report, slider_report
from inrkit.giraffe.train_config import load_train_config

PRESET = Path(__file__).parents[2] / "configs" / "giraffe" / "train_cars64_cpu.yaml"
RENDER_RAY_SAMPLES = 64  # trained with 32 (jittered); 32 fixed planes alias the depth slider


def test_default_is_bundled_small_and_loads() -> None:
    assert DEFAULT_MODEL_PATH.is_file() and DEFAULT_MODEL_PATH.stat().st_size <= 25 * 2**20
    model = giraffe.load("default")
    assert model.generator(2, mode="val").shape == (2, 3, 64, 64)


def test_the_preset_config_builds_the_default_with_more_ray_samples() -> None:
    # Training on from the bundled weights with the shipped preset fits them exactly; only the
    # number of ray samples differs, and only when rendering.
    trained = load_train_config(PRESET, []).model
    shipped = giraffe.load("default").config
    assert shipped.generator.n_ray_samples == RENDER_RAY_SAMPLES
    assert trained.generator.n_ray_samples < RENDER_RAY_SAMPLES
    same = dataclasses.replace(shipped.generator, n_ray_samples=trained.generator.n_ray_samples)
    assert dataclasses.replace(shipped, generator=same) == trained


def test_default_samples_beat_untrained_and_mean_image(run_inrkit, tmp_path: Path) -> None:
    swd = held_out_swd(run_inrkit, "default", "cars64", tmp_path / "real")
    assert swd["trained"] < 0.5 * swd["mean image"], swd
    assert swd["trained"] < 0.3 * swd["untrained"], swd


def test_default_sliders_move_the_car_in_depth_and_sideways_and_turn_it_in_place() -> None:
    # Issue 13's aims, on the page's 8 held-out seeds: depth monotonic in >= 7 of 8, turning
    # changes no pixel off the car by 0.02 or more in >= 6 of 8. (The silhouette width aim,
    # >= 80% of the rendered cars' variation, is not reached yet: see the README.)
    truth = {"width_cv": [1.0]}  # width is not asserted here; skip rendering the truth
    r = slider_report(giraffe.load("default"), preset="cars64", truth=truth)
    assert r["horizontal_ok"] == 8, r["horizontal"]
    assert r["depth_ok"] >= 7, r["depth_area"]
    assert r["still_ok"] >= 6, r["off_worst"]


def test_default_turns_the_car_without_repainting_it() -> None:
    # Ground truth (benchmarks/giraffe_quality.py, held-out cars64 scenes turned by the scene
    # renderer): silhouette IoU with frame 0 0.768, colour drift 0.029.
    r = rotation_report(giraffe.load("default"), n_samples=8, steps=8)
    assert r["colour_drift"] < 0.08, r
    assert r["silhouette_iou"] < 0.9, r
    assert r["background_change"] < 0.2 * r["object_change"], r
