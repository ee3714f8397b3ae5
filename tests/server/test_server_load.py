"""``inrkit serve`` under a bounded burst of concurrent, mixed good and bad requests.

The loop is that of benchmarks/server_load.py, here against tiny LIIF and GIRAFFE models: 8
client threads for ~12 s over a server of 2 workers and a queue of 4 (so 503 "busy" happens).
Checked: every answer is one its request may get (no 5xx but 503, no reset, no timeout), every
valid kind succeeds at least once, /health answers afterwards, and the server's resident
memory returns to within ``TOLERANCE_MB`` of its value after the warm-up. The figures are
printed (also under -q) and written to ``tmp_path/server_load.json``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import server_load  # benchmarks/server_load.py (pytest's pythonpath holds benchmarks/)

DURATION_S, THREADS = 12, 8
MAX_BYTES = 100_000
TOLERANCE_MB = 50  # RSS after the burst and a settle, above the warmed-up baseline


def test_burst_of_mixed_requests(
    edsr_small_path: Path, giraffe_ckpt: Path, tmp_path: Path, capsys
) -> None:
    port = server_load.free_port()
    url = f"http://127.0.0.1:{port}"
    args = ["--liif-model", str(edsr_small_path), "--giraffe-model", str(giraffe_ckpt)]
    args += ["--max-bytes", str(MAX_BYTES), "--workers", "2", "--queue", "4"]
    proc = server_load.start_server(port, *args, env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        with httpx.Client(timeout=server_load.REQUEST_TIMEOUT_S) as client:
            models = client.get(f"{url}/api/models").json()
            assert models["giraffe"] is not None and models["liif"] is not None
            kinds = server_load.request_kinds(MAX_BYTES, upscale_side=24, giraffe=True)
            server_load.warm_up(client, url, kinds)
        before = server_load.rss_mb(proc.pid)
        results, wall = server_load.run_load(url, kinds, DURATION_S, THREADS, seed=1)
        peak = server_load.rss_mb(proc.pid)
        after = server_load.settled_rss(proc.pid, before + TOLERANCE_MB)
        health = httpx.get(f"{url}/health", timeout=10)
        assert proc.poll() is None
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    summary = server_load.summarize(results, wall)
    summary |= {"rss_before_mb": round(before, 1), "rss_peak_mb": round(peak, 1)}
    summary |= {"rss_after_mb": round(after, 1), "tolerance_mb": TOLERANCE_MB}
    (tmp_path / "server_load.json").write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print(f"\nserver load ({THREADS} threads, {DURATION_S} s): {json.dumps(summary)}")
    assert server_load.unexpected(results, kinds) == []
    assert "Traceback" not in err, err[-3000:]
    ok = {k for k, s, _ in results if s == 200}
    assert ok >= {"upscale", "upscale-size", "render", "health"}, summary["per_kind"]
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert after <= before + TOLERANCE_MB, summary
