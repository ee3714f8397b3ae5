"""Layers and coordinate helpers shared by the methods."""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
    from inrkit.nn.coords import make_cell, make_coord
    from inrkit.nn.mlp import MLP

__all__ = ["MLP", "make_cell", "make_coord"]

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "make_cell": "inrkit.nn.coords",
        "make_coord": "inrkit.nn.coords",
        "MLP": "inrkit.nn.mlp",
    },
)
