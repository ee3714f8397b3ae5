"""The procedural 3D scene generator: toy cars and Clevr-like scenes, ray cast in NumPy.

Made for GIRAFFE (Niemeyer & Geiger, CVPR 2021) when no image set is at hand: scenes with known
3D object poses, seen from the camera ranges of the official configs. Pure math, no file I/O:
:func:`sample_scene` draws a scene, :func:`render_scene` turns it into pixels and an object mask,
:func:`scene_record` describes it as JSON-ready ground truth. Files are written by
:mod:`inrkit.data.scenes`.
"""

from inrkit.scenes.camera import Camera
from inrkit.scenes.render import Rendering, render_scene
from inrkit.scenes.sampling import PRESETS, Scene, sample_scene, scene_record, scene_rng

__all__ = [
    "PRESETS",
    "Camera",
    "Rendering",
    "Scene",
    "render_scene",
    "sample_scene",
    "scene_record",
    "scene_rng",
]
