"""The scene generator's math: camera conventions, ray-solid intersections, sampling, rendering."""

from __future__ import annotations

import numpy as np
import pytest

from inrkit.giraffe import camera as giraffe_camera
from inrkit.giraffe.presets import CARS_64, CLEVR2345_256
from inrkit.scenes import Camera, render_scene, sample_scene, scene_record, scene_rng
from inrkit.scenes.objects import footprint_radius, rotation_z
from inrkit.scenes.primitives import Solid, blocked, first_hit, interval, normal_at
from inrkit.scenes.sampling import CARS64_LAYOUT, CARS_CAMERA, CARS_LAYOUT, CLEVR_CAMERA


def test_camera_ranges_are_giraffes():
    for ours, cfg in ((CARS_CAMERA, CARS_64), (CLEVR_CAMERA, CLEVR2345_256)):
        g = cfg.generator
        assert (ours.range_u, ours.range_v, ours.range_radius, ours.fov) == (
            g.range_u,
            g.range_v,
            g.range_radius,
            g.fov,
        )


@pytest.mark.parametrize("u, v, fov", [(0.0, 0.45, 10.0), (0.3, 0.33333, 49.13)])
def test_camera_matches_giraffe_pose_and_rays(u, v, fov):
    cam = Camera.on_sphere(u, v, 2.732, fov)
    pose = giraffe_camera.camera_pose((u, u), (v, v), (2.732, 2.732), batch_size=1)[0]
    np.testing.assert_allclose(cam.world_matrix(), pose.double().numpy(), atol=1e-6)

    size = 8
    origin, target = giraffe_camera.pixel_rays(size, giraffe_camera.camera_matrix(fov), pose[None])
    theirs = (target - origin)[0].double().numpy()
    theirs /= np.linalg.norm(theirs, axis=-1, keepdims=True)
    np.testing.assert_allclose(cam.ray_directions(size).reshape(-1, 3), theirs, atol=1e-6)


def test_projection_inverts_the_pixel_rays():
    cam = Camera.on_sphere(0.1, 0.4, 2.732, 30.0)
    size = 16
    dirs = cam.ray_directions(size)
    points = np.asarray(cam.position) + 2.5 * dirs  # a point on each pixel's ray
    pix = cam.project(points, size)
    rows, cols = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    np.testing.assert_allclose(pix[..., 0], cols, atol=1e-9)  # x is the column
    np.testing.assert_allclose(pix[..., 1], rows, atol=1e-9)  # y is the row, down


def _solid(kind, size, centre=(0.0, 0.0, 0.0), azimuth=0.0):
    return Solid(kind, np.array(centre), rotation_z(azimuth), np.array(size, float), np.ones(3))


@pytest.mark.parametrize(
    "solid, origin, direction, t_in, t_out, normal",
    [
        (_solid("box", (1, 2, 3)), (5, 0, 0), (-1, 0, 0), 4, 6, (1, 0, 0)),
        (_solid("box", (1, 2, 3)), (0, 0, -9), (0, 0, 1), 6, 12, (0, 0, -1)),
        (_solid("box", (1, 2, 3), azimuth=90), (5, 0, 0), (-1, 0, 0), 3, 7, (1, 0, 0)),
        (_solid("sphere", (2, 2, 2), centre=(0, 1, 0)), (0, 1, 5), (0, 0, -1), 3, 7, (0, 0, 1)),
        (_solid("cylinder", (1, 1, 2)), (0, -4, 0.5), (0, 1, 0), 3, 5, (0, -1, 0)),
        (_solid("cylinder", (1, 1, 2)), (0.5, 0, 6), (0, 0, -1), 4, 8, (0, 0, 1)),
    ],
)
def test_intersections_known_answers(solid, origin, direction, t_in, t_out, normal):
    o, d = np.array([origin], float), np.array([direction], float)
    got_in, got_out = interval(solid, o, d)
    assert got_in[0] == pytest.approx(t_in) and got_out[0] == pytest.approx(t_out)
    np.testing.assert_allclose(normal_at(solid, o + got_in[:, None] * d)[0], normal, atol=1e-9)


