"""GIRAFFE: compositional generative neural feature fields (Niemeyer and Geiger, CVPR 2021).

Public entry points:

* :func:`load` / :func:`save` — official checkpoints (and ours) by path or pretrained name.
* :func:`render` — the paper's controllable animations as frames (T x N x 3 x H x W).
* :func:`render_path` / :func:`save_path` — a keyframed path of sliders as frames (T x 3 x H x W)
  or files.
* :func:`evaluate_model` — FID, KID and SWD of a model's samples against real images (what
  ``inrkit giraffe eval`` reports).
* :func:`object_mesh` / :func:`write_mesh` — an object's surface as a mesh (PLY, OBJ, GLB).
* :data:`PRESETS` — every official config; :func:`read_config` reads official YAML files.
* :class:`Generator`, :class:`Giraffe`, :class:`GiraffeConfig` — the model itself.
"""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
    from inrkit.giraffe.checkpoint import load, save
    from inrkit.giraffe.config import GiraffeConfig
    from inrkit.giraffe.evaluate import evaluate_model
    from inrkit.giraffe.generator import Generator
    from inrkit.giraffe.mesh import object_mesh, write_mesh
    from inrkit.giraffe.model import Giraffe, GiraffeModel
    from inrkit.giraffe.official_config import read_config
    from inrkit.giraffe.path import render_path, save_path
    from inrkit.giraffe.presets import PRESETS, PRETRAINED
    from inrkit.giraffe.programs import PROGRAMS, render

__all__ = [
    "PRESETS",
    "PRETRAINED",
    "PROGRAMS",
    "Generator",
    "Giraffe",
    "GiraffeConfig",
    "GiraffeModel",
    "evaluate_model",
    "load",
    "read_config",
    "object_mesh",
    "render",
    "render_path",
    "save",
    "save_path",
    "write_mesh",
]

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "load": "inrkit.giraffe.checkpoint",
        "save": "inrkit.giraffe.checkpoint",
        "GiraffeConfig": "inrkit.giraffe.config",
        "evaluate_model": "inrkit.giraffe.evaluate",
        "Generator": "inrkit.giraffe.generator",
        "object_mesh": "inrkit.giraffe.mesh",
        "write_mesh": "inrkit.giraffe.mesh",
        "Giraffe": "inrkit.giraffe.model",
        "GiraffeModel": "inrkit.giraffe.model",
        "read_config": "inrkit.giraffe.official_config",
        "render_path": "inrkit.giraffe.path",
        "save_path": "inrkit.giraffe.path",
        "PRESETS": "inrkit.giraffe.presets",
        "PRETRAINED": "inrkit.giraffe.presets",
        "PROGRAMS": "inrkit.giraffe.programs",
        "render": "inrkit.giraffe.programs",
    },
)
