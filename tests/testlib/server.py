"""What the server tests share: a real uvicorn server on 127.0.0.1 around tiny models."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
import uvicorn
from PIL import Image

import inrkit.liif as liif
from inrkit.giraffe.model import GiraffeModel
from inrkit.server import create_app
from testlib.giraffe import TINY, tiny_network

TESTS = Path(__file__).resolve().parents[1]

MAX_BYTES = 1_000_000
MAX_PIXELS = 2048 * 2048
TILE = 32  # small tiles: the tiled path with several tiles runs in every upscale test


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


def make_app(giraffe: bool = True, **overrides):
    """The app around the tiny EDSR-LIIF fixture and a tiny random GIRAFFE (or none)."""
    torch.set_num_threads(1)  # two shared cores: one thread per worker
    model = liif.load(TESTS / "fixtures" / "liif" / "edsr-small.pth")
    scene = GiraffeModel(network=tiny_network(), config=TINY) if giraffe else None
    settings = dict(max_bytes=MAX_BYTES, max_pixels=MAX_PIXELS, workers=2, queue_size=4, tile=TILE)
    settings.update(overrides)
    return create_app(
        model, scene, liif_name="edsr-small", giraffe_name="tiny" if giraffe else None, **settings
    )


def png_bytes(h: int, w: int, mode: str = "RGB", seed: int = 0) -> bytes:
    """A PNG of seeded noise."""
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 256, (h, w, len(mode)), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr, mode).save(buf, format="PNG")
    return buf.getvalue()
