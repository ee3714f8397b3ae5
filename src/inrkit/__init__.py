"""inrkit: implicit neural representations of images (LIIF) and scenes (GIRAFFE).

The public surface is small and listed here; everything else is reached through the
``inrkit.liif`` subpackage.
"""

from inrkit.errors import InrkitError

__version__ = "0.1.0"

__all__ = ["InrkitError", "__version__"]