def test_misses_and_shadow_rays():
    box = _solid("box", (1, 1, 1))
    sphere = _solid("sphere", (1, 1, 1), centre=(0, 0, 5))
    o = np.array([[5.0, 3.0, 0.0], [0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 0.0, -3.0]])
    d = np.array([[-1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    t, idx = first_hit([box, sphere], o, d)
    assert np.isinf(t[0]) and idx[0] == -1  # passes beside the box
    assert np.isinf(t[2]) and idx[2] == -1  # the box is behind the ray
    assert t[3] == pytest.approx(2.0) and idx[3] == 0  # box before sphere
    # A ray that starts inside a solid is blocked; one pointing away from everything is not.
    assert blocked([box, sphere], o, d).tolist() == [False, True, False, True]


@pytest.mark.parametrize("preset", ["cars", "cars64", "clevr"])
def test_projected_centres_land_on_their_objects(preset):
    for index in range(12):
        scene = sample_scene(preset, scene_rng(3, index))
        rendering = render_scene(scene, 64)
        assert rendering.image.shape == (64, 64, 3) and rendering.image.dtype == np.uint8
        record = scene_record(scene, 64)
        for k, obj in enumerate(record["objects"]):
            x, y = obj["pixel_centre"]
            assert rendering.mask[round(y), round(x)] == k + 1, (index, k)
        assert set(np.unique(rendering.mask)) == set(range(len(scene.objects) + 1))


def test_clevr_layout():
    counts = set()
    for index in range(40):
        scene = sample_scene("clevr", scene_rng(0, index))
        counts.add(len(scene.objects))
        assert 2 <= len(scene.objects) <= 5
        for i, a in enumerate(scene.objects):
            assert a.kind in ("sphere", "cube", "cylinder")
            assert a.centre[2] == pytest.approx(scene.ground_z + a.scale[2])  # on the ground
            for b in scene.objects[i + 1 :]:
                gap = np.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1])
                assert gap > footprint_radius(a) + footprint_radius(b)
    assert counts == {2, 3, 4, 5}


def test_cars_sit_on_the_ground_in_giraffes_camera_range():
    for index in range(20):
        scene = sample_scene("cars", scene_rng(0, index))
        (car,) = scene.objects
        assert car.kind == "car"
        assert car.centre[2] - car.scale[2] == pytest.approx(scene.ground_z)
        u, v, radius = scene.sliders
        assert u == 0.0 and 0.41667 <= v <= 0.5 and radius == 2.732
        assert scene.camera.fov == 10.0


def test_cars64_cover_giraffes_box_translations_under_a_high_sun():
    # The depth (x) and horizontal (y) sliders of cars_64 sweep these ranges: the data hold them.
    boxes = CARS_64.boxes
    assert CARS64_LAYOUT.depth == (boxes.translation_range_min[0], boxes.translation_range_max[0])
    assert CARS64_LAYOUT.side == (boxes.translation_range_min[1], boxes.translation_range_max[1])
    xs, ys = [], []
    for index in range(60):
        scene = sample_scene("cars64", scene_rng(0, index))
        (car,) = scene.objects
        xs.append(car.centre[0])
        ys.append(car.centre[1])
        assert car.centre[2] - car.scale[2] == pytest.approx(scene.ground_z)
        assert np.degrees(np.arcsin(scene.light[2])) >= CARS64_LAYOUT.sun_elevation[0] - 1e-9
        assert scene.preset == "cars64"
    # Beyond the 32 px data's ranges on both sides, in both directions.
    assert min(xs) < CARS_LAYOUT.depth[0] and max(xs) > CARS_LAYOUT.depth[1]
    assert min(ys) < CARS_LAYOUT.side[0] and max(ys) > CARS_LAYOUT.side[1]


def test_cars_scenes_are_unchanged():
    # The bundled 32 px default was trained on these: the same seed must give the same scene.
    scene = sample_scene("cars", scene_rng(0, 0))
    (car,) = scene.objects
    # (values recorded before the cars64 preset was added)
    assert scene.sliders == pytest.approx((0.0, 0.4391513268579433, 2.732), abs=1e-12)
    assert car.centre == pytest.approx(
        (0.0939810717600817, 0.0412755577277722, -0.0084359749), abs=1e-9
    )
    assert car.azimuth == pytest.approx(218.38887927618475, abs=1e-9)


def test_rendering_is_deterministic_and_size_free():
    a = render_scene(sample_scene("cars", scene_rng(5, 7)), 32)
    b = render_scene(sample_scene("cars", scene_rng(5, 7)), 32)
    c = render_scene(sample_scene("cars", scene_rng(5, 8)), 32)
    assert np.array_equal(a.image, b.image) and not np.array_equal(a.image, c.image)
    # The scene does not depend on the image size; its pixel centres scale with it.
    small = scene_record(sample_scene("clevr", scene_rng(1, 2)), 33)
    big = scene_record(sample_scene("clevr", scene_rng(1, 2)), 65)
    for s, b in zip(small["objects"], big["objects"], strict=True):
        assert s["centre"] == b["centre"]
        np.testing.assert_allclose(np.array(b["pixel_centre"]), 2 * np.array(s["pixel_centre"]))


def test_supersampling_smooths_edges_only():
    scene = sample_scene("clevr", scene_rng(0, 0))
    sharp = render_scene(scene, 64, supersample=1).image.astype(float)
    smooth = render_scene(scene, 64, supersample=2).image.astype(float)
    assert abs(sharp.mean() - smooth.mean()) < 2.0
    assert np.median(np.abs(sharp - smooth)) < 2.0
