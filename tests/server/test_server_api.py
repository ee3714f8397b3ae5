"""The REST API against a real uvicorn server on 127.0.0.1, called with httpx."""

from __future__ import annotations

import io
import struct
import time
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pytest
from PIL import Image
from testlib.server import MAX_BYTES, MAX_PIXELS, TINY, make_app, png_bytes, serving

TIMEOUT = httpx.Timeout(30.0)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, object]]:
    app = make_app()
    with serving(app) as url:
        yield url, app


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
    chunks_before, stopped_before = stats.chunks, stats.stopped
    total = 1024 * 1024 // 1024  # chunks of the default 1024 queries
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
        post = httpx.post
        files = {"image": ("in.png", png_bytes(256, 256), "image/png")}
        post(f"{url}/api/upscale", files=files, data={"scale": "4"}, timeout=0.4)
    deadline = time.monotonic() + 15
    while stats.stopped == stopped_before:
        assert time.monotonic() < deadline, "the job did not stop"
        time.sleep(0.05)
    assert 0 < stats.chunks - chunks_before < total
    assert httpx.get(f"{url}/health", timeout=TIMEOUT).json()["in_flight"] == 0


def test_page_and_its_files_are_served(server):
    url, _ = server
    page = httpx.get(f"{url}/", timeout=TIMEOUT)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for name in ("style.css", "app.js"):
        assert f"/static/{name}" in page.text
        assert httpx.get(f"{url}/static/{name}", timeout=TIMEOUT).status_code == 200
    missing = httpx.get(f"{url}/static/nope.js", timeout=TIMEOUT)
    assert missing.status_code == 404 and "error" in missing.json()


def test_giraffe_animation_is_a_looping_gif(server):
    url, _ = server
    # From 0.5, five frames visit 0.5, 0.9, 0.7, 0.3, 0.1: all different, so Pillow keeps all
    # (it stores a repeated frame once, with the durations added).
    body = {"appearance_seed": 3, "slider": "translation_x", "frames": 5, "fps": 10, "size": 16}
    response = httpx.post(f"{url}/api/giraffe/animation", json=body, timeout=TIMEOUT)
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    gif = Image.open(io.BytesIO(response.content))
    assert gif.format == "GIF" and gif.size == (16, 16) and gif.info["loop"] == 0
    durations = []
    for i in range(gif.n_frames):
        gif.seek(i)
        durations.append(gif.info["duration"])
    assert durations == [100] * 5


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"frames": 1}, 422),
        ({"frames": 10_000}, 422),
        ({"slider": "colour"}, 422),
        ({"fps": 0}, 422),
        ({"size": 10_000}, 400),
    ],
)
def test_bad_animation_is_json_error(server, body, status):
    url, _ = server
    response = httpx.post(f"{url}/api/giraffe/animation", json=body, timeout=TIMEOUT)
    assert response.status_code == status
    assert response.json()["error"].count("\n") == 0


def test_no_giraffe_model_is_503_for_animation():
    with serving(make_app(giraffe=False)) as url:
        response = httpx.post(f"{url}/api/giraffe/animation", json={}, timeout=TIMEOUT)
        assert response.status_code == 503 and "GIRAFFE" in response.json()["error"]
        assert httpx.get(f"{url}/api/models", timeout=TIMEOUT).json()["giraffe"] is None


def test_upscale_progress_counts_pixels(server):
    url, _ = server
    seen: list[dict] = []
    with ThreadPoolExecutor(1) as thread:
        upscale = thread.submit(
            post_upscale, url, png_bytes(160, 160), scale=4, progress_id="job-1"
        )
        while not upscale.done():
            answer = httpx.get(f"{url}/api/upscale/progress/job-1", timeout=TIMEOUT)
            if answer.status_code == 200:
                seen.append(answer.json())
            time.sleep(0.02)
        assert as_image(upscale.result()).size == (640, 640)
    running = [p for p in seen if p["state"] == "running"]
    # While the worker decodes the upload the output size is not known yet: total is null and
    # nothing is done; from then on every answer counts output pixels, chunk by chunk.
    decoding = [p for p in running if p["total"] is None]
    counted = [p for p in running if p["total"] is not None]
    assert all(p["done"] == 0 for p in decoding), decoding
    assert counted and all(p["total"] == 640 * 640 for p in counted)
    assert all(0 <= p["done"] <= p["total"] for p in counted)
    assert any(0 < p["done"] < p["total"] for p in counted)  # seen part way
    gone = httpx.get(f"{url}/api/upscale/progress/job-1", timeout=TIMEOUT)
    assert gone.status_code == 404 and "job-1" in gone.json()["error"]
    odd = httpx.get(f"{url}/api/upscale/progress/{'x' * 5000}", timeout=TIMEOUT)
    assert odd.status_code == 404 and len(odd.json()["error"]) < 100


@pytest.mark.parametrize("token", ["", "has space", "x" * 65, "../etc"])
def test_bad_progress_id_is_400(server, token):
    url, _ = server
    response = post_upscale(url, png_bytes(8, 8), scale=2, progress_id=token)
    if token == "":  # an empty form field counts as absent
        assert response.status_code in (200, 400)
    else:
        assert response.status_code == 400 and "progress_id" in response.json()["error"]
