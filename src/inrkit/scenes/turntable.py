"""Ground truth for GIRAFFE's ``object_rotation``: a scene's objects turned about the up axis.

The procedural scenes know their 3D shape, so they can show what a turning object *should* do
to its silhouette: a toy car seen from the side is long and seen from the front is short, while a
sphere's silhouette never changes. :func:`turntable_masks` renders those silhouettes over a full
turn, in the same steps as the ``object_rotation`` program, so that a trained generator's
silhouettes can be compared with a real object's (see :mod:`inrkit.giraffe.controls`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np

from inrkit.scenes.render import object_mask
from inrkit.scenes.sampling import Scene


def turntable_masks(scene: Scene, turns: Sequence[float], size: int) -> np.ndarray:
    """Object silhouettes with every object turned about its own centre.

    Args:
        scene: The scene; its camera, ground and backdrop stay put.
        turns: One frame per value: the turn added to each object's azimuth, in full turns
            (``object_rotation`` over a full range uses ``i / (T - 1)`` for frame ``i``).
        size: Mask resolution (pixels a side).

    Returns:
        (T, size, size) bool: where a ray through the pixel centre hits an object first.
    """
    masks = []
    for turn in turns:
        objects = tuple(
            dataclasses.replace(o, azimuth=o.azimuth + 360.0 * turn) for o in scene.objects
        )
        masks.append(object_mask(dataclasses.replace(scene, objects=objects), size) > 0)
    return np.stack(masks)
