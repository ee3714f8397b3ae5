"""Server latency: a 256x256 -> x4 LIIF upscale through the REST API beside the command line,
two upscales at once, and a 64x64 GIRAFFE frame alone and behind an upscale.

Starts ``inrkit serve`` as a user would (a subprocess on 127.0.0.1, its default workers and
threads), waits for ``/health``, and times each request from the client's side (upload, queue,
model work, PNG encoding and download) after one warm-up request:

1. **Alone**: the upscale through the server and the same upscale by ``inrkit upscale`` (same
   model file, same precision), interleaved run by run so that both see the same machine load;
   the command line is timed end to end and also without its start-up (Python, torch and the
   model loading: the time of the same command on a 1x1 image).
2. **Two at once**: two upscales sent together; with the cores shared fairly each takes about
   twice as long as one alone, and both finish at about the same time.
3. **A frame behind an upscale**: GIRAFFE frames alone, then one sent while an upscale runs
   (the upscale hands the cores over between chunks, so the frame waits for one chunk).

    python benchmarks/server_latency.py [--liif-model M] [--giraffe-model M] [--runs 3]
        [--precision fp32|bf16] [--side 256]

Pass ``none`` as a model to skip its part.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

UPSCALE_SCALE, FRAME_SIDE = 4, 64
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
    cmd += ["--precision", args.precision]
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


def timed(call: Callable[[], httpx.Response]) -> float:
    """Seconds of one call, which must answer 200."""
    start = time.perf_counter()
    response = call()
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        sys.exit(f"request failed ({response.status_code}): {response.text[:200]}")
    return elapsed


def cli_seconds(args: argparse.Namespace, image: Path, out: Path) -> float:
    """Wall time of ``inrkit upscale IMAGE --scale 4`` with the server's model and precision."""
    cmd = [sys.executable, "-m", "inrkit", "upscale", str(image), "--scale", str(UPSCALE_SCALE)]
    cmd += ["--model", args.liif_model, "--precision", args.precision, "-o", str(out)]
    cmd += ["--overwrite", "--quiet"]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - start


def report(name: str, times: list[float]) -> None:
    median, lo, hi = statistics.median(times), min(times), max(times)
    print(f"  {name:<44} median {median:8.2f} s  (min {lo:.2f}, max {hi:.2f})")


def upscale_alone(args: argparse.Namespace, client: httpx.Client, url: str) -> float:
    """Part 1: server and command line interleaved; returns the server's median."""
    data = test_image(args.side)
    files = {"image": ("bench.png", data, "image/png")}
    form = {"scale": str(UPSCALE_SCALE)}

    def post() -> httpx.Response:
        return client.post(f"{url}/api/upscale", files=files, data=form)

    server, cli, startup = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        image, tiny = Path(tmp) / "bench.png", Path(tmp) / "tiny.png"
        image.write_bytes(data)
        Image.new("RGB", (1, 1)).save(tiny)
        timed(post)  # warm-up
        for _ in range(args.runs):
            server.append(timed(post))
            cli.append(cli_seconds(args, image, Path(tmp) / "out.png"))
            startup.append(cli_seconds(args, tiny, Path(tmp) / "out_tiny.png"))
    side = args.side * UPSCALE_SCALE
    print(f"{args.side}x{args.side} -> x{UPSCALE_SCALE} ({side}x{side}), one at a time:")
    report("POST /api/upscale", server)
    report("inrkit upscale (end to end)", cli)
    work = [c - s for c, s in zip(cli, startup, strict=True)]
    report("inrkit upscale less its start-up", work)
    ratio = statistics.median(server) / statistics.median(work)
    verdict = "within" if ratio <= 1.10 else "OVER"
    print(f"  server / command line (less start-up): {ratio:.2f} ({verdict} the 1.10 goal)")
    return statistics.median(server)


def upscale_pair(args: argparse.Namespace, client: httpx.Client, url: str, alone: float) -> None:
    """Part 2: two upscales at once."""
    files = {"image": ("bench.png", test_image(args.side), "image/png")}
    form = {"scale": str(UPSCALE_SCALE)}
    with ThreadPoolExecutor(2) as pool:
        futures = [
            pool.submit(timed, lambda: client.post(f"{url}/api/upscale", files=files, data=form))
            for _ in range(2)
        ]
        times = [f.result() for f in futures]
    print("two upscales sent together:")
    print(
        f"  finished after {times[0]:.2f} s and {times[1]:.2f} s "
        f"({max(times) / alone:.2f}x and {min(times) / alone:.2f}x one alone; fair: both ~2x)"
    )


def frame_behind_upscale(args: argparse.Namespace, client: httpx.Client, url: str) -> None:
    """Part 3: GIRAFFE frames alone, then one sent while an upscale runs."""
    models = client.get(f"{url}/api/models").json()
    native = models["giraffe"]["img_size"]
    if native != FRAME_SIDE:
        print(f"note: the GIRAFFE model renders {native}x{native}, resized to {FRAME_SIDE}")
    body = {"size": FRAME_SIDE} if native >= FRAME_SIDE else {}

    def frame() -> httpx.Response:
        return client.post(f"{url}/api/giraffe/render", json=body)

    timed(frame)  # warm-up
    alone = [timed(frame) for _ in range(max(5, args.runs))]
    side = min(native, FRAME_SIDE)
    print(f"GIRAFFE {side}x{side} frame:")
    report("alone", alone)
    if models["liif"] is None:
        return
    files = {"image": ("bench.png", test_image(args.side), "image/png")}
    form = {"scale": str(UPSCALE_SCALE)}
    with ThreadPoolExecutor(1) as pool:
        upscale = pool.submit(client.post, f"{url}/api/upscale", files=files, data=form)
        time.sleep(1.0)  # the upscale is computing
        behind = [timed(frame) for _ in range(3)]
        upscale.result()
    report("sent while an upscale runs", behind)


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
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    parser.add_argument("--runs", type=int, default=3, help="timed requests per measurement")
    parser.add_argument("--side", type=int, default=256, help="input side of the upscale")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(args, port)
    try:
        client = httpx.Client(timeout=1200)
        models = client.get(f"{url}/api/models").json()
        print(f"inrkit serve on {url}: {os.cpu_count()} cores, default workers and threads")
        print(f"LIIF: {args.liif_model}   GIRAFFE: {args.giraffe_model}   {args.precision}")
        if models["liif"] is not None:
            alone = upscale_alone(args, client, url)
            upscale_pair(args, client, url, alone)
        if models["giraffe"] is not None:
            frame_behind_upscale(args, client, url)
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


if __name__ == "__main__":
    main()
