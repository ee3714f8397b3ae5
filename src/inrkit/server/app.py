"""The app of ``inrkit serve``: its web page, and LIIF upscales and GIRAFFE frames (FastAPI).

Endpoints: ``GET /`` the page (``static/``, served by the package: no CDN, works offline),
``POST /api/upscale`` (multipart ``image`` + ``scale``, or ``width`` and ``height``; an optional
``progress_id`` to follow at ``GET /api/upscale/progress/{id}``), ``POST /api/giraffe/render``
(JSON sliders, PNG out), ``POST /api/giraffe/animation`` (one slider swept, GIF out),
``POST /api/giraffe/path`` (multipart ``path``: a keyframed path file, GIF out),
``GET /api/models``, ``GET /health``; OpenAPI docs at ``/docs``. Every error is JSON
``{"error": "..."}``: 400 bad parameters or not an image, 404 unknown path, 413 too large
(bytes, checked from Content-Length before the body is read; pixels, checked from the image
header before decoding), 422 schema errors, 503 busy or no model loaded.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import FastAPI, File, Form, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from inrkit.errors import InrkitError
from inrkit.giraffe import GiraffeModel
from inrkit.giraffe.sliders import object_count
from inrkit.io import ImageTooLarge, read_image_bytes
from inrkit.liif.inference import DEFAULT_TILE
from inrkit.nn.precision import check_precision
from inrkit.server.jobs import (
    Progress,
    Sliders,
    Stats,
    animation_gif,
    path_gif,
    render_png,
    upscale_png,
    upscale_size,
)
from inrkit.server.limits import DEFAULT_MAX_BYTES, DEFAULT_MAX_PIXELS
from inrkit.server.requests import (
    MAX_FRAMES,
    AnimationRequest,
    ApiError,
    BodyLimit,
    RenderRequest,
    parse_scale,
    parse_side,
    validation_message,
)
from inrkit.server.work import Busy, ClientGone, WorkPool

FORM_SLACK = 64 * 1024  # multipart boundaries and the other fields, on top of the image bytes
CLIENT_CLOSED = 499  # nginx's code for "client closed request"; nobody reads it
PNG = "image/png"
GIF = "image/gif"
STATIC = Path(__file__).resolve().parent / "static"
PROGRESS_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
Model = TypeVar("Model")


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _loaded(model: Model | None, method: str, flag: str) -> Model:
    """The model, or a 503 saying the server started without one."""
    if model is None:
        raise ApiError(503, f"no {method} model is loaded (start with {flag})")
    return model


def _liif_info(model: Any, name: str | None) -> dict[str, Any] | None:
    if model is None:
        return None
    spec = getattr(model, "spec", None)
    return {
        "name": name,
        "kind": type(model).__name__,
        "spec": spec,
        "parameters": sum(p.numel() for p in model.parameters()),
    }


def _giraffe_info(model: GiraffeModel | None, name: str | None) -> dict[str, Any] | None:
    if model is None:
        return None
    cfg = model.config
    return {
        "name": name,
        "img_size": cfg.img_size,
        "objects": object_count(model),
        "z_dim": cfg.z_dim,
        "z_dim_bg": cfg.z_dim_bg,
        "parameters": sum(p.numel() for p in model.render_generator.parameters()),
    }


def create_app(
    liif_model: Any | None,
    giraffe_model: GiraffeModel | None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
    workers: int | None = None,
    queue_size: int = 8,
    tile: int = DEFAULT_TILE,
    liif_name: str | None = None,
    giraffe_name: str | None = None,
    precision: str = "fp32",
) -> FastAPI:
    """Build the app around loaded models (either may be None: its endpoint answers 503).

    Args:
        liif_model: A LIIF (or MetaSR) model from :func:`inrkit.liif.load`.
        giraffe_model: A model from :func:`inrkit.giraffe.load`.
        max_bytes: Largest upload (413 beyond).
        max_pixels: Largest input image and largest upscale output, in pixels (413 beyond).
        workers: Jobs in progress at once (default: the number of cores); they take turns
            on the cores (see :mod:`inrkit.server.work`).
        queue_size: Jobs waiting or running at once; more get 503 at once.
        tile: Input pixels per LIIF tile side (memory; cancellation and turns happen between
            the decoder's chunks, whatever the tile).
        liif_name, giraffe_name: What ``/api/models`` calls the models.
        precision: "fp32" or "bf16" for every model run (see :func:`inrkit.liif.upscale`).
    """
    check_precision(precision)
    pool = WorkPool(workers or os.cpu_count() or 1, queue_size)
    offer = pool.turns.offer
    stats = Stats()
    # Upscales that a client follows by id; an entry lives while its request does.
    progress: dict[str, Progress] = {}

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown()

    app = FastAPI(
        title="inrkit",
        summary="LIIF upscaling at any scale and GIRAFFE scenes steered by sliders.",
        lifespan=lifespan,
    )
    app.state.stats, app.state.pool = stats, pool
    app.add_middleware(BodyLimit, max_bytes=max_bytes + FORM_SLACK)

    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, str(exc))

    @app.exception_handler(RequestValidationError)
    async def schema_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(422, validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail))

    async def run(request: Request, job: Any) -> Any:
        """Run ``job(stop)`` in the pool, mapping user errors and a full queue to statuses."""
        try:
            return await pool.run(request, job)
        except Busy as exc:
            stats.busy += 1
            raise ApiError(503, str(exc)) from None
        except ImageTooLarge as exc:
            raise ApiError(413, str(exc)) from None
        except InrkitError as exc:
            raise ApiError(400, str(exc)) from None

    @app.get("/health")
    async def health() -> dict[str, Any]:
        """Liveness, and how full the queue is."""
        return {"status": "ok", "in_flight": pool.in_flight, "queue_size": pool.queue_size}

    @app.get("/api/models")
    async def models() -> dict[str, Any]:
        """The loaded models (null when one is not loaded) and the limits."""
        return {
            "liif": _liif_info(liif_model, liif_name),
            "giraffe": _giraffe_info(giraffe_model, giraffe_name),
            "limits": {"max_bytes": max_bytes, "max_pixels": max_pixels},
            "precision": precision,
        }

    @app.post("/api/upscale", response_class=Response, responses={200: {"content": {PNG: {}}}})
    async def upscale_image(
        request: Request,
        image: Annotated[UploadFile, File(description="The image (any format Pillow reads)")],
        scale: Annotated[str | None, Form(description="Factor, e.g. 4 or 2.5")] = None,
        width: Annotated[str | None, Form(description="Output width (with height)")] = None,
        height: Annotated[str | None, Form(description="Output height (with width)")] = None,
        progress_id: Annotated[
            str | None,
            Form(
                description="A token of the client's (1-64 of A-Z a-z 0-9 _ -) to follow the "
                "job at /api/upscale/progress/{progress_id}"
            ),
        ] = None,
    ) -> Response:
        """Upscale an image with LIIF to any scale or exact size; PNG out, alpha kept."""
        model = _loaded(liif_model, "LIIF", "--liif-model")
        data = await image.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ApiError(413, f"image is more than {max_bytes} bytes")
        try:
            size = (parse_scale(scale), parse_side("width", width), parse_side("height", height))
        except InrkitError as exc:
            raise ApiError(400, str(exc)) from None
        if progress_id is not None and not PROGRESS_ID.fullmatch(progress_id):
            raise ApiError(400, "progress_id must be 1 to 64 of the characters A-Z a-z 0-9 _ -")
        if progress_id is not None and progress_id in progress:
            raise ApiError(400, f"progress_id {progress_id!r} is already in use")
        name = image.filename or "upload"
        followed = Progress()

        def job(stop: threading.Event) -> bytes:
            # Decoding is work too: it runs in the pool, not on the event loop.
            followed.running = True
            img = read_image_bytes(data, name, max_pixels)
            out_hw = upscale_size((img.height, img.width), *size, max_pixels=max_pixels)
            return upscale_png(
                model,
                img,
                out_hw,
                stop,
                stats,
                tile,
                followed,
                precision=precision,
                between=offer,
            )

        if progress_id is not None:
            progress[progress_id] = followed
        try:
            png = await run(request, job)
        except ClientGone:
            stats.stopped += 1
            return Response(status_code=CLIENT_CLOSED)
        finally:
            progress.pop(progress_id or "", None)
        return Response(png, media_type=PNG)

    @app.get("/api/upscale/progress/{progress_id}")
    async def upscale_progress(progress_id: str) -> dict[str, Any]:
        """How far the upscale sent with this ``progress_id`` is (404 once it has finished).

        ``state`` is ``queued`` or ``running``; ``done`` and ``total`` count output pixels
        (``total`` is null until the upload is decoded).
        """
        entry = progress.get(progress_id)
        if entry is None:
            # Echo only ids that could exist: a 5000-character path stays out of the answer.
            shown = f"id {progress_id!r}" if PROGRESS_ID.fullmatch(progress_id) else "that id"
            raise ApiError(404, f"no upscale in progress with {shown}")
        state = "running" if entry.running else "queued"
        return {"state": state, "done": entry.done, "total": entry.total}

    def sliders_of(body: RenderRequest, model: GiraffeModel) -> Sliders:
        """The frame a request asks for (400 above the model's size)."""
        full = model.config.img_size
        size = full if body.size is None else body.size
        if size > full:
            raise ApiError(400, f"size must be at most the model's {full} pixels, got {size}")
        return Sliders(
            **body.model_dump(include=set(RenderRequest.model_fields) - {"size"}), size=size
        )

    @app.post(
        "/api/giraffe/render", response_class=Response, responses={200: {"content": {PNG: {}}}}
    )
    async def render_frame(request: Request, body: RenderRequest) -> Response:
        """Render one GIRAFFE frame from seeds and sliders; PNG out."""
        model = _loaded(giraffe_model, "GIRAFFE", "--giraffe-model")
        sliders = sliders_of(body, model)
        try:
            png = await run(request, lambda stop: render_png(model, sliders, precision=precision))
        except ClientGone:
            return Response(status_code=CLIENT_CLOSED)
        return Response(png, media_type=PNG)

    @app.post(
        "/api/giraffe/animation", response_class=Response, responses={200: {"content": {GIF: {}}}}
    )
    async def render_animation(request: Request, body: AnimationRequest) -> Response:
        """A looping GIF: ``slider`` swept over its range from its value, the rest held."""
        model = _loaded(giraffe_model, "GIRAFFE", "--giraffe-model")
        sliders = sliders_of(body, model)

        def job(stop: threading.Event) -> bytes:
            return animation_gif(
                model,
                sliders,
                body.slider,
                body.frames,
                body.fps,
                stop,
                precision=precision,
                between=offer,
            )

        try:
            gif = await run(request, job)
        except ClientGone:
            return Response(status_code=CLIENT_CLOSED)
        return Response(gif, media_type=GIF)

    @app.post("/api/giraffe/path", response_class=Response, responses={200: {"content": {GIF: {}}}})
    async def render_path(
        request: Request,
        path: Annotated[
            UploadFile, File(description="A keyframed path: .json, else YAML (see the README)")
        ],
    ) -> Response:
        """Play a keyframed path as a looping GIF (at most MAX_FRAMES frames)."""
        model = _loaded(giraffe_model, "GIRAFFE", "--giraffe-model")
        data = await path.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ApiError(413, f"path file is more than {max_bytes} bytes")
        # Only in messages: the base name, kept short.
        name = Path(path.filename or "path").name[:64] or "path"

        def job(stop: threading.Event) -> bytes:
            return path_gif(model, data, name, MAX_FRAMES, stop, precision=precision, between=offer)

        try:
            gif = await run(request, job)
        except ClientGone:
            return Response(status_code=CLIENT_CLOSED)
        return Response(gif, media_type=GIF)

    # The page: index.html at /, its CSS and JS under /static (after the API routes).
    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
