"""Scene objects and the analytic solids they are built from.

An object has a pose as GIRAFFE's bounding boxes do (Sec. 3.2): a centre, a rotation about the
up axis and half-extents ("scale") of its box. A toy car is a body box, a cabin box with a dark
window band, and four wheel cylinders; Clevr objects are one sphere, cube or cylinder each.

The azimuth is in degrees, counter-clockwise about world +z, from world +x to the object's own
x axis (a car's forward direction). GIRAFFE's ``rotation_z(turns)`` maps world to box, so the
same object has GIRAFFE turns = -azimuth / 360.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from inrkit.scenes.primitives import Solid

# Blinn-Phong (specular strength, shininess, diffuse factor) per material.
MATERIALS = {
    "rubber": (0.04, 8.0, 1.0),
    "metal": (0.9, 60.0, 0.5),
    "paint": (0.35, 40.0, 1.0),
    "glass": (0.6, 80.0, 1.0),
}
WINDOW_COLOUR = (22, 27, 34)
TYRE_COLOUR = (28, 28, 28)

# The toy car in units of its half-length: (kind, centre above the ground point, half-extents).
# The cabin sits towards the back, so the bonnet shows which way the car faces.
_BODY = ("box", (0.0, 0.0, 0.375), (1.0, 0.46, 0.205))
_CABIN = ("box", (-0.15, 0.0, 0.765), (0.45, 0.38, 0.185))
_WINDOWS = ("box", (-0.15, 0.0, 0.76), (0.465, 0.392, 0.12))  # pokes out of the cabin's sides
_WHEEL_RADIUS, _WHEEL_HALF_WIDTH = 0.25, 0.09
_WHEELS = [(x, y, _WHEEL_RADIUS) for x in (0.6, -0.6) for y in (0.43, -0.43)]
CAR_HALF_EXTENTS = np.array([1.0, 0.43 + _WHEEL_HALF_WIDTH, 0.475])
"""The car's bounding box in units of its half-length; its centre is 0.475 above the ground,
inside the body, so the projected centre of a visible car always lands on the car."""
# Local z (a cylinder's axis) along the car's y axis: columns are the local axes.
_AXLE = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]])


@dataclass(frozen=True)
class SceneObject:
    """One object and its pose, in world coordinates."""

    kind: str
    """``"car"``, ``"sphere"``, ``"cube"`` or ``"cylinder"``."""
    centre: tuple[float, float, float]
    """Centre of the object's bounding box."""
    azimuth: float
    """Degrees counter-clockwise about +z from world +x to the object's x axis."""
    scale: tuple[float, float, float]
    """Half-extents of the bounding box along the object's own axes."""
    colour: tuple[int, int, int]
    """sRGB colour, 0-255 (a car's paint)."""
    material: str
    """A key of :data:`MATERIALS`."""


def rotation_z(degrees: float) -> np.ndarray:
    """Rotation (3, 3) by ``degrees`` counter-clockwise about +z."""
    a = np.radians(degrees)
    return np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])


def linear_rgb(colour: tuple[int, int, int]) -> np.ndarray:
    """sRGB 0-255 to linear reflectance in [0, 1] (gamma 2.2)."""
    return (np.asarray(colour, dtype=np.float64) / 255.0) ** 2.2


def _solid(
    kind: str,
    centre: ArrayLike,
    rotation: np.ndarray,
    size: ArrayLike,
    colour: tuple[int, int, int],
    material: str,
    object_id: int,
) -> Solid:
    specular, shininess, diffuse = MATERIALS[material]
    return Solid(
        kind,
        np.asarray(centre, dtype=np.float64),
        rotation,
        np.asarray(size, dtype=np.float64),
        linear_rgb(colour) * diffuse,
        specular,
        shininess,
        object_id,
    )


def car_solids(obj: SceneObject, object_id: int) -> list[Solid]:
    """The seven solids of a toy car (body, cabin, windows, four wheels)."""
    s = obj.scale[0]  # half-length
    rot = rotation_z(obj.azimuth)
    ground = np.asarray(obj.centre) - np.array([0.0, 0.0, CAR_HALF_EXTENTS[2] * s])

    def place(offset) -> np.ndarray:  # car frame (units of s) -> world
        return ground + rot @ (s * np.asarray(offset))

    parts = [
        (_BODY, obj.colour, obj.material),
        (_CABIN, obj.colour, obj.material),
        (_WINDOWS, WINDOW_COLOUR, "glass"),
    ]
    solids = [
        _solid(kind, place(c), rot, s * np.asarray(h), colour, material, object_id)
        for (kind, c, h), colour, material in parts
    ]
    wheel_size = s * np.array([_WHEEL_RADIUS, _WHEEL_RADIUS, _WHEEL_HALF_WIDTH])
    for offset in _WHEELS:
        solids.append(
            _solid(
                "cylinder", place(offset), rot @ _AXLE, wheel_size, TYRE_COLOUR, "rubber", object_id
            )
        )
    return solids


def object_solids(obj: SceneObject, object_id: int) -> list[Solid]:
    """The solids that make up ``obj``, tagged with its 1-based ``object_id``."""
    if obj.kind == "car":
        return car_solids(obj, object_id)
    kind = {"cube": "box", "sphere": "sphere", "cylinder": "cylinder"}[obj.kind]
    return [
        _solid(
            kind,
            obj.centre,
            rotation_z(obj.azimuth),
            obj.scale,
            obj.colour,
            obj.material,
            object_id,
        )
    ]


def footprint_radius(obj: SceneObject) -> float:
    """Radius of a circle on the ground that holds the object whatever its azimuth."""
    if obj.kind in ("sphere", "cylinder"):
        return float(obj.scale[0])
    return float(np.hypot(obj.scale[0], obj.scale[1]))
