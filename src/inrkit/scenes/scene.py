"""A scene as data: what one image holds (camera, objects, sun, ground, backdrop), the
surfaces a ray can meet in it, and its ground-truth record as plain JSON types.

:mod:`inrkit.scenes.sampling` draws random scenes of each preset; :mod:`inrkit.scenes.render`
turns one into pixels. Both read a scene's surfaces from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from inrkit.scenes.objects import SceneObject, linear_rgb, object_solids
from inrkit.scenes.primitives import Plane, Solid
from inrkit.scenes.scene_camera import Camera


@dataclass(frozen=True)
class Scene:
    """Everything needed to render one image and to describe it."""

    preset: str
    camera: Camera
    sliders: tuple[float, float, float]
    """GIRAFFE's camera slider values (u, v, radius) that give ``camera``."""
    objects: tuple[SceneObject, ...]
    light: tuple[float, float, float]
    """Unit vector towards the sun."""
    ground_z: float
    ground_colour: tuple[int, int, int]
    backdrop_distance: float
    """How far behind the origin the backdrop wall stands, seen from the camera."""
    backdrop_colour: tuple[int, int, int]
    backdrop_seamless: bool = False
    """Light the backdrop like the ground, so that the horizon shows no seam (Clevr)."""


def scene_solids(scene: Scene) -> list[Solid]:
    """All objects' solids, tagged with 1-based object ids."""
    return [s for k, obj in enumerate(scene.objects) for s in object_solids(obj, k + 1)]


def scene_planes(scene: Scene) -> list[Plane]:
    """The ground, then the backdrop wall facing the camera across the origin."""
    ground = Plane(np.array([0.0, 0.0, 1.0]), scene.ground_z, linear_rgb(scene.ground_colour))
    towards_camera = np.array([scene.camera.position[0], scene.camera.position[1], 0.0])
    towards_camera /= np.linalg.norm(towards_camera)
    wall = Plane(
        towards_camera,
        -scene.backdrop_distance,
        linear_rgb(scene.backdrop_colour),
        ground.normal if scene.backdrop_seamless else None,
    )
    return [ground, wall]


def scene_record(scene: Scene, size: int) -> dict:
    """The ground truth of a rendered scene as plain JSON types: camera, light, object poses.

    Each object's ``pixel_centre`` is its bounding-box centre projected into the size x size
    image, as (x, y) pixel coordinates with integers at pixel centres.
    """
    cam = scene.camera
    u, v, radius = scene.sliders

    def r(x) -> list:
        return np.round(np.asarray(x, dtype=np.float64), 6).tolist()

    return {
        "preset": scene.preset,
        "image_size": [size, size],
        "camera": {
            "position": r(cam.position),
            "look_at": [0.0, 0.0, 0.0],
            "up": [0.0, 0.0, 1.0],
            "fov": cam.fov,
            "u": round(u, 6),
            "v": round(v, 6),
            "radius": round(radius, 6),
            "world_mat": r(cam.world_matrix()),
        },
        "light_direction": r(scene.light),
        "ground_z": scene.ground_z,
        "objects": [
            {
                "type": obj.kind,
                "centre": r(obj.centre),
                "azimuth": round(obj.azimuth, 6),
                "scale": r(obj.scale),
                "colour": list(obj.colour),
                "material": obj.material,
                "pixel_centre": r(cam.project(np.asarray(obj.centre), size)),
            }
            for obj in scene.objects
        ],
    }
