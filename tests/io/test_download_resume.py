"""Resumable downloads against a real HTTP server on 127.0.0.1 that honours (or ignores) Range."""

from __future__ import annotations

import hashlib
import http.server
import os
import re
import threading

import pytest

from inrkit.io.download import DownloadError, download, part_path

DATA = os.urandom(5000)
SHA = hashlib.sha256(DATA).hexdigest()


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    """Serves ``server.data`` at any path; ``server.cut_at`` ends the next body at that byte."""

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        srv, data = self.server, self.server.data
        asked = self.headers.get("Range")
        srv.requests.append(asked)
        match = re.fullmatch(r"bytes=(\d+)-", asked or "")
        start = int(match[1]) if match and srv.ranges else 0
        if start >= len(data) and start:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        end = len(data) if srv.cut_at is None else srv.cut_at
        srv.cut_at = None
        self.wfile.write(data[start:end])


@pytest.fixture
def server(monkeypatch):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RangeHandler)
    srv.data, srv.requests, srv.ranges, srv.cut_at = DATA, [], True, None
    srv.url = f"http://127.0.0.1:{srv.server_port}/file.bin"
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _fail(server, dest, **kwargs) -> str:
    with pytest.raises(DownloadError) as info:
        download(server.url, dest, **kwargs)
    return str(info.value)


def test_interrupted_then_resumed_with_range(server, tmp_path):
    dest = tmp_path / "file.bin"
    server.cut_at = 1234
    message = _fail(server, dest, sha256=SHA, resume=True)
    assert (
        f"download cut short: got 1234 of 5000 bytes (rerun to resume from {dest}.part)" in message
    )
    assert not dest.exists() and part_path(dest).read_bytes() == DATA[:1234]
    assert download(server.url, dest, sha256=SHA, expected_size=5000, resume=True) == dest
    assert server.requests == [None, "bytes=1234-"]
    assert dest.read_bytes() == DATA
    assert sorted(os.listdir(tmp_path)) == ["file.bin"]


def test_server_without_ranges_restarts_cleanly(server, tmp_path):
    dest = tmp_path / "file.bin"
    server.ranges = False
    part_path(dest).write_bytes(b"x" * 700)  # not a prefix of the file: must not be kept
    download(server.url, dest, sha256=SHA, resume=True)
    assert server.requests == ["bytes=700-"]
    assert dest.read_bytes() == DATA and not part_path(dest).exists()


def test_complete_or_oversized_part(server, tmp_path):
    dest = tmp_path / "file.bin"
    part_path(dest).write_bytes(DATA)  # killed after the last byte: 416, nothing to fetch
    download(server.url, dest, sha256=SHA, resume=True)
    assert dest.read_bytes() == DATA and server.requests == ["bytes=5000-"]
    dest.unlink()
    part_path(dest).write_bytes(DATA + b"stale")  # another version of the file: start over
    download(server.url, dest, md5=hashlib.md5(DATA).hexdigest(), resume=True)
    assert dest.read_bytes() == DATA and server.requests[1:] == ["bytes=5005-", None]


def test_checksum_mismatch_discards_the_part(server, tmp_path):
    dest = tmp_path / "file.bin"
    part_path(dest).write_bytes(b"\0" * 100)  # a corrupt prefix: only the checksum can tell
    message = _fail(server, dest, sha256=SHA, resume=True)
    assert "sha256 mismatch" in message
    assert os.listdir(tmp_path) == []
    download(server.url, dest, sha256=SHA, resume=True)  # the next run starts afresh
    assert dest.read_bytes() == DATA
    dest.unlink()
    assert "md5 mismatch" in _fail(server, dest, md5="0" * 32, resume=True)
    assert "expected 4999" in _fail(server, dest, expected_size=4999, resume=True)
    assert os.listdir(tmp_path) == []


def test_without_resume_nothing_is_left(server, tmp_path):
    server.cut_at = 10
    assert "cut short" in _fail(server, tmp_path / "file.bin")
    assert os.listdir(tmp_path) == [] and server.requests == [None]
