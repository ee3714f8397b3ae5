"""The REST API against a real uvicorn server on 127.0.0.1, called with httpx."""

from __future__ import annotations

import io
import struct
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
import uvicorn
from PIL import Image

import inrkit.liif as liif
from inrkit.giraffe.model import GiraffeModel
from inrkit.liif.tiling import split
from inrkit.server import create_app

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "giraffe"))  # giraffe_testlib: the tiny GIRAFFE config
from giraffe_testlib import TINY, tiny_network  # noqa: E402

MAX_BYTES = 1_000_000
MAX_PIXELS = 2048 * 2048
TILE = 32  # small tiles, so that a cancelled upscale has many chances to stop
TIMEOUT = httpx.Timeout(30.0)


@contextmanager
def serving(app) -> Iterator[str]:
    """Run ``app`` with uvicorn on 127.0.0.1 (a free port) in a thread; yield its URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def make_app(**overrides):
    torch.set_num_threads(1)  # two shared cores: one thread per worker
    model = liif.load(TESTS / "fixtures" / "liif" / "edsr-small.pth")
    giraffe = GiraffeModel(network=tiny_network(), config=TINY)
    settings = dict(max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, workers=2, queue_size=4, tile=TILE)
    settings.update(overrides)
    return create_app(model, giraffe, liif_name="edsr-small", giraffe_name="tiny", **settings)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object]]:
    app = make_app()
    with serving(app) as url:
        yield url, app


def png_bytes(h: int, w: int, mode: str = "RGB", seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (h, w, len(mode)), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG")
    return buf.getvalue()


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` pixels but holds no image data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")


def post_upscale(url: str, data: bytes, **fields: object) -> httpx.Response:
    form = {k: str(v) for k, v in fields.items()}
    files = {"image": ("in.png", data, "image/png")}
    return httpx.post(f"{url}/api/upscale", files=files, data=form, timeout=TIMEOUT)


def as_image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    return Image.open(io.BytesIO(response.content))


def test_health_and_models(server):
    url, _ = server
    assert httpx.get(f"{url}/health", timeout=TIMEOUT).json()["status"] == "ok"
    models = httpx.get(f"{url}/api/models", timeout=TIMEOUT).json()
    assert models["liif"]["name"] == "edsr-small"
    assert models["liif"]["spec"]["name"] == "liif"
    assert models["giraffe"]["img_size"] == TINY.img_size
    assert models["limits"] == {"max_bytes": MAX_BYTES, "max_pixels": MAX_PIXELS}
    assert httpx.get(f"{url}/docs", timeout=TIMEOUT).status_code == 200


def test_upscale_by_scale_and_size_keeps_alpha(server):
    url, _ = server
    out = as_image(post_upscale(url, png_bytes(20, 30), scale=2.5))
    assert out.size == (75, 50) and out.mode == "RGB"
    out = as_image(post_upscale(url, png_bytes(20, 30, "RGBA"), width=41, height=17))
    assert out.size == (41, 17) and out.mode == "RGBA"


@pytest.mark.parametrize("fields", [{"scale": 0}, {"scale": -1}, {"scale": "nan"}, {}])
def test_bad_scale_is_400(server, fields):
    url, _ = server
    response = post_upscale(url, png_bytes(8, 8), **fields)
    assert response.status_code == 400
    assert "error" in response.json()


def test_not_an_image_is_400(server):
    url, _ = server
    response = post_upscale(url, b"this is not an image", scale=2)
    assert response.status_code == 400
    assert "not an image" in response.json()["error"]


def test_too_many_bytes_is_413(server):
    url, _ = server
    response = post_upscale(url, b"\0" * (MAX_BYTES * 2), scale=2)
    assert response.status_code == 413
    assert "bytes" in response.json()["error"]


def test_too_many_pixels_is_413_before_decoding(server):
    url, _ = server
    response = post_upscale(url, png_header(100_000, 100_000), scale=1)
    assert response.status_code == 413
    assert "100000x100000" in response.json()["error"]
    # The output is limited too.
    assert post_upscale(url, png_bytes(8, 8), scale=1000).status_code == 413


def test_schema_error_is_422_json(server):
    url, _ = server
    response = httpx.post(
        f"{url}/api/giraffe/render", json={"rotation": 2.0, "size": 16}, timeout=TIMEOUT
    )
    assert response.status_code == 422
    assert "rotation" in response.json()["error"]
    big = httpx.post(f"{url}/api/giraffe/render", json={"size": 1000}, timeout=TIMEOUT)
    assert big.status_code == 400


def test_giraffe_render_size_and_slider(server):
    url, _ = server
    body = {"appearance_seed": 1, "shape_seed": 2, "size": 24}
    render = f"{url}/api/giraffe/render"
    first = as_image(httpx.post(render, json=body, timeout=TIMEOUT))
    again = as_image(httpx.post(render, json=body, timeout=TIMEOUT))
    moved = as_image(httpx.post(render, json={**body, "rotation": 0.1}, timeout=TIMEOUT))
    assert first.size == (24, 24)
    assert np.array_equal(np.asarray(first), np.asarray(again))
    assert not np.array_equal(np.asarray(first), np.asarray(moved))


def test_burst_gets_some_503_and_none_hang():
    app = make_app(workers=1, queue_size=4)
    data = png_bytes(64, 64)
    with serving(app) as url, ThreadPoolExecutor(20) as threads:
        answers = list(threads.map(lambda _: post_upscale(url, data, scale=4), range(20)))
        codes = [r.status_code for r in answers]
        assert set(codes) <= {200, 503}
        assert codes.count(503) > 0 and codes.count(200) >= 4, codes
        assert all("error" in r.json() for r in answers if r.status_code == 503)
        health = httpx.get(f"{url}/health", timeout=TIMEOUT).json()
        assert health["status"] == "ok" and health["in_flight"] == 0


def test_cancelled_upscale_stops_early(server):
    url, app = server
    stats = app.state.stats
    tiles_before, stopped_before = stats.tiles, stats.stopped
    total = len(split(256, TILE)) ** 2
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
        post = httpx.post
        files = {"image": ("in.png", png_bytes(256, 256), "image/png")}
        post(f"{url}/api/upscale", files=files, data={"scale": "4"}, timeout=0.4)
    deadline = time.monotonic() + 15
    while stats.stopped == stopped_before:
        assert time.monotonic() < deadline, "the job did not stop"
        time.sleep(0.05)
    assert 0 < stats.tiles - tiles_before < total
    assert httpx.get(f"{url}/health", timeout=TIMEOUT).json()["in_flight"] == 0
