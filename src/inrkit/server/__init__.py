"""The local web app of ``inrkit serve``: a REST API over LIIF and GIRAFFE (FastAPI).

Needs the ``serve`` extra (``pip install 'inrkit[serve]'``). :func:`create_app` builds the app
around loaded models; ``inrkit serve`` runs it with uvicorn.
"""

from typing import TYPE_CHECKING

from inrkit.lazy import lazy_exports

if TYPE_CHECKING:
    from inrkit.server.app import create_app

__all__ = ["create_app"]

# Imported on first use, so that a torch-free submodule can be imported on its own.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "create_app": "inrkit.server.app",
    },
)
