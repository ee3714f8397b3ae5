"""``inrkit serve`` as a user starts it: a subprocess on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "liif" / "edsr-small.pth"


def inrkit(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "inrkit", *args]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def test_help_imports_neither_torch_nor_fastapi():
    code = (
        "import sys\nfrom inrkit.cli import main\ntry:\n    main(['serve', '--help'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted({'torch', 'fastapi', 'uvicorn'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]"), out.stdout


def test_bad_port_is_one_line_error():
    proc = inrkit("serve", "--port", "70000", text=True)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.startswith("inrkit: error:") and err.count("\n") == 1


def test_serve_prints_url_and_answers(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = inrkit(
        "serve", "--port", str(port), "--liif-model", str(FIXTURE), "--giraffe-model", "none"
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                health = httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        models = httpx.get(f"{url}/api/models", timeout=5).json()
        assert models["giraffe"] is None and models["liif"]["spec"]["name"] == "liif"
        render = httpx.post(f"{url}/api/giraffe/render", json={}, timeout=5)
        assert render.status_code == 503 and "GIRAFFE" in render.json()["error"]
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in out.decode()


CARS64 = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "giraffe" / "cars64"


def test_official_giraffe_file_needs_and_takes_a_config(tmp_path):
    if not (CARS64 / "model.pt").is_file():
        pytest.skip(f"the official-format GIRAFFE fixture lives in {CARS64}")
    model = str(CARS64 / "model.pt")
    proc = inrkit("serve", "--liif-model", "none", "--giraffe-model", model, text=True)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2 and err.count("\n") == 1 and "config" in err
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["--liif-model", "none", "--giraffe-model", model, "--giraffe-config", "cars_64"]
    proc = inrkit("serve", "--port", str(port), *args)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.communicate()[1]
            try:
                models = httpx.get(f"{url}/api/models", timeout=1).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not answer"
                time.sleep(0.1)
        assert models["giraffe"]["img_size"] == 64 and models["liif"] is None
        frame = httpx.post(f"{url}/api/giraffe/render", json={"size": 16}, timeout=60)
        assert frame.status_code == 200 and frame.headers["content-type"] == "image/png"
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
