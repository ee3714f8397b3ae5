"""Turntable ground truth: what turning a procedural object does to its pixels."""

from __future__ import annotations

import dataclasses

import torch

from inrkit.giraffe.controllability import silhouette_stats, turntable_report
from inrkit.scenes import render_scene, sample_scene, scene_rng
from inrkit.scenes.turntable import turned, turntable

TURNS = [i / 15 for i in range(16)]  # object_rotation's 16 frames of a full turn


def test_turn_zero_is_the_scene_itself_and_a_full_turn_comes_back():
    scene = sample_scene("cars", scene_rng(1, 3))
    images, masks = turntable(scene, [0.0, 0.25, 1.0], 32)
    assert images.shape == (3, 32, 32, 3) and masks.shape == (3, 32, 32) and masks.dtype == bool
    same = render_scene(scene, 32)
    assert (images[0] == same.image).all() and (masks[0] == (same.mask > 0)).all()
    assert (masks[2] == masks[0]).mean() > 0.99  # 360 degrees later (float round-off aside)
    assert (masks[1] != masks[0]).any()
    assert turned(scene, 0.5).objects[0].azimuth == scene.objects[0].azimuth + 180.0
    assert turned(scene, 0.5).camera == scene.camera


def test_a_turning_car_changes_its_silhouette_not_its_paint():
    cars = [sample_scene("cars", scene_rng(1, i)) for i in range(4)]
    stats = turntable_report(cars, steps=8, size=16)  # the 16 frames of TURNS
    assert stats["silhouette_iou"] < 0.85 and stats["width_cv"] > 0.1, stats
    assert stats["colour_drift"] < 0.15


def test_a_turning_sphere_keeps_its_silhouette():
    clevr = sample_scene("clevr", scene_rng(0, 0))
    ball = dataclasses.replace(clevr.objects[0], kind="sphere")
    _, masks = turntable(dataclasses.replace(clevr, objects=(ball,)), TURNS, 32)
    stats = silhouette_stats(torch.from_numpy(masks[:, None]))
    assert stats["silhouette_iou"] == 1.0 and stats["width_cv"] == 0.0, stats
