"""Server load: a bounded burst of concurrent, mixed good and bad requests against inrkit serve.

Starts ``inrkit serve`` as a user would (a subprocess on 127.0.0.1), warms it up, reads its
resident memory, then runs client threads for ``--duration`` seconds, each sending requests
drawn from a seeded mix: valid upscales, images that are not images, bad scales and sizes,
uploads over the byte limit (caught from Content-Length, and by the endpoint), outputs over
the pixel limit, unknown paths, and GIRAFFE renders (good, and with sliders out of range) when
a GIRAFFE model is loaded. Prints requests/s, p50/p99 latency, the count of each status per
kind, and the memory before the burst and after it settled.

    python benchmarks/server_load.py [--liif-model M] [--giraffe-model M] [--duration 15]

tests/server/test_server_load.py runs the same loop against tiny models and checks it.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import numpy as np
from PIL import Image

START_TIMEOUT_S = 300  # loading models (and a first download) can take a while
REQUEST_TIMEOUT_S = 60  # a request slower than this counts as a hang


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``inrkit serve --port PORT ARGS``, returned once ``/health`` answers."""
    cmd = [sys.executable, "-m", "inrkit", "serve", "--port", str(port), *args]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"inrkit serve did not start: {proc.communicate()[1][-2000:]}")
        try:
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
            return proc
        except httpx.TransportError:
            if time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"inrkit serve did not answer in {START_TIMEOUT_S} s") from None
            time.sleep(0.2)


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB, from /proc/PID/status (Linux)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def png(side: int, seed: int = 0) -> bytes:
    """A seeded noisy RGB PNG (noise packs badly: a small image of many bytes)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


@dataclass(frozen=True)
class Kind:
    """One kind of request: how to send it, and the statuses a healthy server may answer."""

    name: str
    send: Callable[[httpx.Client, str], httpx.Response]
    allowed: frozenset[int]


def request_kinds(max_bytes: int, upscale_side: int, giraffe: bool) -> list[Kind]:
    """The mix. 503 (queue full) is allowed wherever the work pool is reached — decoding the
    image runs there too, so bad images may be turned away busy; nothing else 5xx."""
    good, busy = png(upscale_side), frozenset({200, 503})
    over = png(int((max_bytes / 3) ** 0.5) + 8, seed=1)  # just over max_bytes as a PNG
    assert len(over) > max_bytes

    def upload(data: bytes, **form: str) -> Callable[[httpx.Client, str], httpx.Response]:
        return lambda c, url: c.post(
            f"{url}/api/upscale", files={"image": ("in.png", data, "image/png")}, data=form
        )

    def render(**body: object) -> Callable[[httpx.Client, str], httpx.Response]:
        return lambda c, url: c.post(f"{url}/api/giraffe/render", json=body)

    kinds = [
        Kind("upscale", upload(good, scale="2"), busy),
        Kind("upscale-size", upload(good, width="37", height="23"), busy),
        Kind(
            "not-an-image",
            upload(b"plain text, not an image\n" * 20, scale="2"),
            frozenset({400, 503}),
        ),
        Kind("truncated-png", upload(good[: len(good) // 2], scale="2"), frozenset({400, 503})),
        Kind("bad-scale", upload(good, scale="-3"), frozenset({400})),
        Kind("scale-and-size", upload(good, scale="2", width="9"), frozenset({400, 503})),
        Kind(
            "over-max-pixels", upload(good, width="100000", height="100000"), frozenset({413, 503})
        ),
        Kind("over-max-bytes", upload(over, scale="2"), frozenset({413})),
        Kind("huge-body", upload(b"\0" * (4 * max_bytes + 200_000), scale="2"), frozenset({413})),
        Kind("unknown-path", lambda c, url: c.get(f"{url}/api/nothing"), frozenset({404})),
        Kind("health", lambda c, url: c.get(f"{url}/health"), frozenset({200})),
    ]
    if giraffe:
        kinds += [
            Kind("render", render(appearance_seed=3, rotation=0.3), busy),
            Kind("render-bad-slider", render(rotation=2.0), frozenset({422})),
            Kind("render-unknown-field", render(colour=1), frozenset({422})),
        ]
    return kinds


def run_load(
    url: str, kinds: list[Kind], duration: float, threads: int, seed: int = 0
) -> tuple[list[tuple[str, int | str, float]], float]:
    """Each thread sends seeded random kinds until ``duration`` is over.

    Returns:
        (kind, status or transport error name, seconds) per request, and the wall time.
    """
    results: list[tuple[str, int | str, float]] = []
    lock = threading.Lock()
    start = time.monotonic()

    def worker(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
            while time.monotonic() - start < duration:
                kind = rng.choice(kinds)
                t0 = time.perf_counter()
                try:
                    status: int | str = kind.send(client, url).status_code
                except httpx.HTTPError as e:  # a reset, a timeout: reported, never raised
                    status = type(e).__name__
                with lock:
                    results.append((kind.name, status, time.perf_counter() - t0))

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(duration + 2 * REQUEST_TIMEOUT_S)
    if any(t.is_alive() for t in pool):
        raise RuntimeError("a client thread hung")
    return results, time.monotonic() - start


def summarize(results: list[tuple[str, int | str, float]], wall_s: float) -> dict:
    """Requests/s, latency percentiles (ms) and status counts, overall and per kind."""
    latencies = np.array([s for _, _, s in results]) * 1000
    per_kind: dict[str, Counter] = {}
    for kind, status, _ in results:
        per_kind.setdefault(kind, Counter())[str(status)] += 1
    return {
        "requests": len(results),
        "wall_s": round(wall_s, 2),
        "requests_per_s": round(len(results) / wall_s, 1),
        "p50_ms": round(float(np.percentile(latencies, 50)), 1),
        "p99_ms": round(float(np.percentile(latencies, 99)), 1),
        "statuses": dict(sorted(Counter(str(s) for _, s, _ in results).items())),
        "per_kind": {k: dict(sorted(v.items())) for k, v in sorted(per_kind.items())},
    }


def unexpected(results: list[tuple[str, int | str, float]], kinds: list[Kind]) -> list[str]:
    """``kind: status`` for every answer outside the kind's allowed statuses (once each)."""
    allowed = {k.name: k.allowed for k in kinds}
    return sorted({f"{k}: {s}" for k, s, _ in results if s not in allowed[k]})


