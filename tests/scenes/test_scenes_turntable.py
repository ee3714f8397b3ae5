"""Turntable ground truth: what turning a procedural object does to its silhouette."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from inrkit.giraffe.controls import silhouette_stats
from inrkit.scenes import sample_scene, scene_rng
from inrkit.scenes.render import object_mask
from inrkit.scenes.turntable import turntable_masks

TURNS = [i / 15 for i in range(16)]  # object_rotation's 16 frames of a full turn


def test_turn_zero_is_the_scene_itself_and_a_full_turn_comes_back():
    scene = sample_scene("cars", scene_rng(1, 3))
    masks = turntable_masks(scene, [0.0, 0.25, 1.0], 32)
    assert masks.shape == (3, 32, 32) and masks.dtype == bool
    assert (masks[0] == (object_mask(scene, 32) > 0)).all()
    assert (masks[2] == masks[0]).mean() > 0.99  # 360 degrees later (float round-off aside)
    assert (masks[1] != masks[0]).any()


def test_a_car_changes_its_silhouette_and_a_sphere_does_not():
    cars = [sample_scene("cars", scene_rng(1, i)) for i in range(4)]
    car = silhouette_stats(
        torch.from_numpy(np.stack([turntable_masks(s, TURNS, 16) for s in cars], 1))
    )
    assert car["silhouette_iou"] < 0.85 and car["width_cv"] > 0.1, car
    clevr = sample_scene("clevr", scene_rng(0, 0))
    ball = dataclasses.replace(clevr.objects[0], kind="sphere")
    scene = dataclasses.replace(clevr, objects=(ball,))
    sphere = silhouette_stats(torch.from_numpy(turntable_masks(scene, TURNS, 32)[:, None]))
    assert sphere["silhouette_iou"] == 1.0 and sphere["width_cv"] == 0.0, sphere
