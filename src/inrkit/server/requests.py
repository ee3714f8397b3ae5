"""What the API accepts: the JSON bodies' schemas, form fields parsed into numbers, errors as
one line, and the request-size limit applied before a body is read.

Kept apart from :mod:`inrkit.server.app` (the routes) so that the app reads as the list of
endpoints; nothing here knows a model.
"""

from __future__ import annotations

import json
import math
from typing import Literal

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from starlette.types import ASGIApp, Receive, Scope, Send

from inrkit.errors import InrkitError

MAX_FRAMES = 96  # an animation's frames: 4 s at 24 fps; more is a job too long to queue


class ApiError(Exception):
    """An error answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class RenderRequest(BaseModel):
    """One GIRAFFE frame: seeds and sliders, each slider a fraction of the model's range."""

    model_config = ConfigDict(extra="forbid")

    appearance_seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of the appearance codes")
    shape_seed: int = Field(0, ge=0, le=2**63 - 1, description="Seed of the shape codes")
    rotation: float = Field(0.5, ge=0, le=1, description="Object rotation about the up axis")
    translation_x: float = Field(0.5, ge=0, le=1, description="Object position, left to right")
    translation_depth: float = Field(0.5, ge=0, le=1, description="Object position in depth")
    scale: float = Field(0.5, ge=0, le=1, description="Object size")
    elevation: float = Field(0.5, ge=0, le=1, description="Camera elevation")
    size: int | None = Field(None, ge=1, description="Output side in pixels (default: model's)")


class AnimationRequest(RenderRequest):
    """A looping GIF: one slider swept over its whole range, starting from its value here."""

    slider: Literal["rotation", "translation_x", "translation_depth", "scale", "elevation"] = Field(
        "rotation", description="The slider that moves"
    )
    frames: int = Field(24, ge=2, le=MAX_FRAMES, description="Frames in the loop")
    fps: int = Field(12, ge=1, le=50, description="Frames per second")


def validation_message(exc: RequestValidationError) -> str:
    """The first schema problem as one line: ``body.rotation: Input should be ...``."""
    errors = exc.errors()
    if not errors:
        return "invalid request"
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{where}: {first.get('msg', 'invalid')}{more}"


class BodyLimit:
    """Answer 413 from the Content-Length header, before an oversized body is read.

    A pure ASGI middleware (not ``@app.middleware``) so that the endpoint still sees the
    client's disconnect message.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                body = json.dumps(
                    {"error": f"request is {int(length)} bytes, more than {self.max_bytes}"}
                )
                await send(
                    {
                        "type": "http.response.start",
                        "status": 413,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"connection", b"close"),
                        ],
                    }
                )
                await send({"type": "http.response.body", "body": body.encode()})
                return
        await self.app(scope, receive, send)


def parse_scale(text: str | None) -> float | None:
    """A form ``scale`` as a finite positive float (400 otherwise, not FastAPI's 422)."""
    if text is None or text.strip() == "":
        return None
    try:
        value = float(text)
    except ValueError:
        raise InrkitError(f"scale must be a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise InrkitError(f"scale must be a finite number > 0, got {text!r}")
    return value


def parse_side(name: str, text: str | None) -> int | None:
    """A form ``width`` or ``height`` as a whole number >= 1 (400 otherwise)."""
    if text is None or text.strip() == "":
        return None
    try:
        value = int(text)
    except ValueError:
        raise InrkitError(f"{name} must be a whole number, got {text!r}") from None
    if value < 1:
        raise InrkitError(f"{name} must be at least 1, got {text!r}")
    return value
