"""``POST /api/giraffe/path``: a keyframed path file played as a GIF (the page's "Play a path")."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx
import numpy as np
import pytest
from PIL import Image
from testlib.server import TINY, make_app, serving

from inrkit.giraffe.model import GiraffeModel
from inrkit.giraffe.sliders import render_sliders, uniform_frame
from inrkit.server.jobs import Sliders, render_png

TIMEOUT = httpx.Timeout(30.0)
# What the page's "Download keyframe" button saves, at two times.
KEY = {
    "time": 0,
    "rotation": 0.5,
    "translation_x": 0.5,
    "translation_depth": 0.5,
    "scale": 0.5,
    "elevation": 0.5,
    "appearance_seed": 3,
    "shape_seed": 4,
}


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serving(make_app()) as address:
        yield address


def post_path(url: str, name: str, text: str | bytes) -> httpx.Response:
    files = {"path": (name, text, "application/octet-stream")}
    return httpx.post(f"{url}/api/giraffe/path", files=files, timeout=TIMEOUT)


def test_a_list_of_page_keyframes_plays_as_a_gif(url: str) -> None:
    keys = [KEY, {**KEY, "time": 1, "rotation": 1.0}]
    response = post_path(url, "turn.json", json.dumps({"fps": 4, "keyframes": keys}))
    assert response.status_code == 200 and response.headers["content-type"] == "image/gif"
    gif = Image.open(io.BytesIO(response.content))
    assert gif.size == (TINY.img_size, TINY.img_size) and gif.info["loop"] == 0
    assert gif.n_frames == 5 and gif.info["duration"] == 250


def test_a_yaml_path_plays_too(url: str) -> None:
    text = "frames: 3\nkeyframes:\n  - {time: 0, scale: 0}\n  - {time: 2, scale: 1}\n"
    response = post_path(url, "grow.yaml", text)
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.content)).n_frames == 3


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("p.json", '[{"time": 0}, {"time": 1, "rotation": 2}]',
         "p.json: keyframe 1: 'rotation' must be a number in [0, 1], got 2"),
        ("p.json", '[{"time": 0}, {"time": 10}]',
         "p.json: 241 frames is more than the server's 96"),
        ("p.json", '{"keyframes": [', "p.json: not valid JSON at line 1"),
        ("p.yaml", b"\xff\xfe\x00", "p.yaml: not UTF-8 text"),
        ("p.json", '[{"time": 0, "objects": [{}, {}]}]',
         "keyframe 0: 'objects' lists 2 objects, the model has 1"),
        ("../../p.json", "[]", "p.json: 'keyframes' must be a non-empty list"),
    ],
)  # fmt: skip
def test_bad_paths_are_400_with_one_line(url: str, name: str, text: str, message: str) -> None:
    response = post_path(url, name, text)
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in error and "\n" not in error and "../" not in error


def test_no_file_is_422_and_no_model_is_503() -> None:
    with serving(make_app(giraffe=False)) as address:
        response = post_path(address, "p.json", json.dumps([KEY]))
        assert response.status_code == 503 and "GIRAFFE" in response.json()["error"]
        missing = httpx.post(f"{address}/api/giraffe/path", timeout=TIMEOUT)
        assert missing.status_code == 422 and "path" in missing.json()["error"]


def test_the_server_renders_through_the_librarys_slider_renderer() -> None:
    """The page's frames are :func:`render_sliders`' frames (one renderer for both)."""
    from testlib.giraffe import tiny_network

    model = GiraffeModel(network=tiny_network(), config=TINY)
    s = Sliders(3, 4, 0.2, 0.3, 0.6, 0.4, 0.7, TINY.img_size)
    page = Image.open(io.BytesIO(render_png(model, s)))
    frame = uniform_frame(
        1,
        rotation=0.2,
        translation_x=0.3,
        translation_depth=0.6,
        scale=0.4,
        elevation=0.7,
        shape_seed=4,
        appearance_seed=3,
    )
    rgb = next(iter(render_sliders(model, [frame])))
    expected = rgb.permute(1, 2, 0).mul(255).round().byte().numpy()
    assert np.array_equal(expected, np.array(page))
