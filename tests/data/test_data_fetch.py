"""`inrkit data fetch` end to end against a real HTTP server on 127.0.0.1 (via the mirror)."""

from __future__ import annotations

import dataclasses
import hashlib
import http.server
import io
import json
import os
import re
import tarfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.data import fetch as fetch_module
from inrkit.data.fetch import ARCHIVES, fetch
from inrkit.data.specs import make_dataset
from inrkit.errors import InrkitError
from inrkit.io.archives import ArchiveError


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.files`` by name, honouring ``Range: bytes=N-``; ``server.cut`` maps a
    name to the byte at which its next transfer is cut short."""

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        srv, name = self.server, self.path.lstrip("/")
        srv.requests.append((name, self.headers.get("Range")))
        if name not in srv.files:
            self.send_error(404)
            return
        data = srv.files[name]
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        start = int(match[1]) if match else 0
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start : srv.cut.pop(name, len(data))])


def _png(side: int, seed: int) -> bytes:
    out = io.BytesIO()
    pixels = np.random.default_rng(seed).integers(0, 256, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def _tar(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _tiny_archives() -> dict[str, bytes]:
    """The public archives in miniature: same names, same folder structure, 2 images each."""
    files = {
        "DIV2K_train_HR.zip": _zip({f"DIV2K_train_HR/000{i}.png": _png(24, i) for i in (1, 2)}),
        "DIV2K_valid_HR.zip": _zip({f"DIV2K_valid_HR/080{i}.png": _png(24, i) for i in (1, 2)}),
    }
    for s in (2, 3, 4):
        folder = f"DIV2K_valid_LR_bicubic/X{s}"
        members = {f"{folder}/080{i}x{s}.png": _png(24 // s, i) for i in (1, 2)}
        files[f"DIV2K_valid_LR_bicubic_X{s}.zip"] = _zip(members)
    bench = {}
    for name in ("Set5", "Set14", "B100", "Urban100"):
        bench[f"benchmark/{name}/HR/img.png"] = _png(12, 0)
        bench[f"benchmark/{name}/LR_bicubic/X2/imgx2.png"] = _png(6, 0)
    files["benchmark.tar"] = _tar(bench)
    files["split.json"] = json.dumps({"train": ["00000.png"], "val": []}).encode()
    return files


@pytest.fixture
def server(monkeypatch):
    """The local mirror, with the table's sizes and checksums set to those of the tiny files."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    srv.files, srv.requests, srv.cut = _tiny_archives(), [], {}
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "INRKIT_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    srv.mirror = f"http://127.0.0.1:{srv.server_port}/"
    monkeypatch.setenv("INRKIT_DOWNLOAD_MIRROR", srv.mirror)
    for name, archives in ARCHIVES.items():
        tiny = []
        for a in archives:
            data = srv.files[a.filename]
            sums = {"sha256": hashlib.sha256(data).hexdigest()} if a.sha256 else {}
            sums |= {"md5": hashlib.md5(data).hexdigest()} if a.md5 else {}
            tiny.append(dataclasses.replace(a, size=len(data) if a.size else None, **sums))
        monkeypatch.setitem(ARCHIVES, name, tuple(tiny))
    yield srv
    srv.shutdown()
    srv.server_close()


def _fetch(name: str, root: Path, **kwargs) -> list[str]:
    lines: list[str] = []
    fetch(name, root, progress=False, say=lines.append, **kwargs)
    return lines


def _error(name: str, root: Path, **kwargs) -> str:
    with pytest.raises(InrkitError) as info:
        _fetch(name, root, **kwargs)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_div2k_end_to_end_then_nothing_to_do(server, tmp_path):
    root = tmp_path / "load"
    lines = _fetch("div2k", root)
    assert lines[0] == f"{root / 'div2k' / 'DIV2K_train_HR'}: ready" and len(lines) == 5
    assert sorted(os.listdir(root / "div2k")) == [
        "DIV2K_train_HR",
        "DIV2K_valid_HR",
        "DIV2K_valid_LR_bicubic",
    ]
    spec = {
        "dataset": {"name": "div2k-paired", "args": {"root": root, "scale": 3}},
        "wrapper": {"name": "sr-implicit-paired"},
    }
    assert make_dataset(spec)[1]["inp"].shape == (3, 8, 8)
    assert len(server.requests) == 5
    assert _fetch("div2k", root)[0].endswith("DIV2K_train_HR: already there")
    assert len(server.requests) == 5


def test_benchmark_tar_with_md5(server, tmp_path):
    _fetch("benchmark", tmp_path, keep_archives=True)
    assert (tmp_path / "benchmark.tar").read_bytes() == server.files["benchmark.tar"]
    assert (tmp_path / "benchmark" / "Urban100" / "LR_bicubic" / "X2" / "imgx2.png").is_file()


def test_interrupted_transfer_resumes_with_range(server, tmp_path):
    server.cut["DIV2K_valid_HR.zip"] = 300
    message = _error("div2k", tmp_path)
    url, dest = server.mirror + "DIV2K_valid_HR.zip", tmp_path / "div2k" / "DIV2K_valid_HR.zip"
    assert message.startswith(f"{url}: download cut short: got 300 of ")
    assert message.endswith(f"download {url} by hand and save it as {dest}, then rerun")
    assert (tmp_path / "div2k" / "DIV2K_valid_HR.zip.part").stat().st_size == 300
    _fetch("div2k", tmp_path, keep_archives=True)
    assert ("DIV2K_valid_HR.zip", "bytes=300-") in server.requests
    assert dest.read_bytes() == server.files["DIV2K_valid_HR.zip"]
    assert not Path(f"{dest}.part").exists()


