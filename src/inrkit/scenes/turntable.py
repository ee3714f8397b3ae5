"""Ground truth for GIRAFFE's ``object_rotation``: a scene's objects turned about the up axis.

The procedural scenes know their 3D shape, so they can show what a turning object *should* do:
a toy car seen from the side is long and seen from the front is short, its paint keeps its
colour (only the shading moves), and a sphere's silhouette never changes. :func:`turntable`
renders a scene over the turns of the ``object_rotation`` program, so that a trained
generator's frames can be compared with a real object's (see :mod:`inrkit.giraffe.controllability`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from inrkit.scenes.render import render_scene
from inrkit.scenes.scene import Scene


def turned(scene: Scene, turn: float) -> Scene:
    """``scene`` with every object turned by ``turn`` full turns about its own centre; the
    camera, light, ground and backdrop stay put."""
    objects = tuple(dataclasses.replace(o, azimuth=o.azimuth + 360.0 * turn) for o in scene.objects)
    return dataclasses.replace(scene, objects=objects)


def turntable(scene: Scene, turns: Sequence[float], size: int) -> tuple[np.ndarray, np.ndarray]:
    """Renderings of ``scene`` with its objects turned, one frame per turn.

    Args:
        scene: The scene.
        turns: One frame per value, in full turns (``object_rotation`` over a full range uses
            ``i / (T - 1)`` for frame ``i``).
        size: Resolution (pixels a side).

    Returns:
        Images (T, size, size, 3) uint8 sRGB and object masks (T, size, size) bool (where the
        ray through the pixel centre hits an object first).
    """
    frames = [render_scene(turned(scene, t), size) for t in turns]
    return np.stack([f.image for f in frames]), np.stack([f.mask > 0 for f in frames])
