"""Random scenes for the ``cars``, ``cars64`` and ``clevr`` presets: camera ranges, layouts,
colours, and redrawing until every object shows (the :class:`~inrkit.scenes.scene.Scene` itself
and its JSON record live in :mod:`inrkit.scenes.scene`).

The cameras use the ranges of the official GIRAFFE configs (``cars_64``: polar slider v in
[0.41667, 0.5], i.e. 0-9.6 degrees above the horizon, radius 2.732, 10 degree field of view;
``clevr2345_256``: v = 0.33333, i.e. 19.5 degrees up, radius 2.732, 49.13 degrees), both with
the azimuth slider u fixed at 0, so the camera always sits on +x and objects turn instead.
Cars stand on a ground plane 0.08 below the origin and fill most of the frame, as the CompCars
crops do (``cars64``: anywhere in GIRAFFE cars_64's box ranges, under a higher sun); Clevr
objects come in the CLEVR sizes, colours and materials (Johnson et al. 2017),
with GIRAFFE's layout: the ground at z = 0, centres within +-0.71 along x and y.

Each scene is redrawn until every object's projected centre is in view and not hidden behind
another object, so that the pixel under the centre shows the object at 64 pixels and above.
"""

from __future__ import annotations

import colorsys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from inrkit.scenes.objects import CAR_HALF_EXTENTS, SceneObject, footprint_radius
from inrkit.scenes.primitives import first_hit, plane_hit
from inrkit.scenes.scene import Scene, scene_planes, scene_solids
from inrkit.scenes.scene_camera import Camera


@dataclass(frozen=True)
class CameraRange:
    """Where a preset's camera may be, as GIRAFFE's generator config has it."""

    range_u: tuple[float, float]
    range_v: tuple[float, float]
    range_radius: tuple[float, float]
    fov: float


# The official configs' values; a test checks them against inrkit.giraffe.presets.
CARS_CAMERA = CameraRange((0.0, 0.0), (0.41667, 0.5), (2.732, 2.732), 10.0)
CLEVR_CAMERA = CameraRange((0.0, 0.0), (0.33333, 0.33333), (2.732, 2.732), 49.13)
CARS_GROUND_Z = -0.08  # puts an average car's centre at the origin the camera looks at


@dataclass(frozen=True)
class CarLayout:
    """Where a preset's toy car may stand and where its sun may be."""

    depth: tuple[float, float]
    """Range of the car's centre along world x (towards the camera, which sits on +x)."""
    side: tuple[float, float]
    """Range of the car's centre along world y (left to right in the image)."""
    sun_elevation: tuple[float, float]
    """Range of the sun's elevation in degrees."""


CARS_LAYOUT = CarLayout(depth=(-0.15, 0.15), side=(-0.05, 0.05), sun_elevation=(35.0, 65.0))
"""``cars``: near the centre, as the CompCars crops, with long evening shadows."""
CARS64_LAYOUT = CarLayout(depth=(-0.22, 0.22), side=(-0.12, 0.12), sun_elevation=(70.0, 85.0))
"""``cars64``: anywhere in GIRAFFE cars_64's box translation ranges (a test checks them), so
that the data hold every position the depth and horizontal sliders reach; the sun stands
high (70-85 degrees), so that the shadow a turning car casts falls under it, within a pixel of
its silhouette at 64 px, where GIRAFFE's object field can draw it (with ``cars``' sun, 5 of 8
held-out turntables change the ground by more than 0.02 beyond that)."""
CLEVR_GROUND_Z = 0.0
# CLEVR's colours (sRGB) and its two sizes, 0.7 and 0.35 in a +-3 world, scaled to +-0.71.
CLEVR_COLOURS = {
    "gray": (87, 87, 87),
    "red": (173, 35, 35),
    "blue": (42, 75, 215),
    "green": (29, 105, 20),
    "brown": (129, 74, 25),
    "purple": (129, 38, 192),
    "cyan": (41, 208, 208),
    "yellow": (255, 238, 51),
}
CLEVR_SIZES = (0.1665, 0.08325)
CLEVR_RANGE = 0.71
CLEVR_GAP = 0.04  # free ground between two objects' footprints
CENTRE_CHECK = 0.02  # image-plane offsets probed around each centre (> half a pixel at 64)
MAX_TRIES = 200


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """The random stream of scene ``index`` under ``seed``: independent of every other index."""
    return np.random.default_rng([seed, index])


