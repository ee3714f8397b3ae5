"""The server's default request limits, apart from the app so that ``inrkit serve --help``
reads them without importing FastAPI or torch."""

DEFAULT_MAX_BYTES = 32 * 1024 * 1024
"""Largest upload in bytes."""
DEFAULT_MAX_PIXELS = 4096 * 4096
"""Largest input image and upscale output, in pixels."""
