"""GIRAFFE: compositional generative neural feature fields (Niemeyer and Geiger, CVPR 2021).

Public entry points:

* :func:`load` / :func:`save` — official checkpoints (and ours) by path or pretrained name.
* :func:`render` — the paper's controllable animations as frames (T x N x 3 x H x W).
* :data:`PRESETS` — every official config; :func:`read_config` reads official YAML files.
* :class:`Generator`, :class:`Giraffe`, :class:`GiraffeConfig` — the model itself.
"""

from inrkit.giraffe.checkpoint import load, save
from inrkit.giraffe.config import GiraffeConfig
from inrkit.giraffe.generator import Generator
from inrkit.giraffe.model import Giraffe, GiraffeModel
from inrkit.giraffe.official_config import read_config
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
    "load",
    "read_config",
    "render",
    "save",
]
