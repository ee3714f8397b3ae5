"""The procedural 3D scene generator: toy cars and Clevr-like scenes, ray cast in NumPy.

Made for GIRAFFE (Niemeyer & Geiger, CVPR 2021) when no image set is at hand: scenes with known
3D object poses, seen from the camera ranges of the official configs. Pure math, no file I/O:
:func:`sample_scene` draws a scene, :func:`render_scene` turns it into pixels and an object mask,
:func:`scene_record` describes it as JSON-ready ground truth. Files are written by
:mod:`inrkit.data.scenes`.
"""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
    from inrkit.scenes.render import Rendering, render_scene
    from inrkit.scenes.sampling import SCENE_PRESETS, sample_scene, scene_rng
    from inrkit.scenes.scene import Scene, scene_record
    from inrkit.scenes.scene_camera import Camera

__all__ = [
    "SCENE_PRESETS",
    "Camera",
    "Rendering",
    "Scene",
    "render_scene",
    "sample_scene",
    "scene_record",
    "scene_rng",
]

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Camera": "inrkit.scenes.scene_camera",
        "Rendering": "inrkit.scenes.render",
        "render_scene": "inrkit.scenes.render",
        "SCENE_PRESETS": "inrkit.scenes.sampling",
        "Scene": "inrkit.scenes.scene",
        "sample_scene": "inrkit.scenes.sampling",
        "scene_record": "inrkit.scenes.scene",
        "scene_rng": "inrkit.scenes.sampling",
    },
)