def test_checksum_mismatch_leaves_no_file(server, tmp_path, monkeypatch):
    entry = dataclasses.replace(ARCHIVES["div2k"][1], sha256="0" * 64)
    monkeypatch.setitem(ARCHIVES, "div2k", (entry,))
    assert "sha256 mismatch" in _error("div2k", tmp_path)
    assert os.listdir(tmp_path / "div2k") == []


def test_archive_placed_by_hand_is_used_and_checked(server, tmp_path, monkeypatch):
    (tmp_path / "div2k").mkdir()
    (tmp_path / "div2k" / "DIV2K_train_HR.zip").write_bytes(server.files["DIV2K_train_HR.zip"])
    monkeypatch.setitem(ARCHIVES, "div2k", ARCHIVES["div2k"][:1])
    assert _fetch("div2k", tmp_path) == [f"{tmp_path / 'div2k' / 'DIV2K_train_HR'}: ready"]
    assert server.requests == []
    (tmp_path / "div2k" / "DIV2K_train_HR").rename(tmp_path / "moved")
    (tmp_path / "div2k" / "DIV2K_train_HR.zip").write_bytes(b"something else")
    message = _error("div2k", tmp_path)
    assert message.startswith(f"{tmp_path / 'div2k' / 'DIV2K_train_HR.zip'}: has 14 bytes")


def _without_checksum(monkeypatch, name: str) -> None:
    monkeypatch.setitem(ARCHIVES, name, (dataclasses.replace(ARCHIVES[name][0], md5=None),))


def test_zip_slip_archive_refused_and_nothing_outside_root(server, tmp_path, monkeypatch):
    server.files["benchmark.tar"] = _tar({"benchmark/Set5/HR/a.png": b"x", "../../evil": b"x"})
    _without_checksum(monkeypatch, "benchmark")
    root = tmp_path / "a" / "root"
    with pytest.raises(ArchiveError, match="'../../evil': it leads outside the folder"):
        _fetch("benchmark", root)
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*")) == [
        "a",
        "a/root",
        "a/root/benchmark.tar",
    ]


def test_symlink_member_refused(server, tmp_path, monkeypatch):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tf:
        info = tarfile.TarInfo("benchmark/Set5/HR")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc"
        tf.addfile(info)
    server.files["benchmark.tar"] = out.getvalue()
    _without_checksum(monkeypatch, "benchmark")
    with pytest.raises(ArchiveError, match="symbolic link"):
        _fetch("benchmark", tmp_path)
    assert os.listdir(tmp_path) == ["benchmark.tar"]


def test_offline_says_what_to_fetch_and_where(server, tmp_path, monkeypatch):
    monkeypatch.setenv("INRKIT_DOWNLOAD_MIRROR", "http://127.0.0.1:9/")  # nothing listens there
    message = _error("div2k", tmp_path)
    url, dest = "http://127.0.0.1:9/DIV2K_train_HR.zip", tmp_path / "div2k" / "DIV2K_train_HR.zip"
    assert message.startswith(f"{url}: network error")
    assert message.endswith(f"download {url} by hand and save it as {dest}, then rerun")
    monkeypatch.delenv("INRKIT_DOWNLOAD_MIRROR")
    monkeypatch.setenv("INRKIT_OFFLINE", "1")
    url = "https://data.vision.ee.ethz.ch/cvl/DIV2K/DIV2K_train_HR.zip"
    assert _error("div2k", tmp_path) == (
        f"{url}: not downloaded, INRKIT_OFFLINE is set; download {url} by hand and save it as "
        f"{dest}, then rerun"
    )
    assert server.requests == []


def test_celebahq_gets_the_split_and_says_where_the_originals_are(server, tmp_path):
    message = _error("celebahq", tmp_path)
    assert "no stable direct download" in message and fetch_module.CELEBAHQ_ORIGINALS in message
    assert f"inrkit data prepare-celebahq data1024x1024 --root {tmp_path}" in message
    assert (tmp_path / "celebAHQ" / "split.json").read_bytes() == server.files["split.json"]


def test_cli(run_inrkit, server, tmp_path):
    # The subprocess sees the real table: split.json has no checksum, DIV2K's size is checked.
    for size in (32, 64, 128, 256):
        (tmp_path / "celebAHQ" / str(size)).mkdir(parents=True)
    result = run_inrkit("data", "fetch", "celebahq", "--root", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{tmp_path / 'celebAHQ' / 'split.json'}: ready\n"
    result = run_inrkit("data", "fetch", "div2k", "--root", str(tmp_path), "-q")
    assert result.returncode == 2 and result.stdout == ""
    expected = (
        r"inrkit: error: http://127\.0\.0\.1:\d+/DIV2K_train_HR\.zip: got \d+ bytes, "
        r"expected 3530603713; download .* then rerun\n"
    )
    assert re.fullmatch(expected, result.stderr)
    assert os.listdir(tmp_path / "div2k") == []
    # Without --root: $INRKIT_DATA_ROOT (else ./load, here the temporary folder).
    result = run_inrkit("data", "fetch", "celebahq", env={"INRKIT_DATA_ROOT": "env-root"})
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert result.stderr.startswith("inrkit: error: celebahq: the 1024x1024 originals")
    assert (tmp_path / "env-root" / "celebAHQ" / "split.json").is_file()
