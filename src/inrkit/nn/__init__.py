"""Layers and coordinate helpers shared by the methods."""

from inrkit.nn.coords import make_cell, make_coord
from inrkit.nn.mlp import MLP

__all__ = ["MLP", "make_cell", "make_coord"]
