"""The local web app of ``inrkit serve``: a REST API over LIIF and GIRAFFE (FastAPI).

Needs the ``serve`` extra (``pip install 'inrkit[serve]'``). :func:`create_app` builds the app
around loaded models; ``inrkit serve`` runs it with uvicorn.
"""

from inrkit.server.app import create_app

__all__ = ["create_app"]