def warm_up(client: httpx.Client, url: str, kinds: list[Kind], rounds: int = 3) -> None:
    """Every kind a few times, one at a time: lazy imports and allocator pools settle."""
    for _ in range(rounds):
        for kind in kinds:
            kind.send(client, url)


def settled_rss(pid: int, limit_mb: float, wait_s: float = 10.0) -> float:
    """RSS once it is at most ``limit_mb``, or the last reading after ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while True:
        rss = rss_mb(pid)
        if rss <= limit_mb or time.monotonic() > deadline:
            return rss
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--liif-model", default="default", help="as inrkit serve")
    parser.add_argument("--giraffe-model", default="default", help="as inrkit serve")
    parser.add_argument("--giraffe-config", help="as inrkit serve")
    parser.add_argument("--duration", type=float, default=15, help="seconds of load")
    parser.add_argument("--threads", type=int, default=8, help="client threads")
    parser.add_argument("--max-bytes", type=int, default=200_000, help="the server's upload cap")
    parser.add_argument("--upscale-side", type=int, default=64, help="side of the test image")
    parser.add_argument("--tolerance-mb", type=float, default=50, help="RSS allowed to stay up")
    args = parser.parse_args()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve = ["--liif-model", args.liif_model, "--giraffe-model", args.giraffe_model]
    serve += ["--max-bytes", str(args.max_bytes)]
    if args.giraffe_config:
        serve += ["--giraffe-config", args.giraffe_config]
    proc = start_server(port, *serve)
    try:
        with httpx.Client(timeout=REQUEST_TIMEOUT_S) as client:
            has_giraffe = client.get(f"{url}/api/models").json()["giraffe"] is not None
            kinds = request_kinds(args.max_bytes, args.upscale_side, has_giraffe)
            warm_up(client, url, kinds)
        before = rss_mb(proc.pid)
        results, wall = run_load(url, kinds, args.duration, args.threads)
        peak = rss_mb(proc.pid)
        after = settled_rss(proc.pid, before + args.tolerance_mb)
        health = httpx.get(f"{url}/health", timeout=10).status_code
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    summary = summarize(results, wall)
    summary |= {"rss_before_mb": round(before, 1), "rss_peak_mb": round(peak, 1)}
    summary |= {"rss_after_mb": round(after, 1), "health_after": health}
    summary["unexpected"] = unexpected(results, kinds)
    print(f"inrkit serve on {url}: {args.threads} client threads, {args.duration:g} s")
    print(json.dumps(summary, indent=2))
    ok = not summary["unexpected"] and health == 200 and after <= before + args.tolerance_mb
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