def _camera(
    rng: np.random.Generator, cam: CameraRange
) -> tuple[Camera, tuple[float, float, float]]:
    u, v, r = (float(rng.uniform(*span)) for span in (cam.range_u, cam.range_v, cam.range_radius))
    return Camera.on_sphere(u, v, r, cam.fov), (u, v, r)


def _rgb(h: float, s: float, v: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hsv_to_rgb(h, s, v)
    return round(255 * r), round(255 * g), round(255 * b)


def _light(
    rng: np.random.Generator,
    camera: Camera,
    spread: tuple[float, float],
    elevation: tuple[float, float] = (35.0, 65.0),
) -> tuple:
    """A sun to one side of the camera and above: azimuth off the camera's by ``spread``,
    ``elevation`` degrees up."""
    cam_az = np.degrees(np.arctan2(camera.position[1], camera.position[0]))
    az = np.radians(cam_az + rng.choice([-1, 1]) * rng.uniform(*spread))
    el = np.radians(rng.uniform(*elevation))
    return (float(np.cos(el) * np.cos(az)), float(np.cos(el) * np.sin(az)), float(np.sin(el)))


def _floats(xyz: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Three NumPy numbers as plain floats (what the frozen scene records hold)."""
    x, y, z = xyz
    return float(x), float(y), float(z)


def _car_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    if rng.random() < 0.25:  # white, silver, grey, black
        return _rgb(rng.random(), rng.uniform(0.0, 0.08), rng.uniform(0.12, 0.95))
    return _rgb(rng.random(), rng.uniform(0.45, 0.95), rng.uniform(0.45, 0.95))


def sample_cars(
    rng: np.random.Generator, layout: CarLayout = CARS_LAYOUT, preset: str = "cars"
) -> Scene:
    """One toy car with a random paint, azimuth, position on the ground and size."""
    camera, sliders = _camera(rng, CARS_CAMERA)
    s = rng.uniform(0.15, 0.19)  # half-length: 63-80% of the view's width at the origin
    half = s * CAR_HALF_EXTENTS
    centre = (rng.uniform(*layout.depth), rng.uniform(*layout.side), CARS_GROUND_Z + half[2])
    car = SceneObject(
        kind="car",
        centre=_floats(centre),
        azimuth=float(rng.uniform(0.0, 360.0)),
        scale=_floats(half),
        colour=_car_colour(rng),
        material="paint",
    )
    return Scene(
        preset=preset,
        camera=camera,
        sliders=sliders,
        objects=(car,),
        light=_light(rng, camera, (20.0, 70.0), layout.sun_elevation),
        ground_z=CARS_GROUND_Z,
        ground_colour=_rgb(rng.uniform(0.05, 0.15), rng.uniform(0.0, 0.2), rng.uniform(0.45, 0.7)),
        backdrop_distance=1.2,  # a studio wall in a random pale colour
        backdrop_colour=_rgb(rng.random(), rng.uniform(0.05, 0.3), rng.uniform(0.7, 0.95)),
    )


def _clevr_objects(rng: np.random.Generator) -> list[SceneObject]:
    """2-5 CLEVR objects whose footprints keep a gap (the whole layout is redrawn if stuck)."""
    names = list(CLEVR_COLOURS)
    while True:
        objects: list[SceneObject] = []
        for _ in range(int(rng.integers(2, 6))):
            kind = str(rng.choice(["cube", "sphere", "cylinder"]))
            h = float(rng.choice(CLEVR_SIZES))
            colour = CLEVR_COLOURS[names[int(rng.integers(len(names)))]]
            material = str(rng.choice(["rubber", "metal"]))
            azimuth = float(rng.uniform(0.0, 360.0))
            for _ in range(MAX_TRIES):
                x, y = rng.uniform(-CLEVR_RANGE, CLEVR_RANGE, size=2)
                centre = (float(x), float(y), CLEVR_GROUND_Z + h)
                obj = SceneObject(kind, centre, azimuth, (h, h, h), colour, material)
                if all(_apart(obj, other) for other in objects):
                    objects.append(obj)
                    break
            else:
                break
        else:
            return objects


def _apart(a: SceneObject, b: SceneObject) -> bool:
    gap = np.hypot(a.centre[0] - b.centre[0], a.centre[1] - b.centre[1])
    return bool(gap > footprint_radius(a) + footprint_radius(b) + CLEVR_GAP)


def sample_clevr(rng: np.random.Generator) -> Scene:
    """2-5 spheres, cubes and cylinders in CLEVR colours and sizes, apart on the ground."""
    camera, sliders = _camera(rng, CLEVR_CAMERA)
    grey = rng.uniform(0.5, 0.62)
    return Scene(
        preset="clevr",
        camera=camera,
        sliders=sliders,
        objects=tuple(_clevr_objects(rng)),
        light=_light(rng, camera, (20.0, 60.0)),
        ground_z=CLEVR_GROUND_Z,
        ground_colour=_rgb(0.0, 0.0, grey),
        backdrop_distance=3.0,  # CLEVR's grey backdrop sweeps up without a visible horizon
        backdrop_colour=_rgb(0.0, 0.0, grey),
        backdrop_seamless=True,
    )


def sample_cars64(rng: np.random.Generator) -> Scene:
    """A toy car anywhere in GIRAFFE cars_64's box ranges, under a high sun
    (:data:`CARS64_LAYOUT`)."""
    return sample_cars(rng, CARS64_LAYOUT, "cars64")


SAMPLERS = {"cars": sample_cars, "cars64": sample_cars64, "clevr": sample_clevr}
SCENE_PRESETS = tuple(SAMPLERS)
"""The procedural scene kinds (``inrkit data scenes --preset``); GIRAFFE's model presets are
:data:`inrkit.giraffe.PRESETS`."""


def centres_visible(scene: Scene) -> bool:
    """Whether each object shows at and around its projected centre (in view, not hidden)."""
    solids = scene_solids(scene)
    rot, focal = scene.camera.rotation(), scene.camera.focal
    eye = np.asarray(scene.camera.position)
    offsets = CENTRE_CHECK * np.array([(a, b) for a in (-1, 0, 1) for b in (-1, 0, 1)])
    for k, obj in enumerate(scene.objects):
        cam = rot.T @ (np.asarray(obj.centre) - eye)
        plane = focal * cam[:2] / -cam[2] + offsets  # (9, 2) image-plane points near the centre
        if cam[2] >= 0 or np.abs(plane).max() > 1:
            return False
        dirs = np.concatenate([plane / focal, -np.ones((9, 1))], axis=1) @ rot.T
        dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
        origins = np.broadcast_to(eye, dirs.shape)
        t, idx = first_hit(solids, origins, dirs)
        t_planes = np.min([plane_hit(p, origins, dirs) for p in scene_planes(scene)], axis=0)
        if np.any(idx < 0) or np.any(t >= t_planes):
            return False
        if any(solids[i].object_id != k + 1 for i in idx):
            return False
    return True


def sample_scene(preset: str, rng: np.random.Generator) -> Scene:
    """A random scene of ``preset`` whose object centres are all visible."""
    for _ in range(MAX_TRIES):
        scene = SAMPLERS[preset](rng)
        if centres_visible(scene):
            return scene
    raise RuntimeError(f"no {preset} scene with visible object centres in {MAX_TRIES} draws")
