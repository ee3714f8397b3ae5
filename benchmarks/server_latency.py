"""Server latency: a 256x256 -> x4 LIIF upscale and a 64x64 GIRAFFE frame through the REST API.

Starts ``inrkit serve`` as a user would (a subprocess on 127.0.0.1, its default workers and
threads), waits for ``/health``, then times each request from the client's side — upload,
queue, model work, PNG encoding and download included — after one warm-up request. Prints the
median, fastest and slowest of ``--runs`` requests, one at a time (no concurrency).

    python benchmarks/server_latency.py [--liif-model M] [--giraffe-model M] [--runs 5]

Pass ``none`` as a model to skip its endpoint.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import numpy as np
from PIL import Image

UPSCALE_SIDE, UPSCALE_SCALE, FRAME_SIDE = 256, 4, 64
START_TIMEOUT_S = 300  # loading models (and a first download) can take a while


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_image(side: int) -> bytes:
    """A seeded photo-like PNG: smooth gradients plus mild noise (the timing ignores content)."""
    y, x = np.mgrid[0:side, 0:side] / side
    rgb = np.stack([x, y, 0.5 + 0.5 * np.sin(6 * x * y)], axis=-1) * 200
    rgb += np.random.default_rng(0).normal(0, 12, rgb.shape)
    buf = io.BytesIO()
    Image.fromarray(rgb.clip(0, 255).astype(np.uint8), "RGB").save(buf, format="PNG")
    return buf.getvalue()


def start_server(args: argparse.Namespace, port: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "inrkit", "serve", "--port", str(port)]
    cmd += ["--liif-model", args.liif_model, "--giraffe-model", args.giraffe_model]
    if args.giraffe_config:
        cmd += ["--giraffe-config", args.giraffe_config]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            err = proc.communicate()[1].strip().splitlines()
            sys.exit(f"inrkit serve did not start: {err[-1] if err else proc.returncode}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline:
                proc.kill()
                sys.exit(f"inrkit serve did not answer within {START_TIMEOUT_S} s")
            time.sleep(0.2)


def timed(call: Callable[[], httpx.Response], runs: int) -> list[float]:
    """Seconds of ``runs`` calls after one warm-up call; each must answer 200."""
    times = []
    for i in range(runs + 1):
        start = time.perf_counter()
        response = call()
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            sys.exit(f"request failed ({response.status_code}): {response.text[:200]}")
        if i > 0:
            times.append(elapsed)
    return times


def report(name: str, times: list[float]) -> None:
    median, lo, hi = statistics.median(times), min(times), max(times)
    print(f"{name:<40} median {median * 1000:8.1f} ms   (min {lo * 1000:.1f}, max {hi * 1000:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--liif-model", default="default", help="as inrkit serve (default: %(default)s)"
    )
    parser.add_argument(
        "--giraffe-model", default="default", help="as inrkit serve (default: %(default)s)"
    )
    parser.add_argument(
        "--giraffe-config", help="preset for an official GIRAFFE file, as inrkit serve"
    )
    parser.add_argument("--runs", type=int, default=5, help="timed requests per endpoint")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(args, port)
    try:
        client = httpx.Client(timeout=600)
        models = client.get(f"{url}/api/models").json()
        print(f"inrkit serve on {url}: {os.cpu_count()} cores, default workers and threads")
        print(f"LIIF: {args.liif_model}   GIRAFFE: {args.giraffe_model}   runs: {args.runs}")
        if models["liif"] is not None:
            data = test_image(UPSCALE_SIDE)
            files = {"image": ("bench.png", data, "image/png")}
            form = {"scale": str(UPSCALE_SCALE)}
            times = timed(
                lambda: client.post(f"{url}/api/upscale", files=files, data=form), args.runs
            )
            out = UPSCALE_SIDE * UPSCALE_SCALE
            report(f"POST /api/upscale {UPSCALE_SIDE}x{UPSCALE_SIDE} -> {out}x{out}", times)
        if models["giraffe"] is not None:
            native = models["giraffe"]["img_size"]
            if native != FRAME_SIDE:
                print(f"note: the GIRAFFE model renders {native}x{native}, resized to {FRAME_SIDE}")
            body = {"size": FRAME_SIDE} if native >= FRAME_SIDE else {}
            times = timed(lambda: client.post(f"{url}/api/giraffe/render", json=body), args.runs)
            side = min(native, FRAME_SIDE)
            report(f"POST /api/giraffe/render {side}x{side}", times)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


if __name__ == "__main__":
    main()
