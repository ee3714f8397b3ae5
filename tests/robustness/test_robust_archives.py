"""`inrkit data fetch` against hostile archives served from 127.0.0.1.

Each archive hides one way out of ``--root``: a ``../`` name, an absolute name, a symbolic link
followed by a member written through it, a hard link to a file outside, a special file — in
zip, tar and gzipped tar. Each must be refused by the command with one line naming the
archive and the member (exit 2), before anything is unpacked: ``--root`` then holds only the
downloaded archive, and nothing outside it changed. (tests/data covers the same checks on
``extract_archive`` and ``fetch`` one level down.)
"""

from __future__ import annotations

import dataclasses
import http.server
import io
import stat
import tarfile
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from testlib.robustness import assert_one_error, run_main

from inrkit.data.fetch import ARCHIVES

GOOD = "benchmark/Set5/HR/a.png"  # a harmless member first, as a real archive would have


def _zip(members: list[tuple[str, bytes, int]]) -> bytes:
    """(name, bytes, file type bits or 0) -> zip bytes; type bits as unix zips keep them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data, kind in [(GOOD, b"png", 0), *members]:
            info = zipfile.ZipInfo(name)
            if kind:
                info.create_system = 3  # unix: st_mode in the high 16 bits
                info.external_attr = (kind | 0o777) << 16
            zf.writestr(info, data)
    return out.getvalue()


def _tar(members: list[tuple[str, bytes, bytes, str]], mode: str = "w") -> bytes:
    """(name, bytes, tar type, link target) -> tar bytes (``mode`` "w:gz" to compress)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=mode) as tf:
        for name, data, kind, target in [(GOOD, b"png", tarfile.REGTYPE, ""), *members]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.size = kind, target, len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


# name -> (archive bytes given the outside folder, the refused member, why)
CASES: dict[str, Callable[[Path], tuple[bytes, str, str]]] = {
    "zip-dotdot": lambda out: (
        _zip([("../outside/evil", b"x", 0)]),
        "../outside/evil",
        "it leads outside the folder",
    ),
    "zip-absolute": lambda out: (
        _zip([(f"{out}/evil", b"x", 0)]),
        f"{out}/evil",
        "absolute path",
    ),
    "zip-symlink": lambda out: (
        _zip(
            [("benchmark/Set14", str(out).encode(), stat.S_IFLNK), ("benchmark/Set14/x", b"x", 0)]
        ),
        "benchmark/Set14",
        "symbolic link",
    ),
    "zip-fifo": lambda out: (
        _zip([("benchmark/pipe", b"", stat.S_IFIFO)]),
        "benchmark/pipe",
        "special file",
    ),
    "tar-dotdot": lambda out: (
        _tar([("benchmark/../../outside/evil", b"x", tarfile.REGTYPE, "")]),
        "benchmark/../../outside/evil",
        "it leads outside the folder",
    ),
    "tar-absolute": lambda out: (
        _tar([(f"{out}/evil", b"x", tarfile.REGTYPE, "")]),
        f"{out}/evil",
        "absolute path",
    ),
    "tar-symlink": lambda out: (
        _tar(
            [
                ("benchmark/Set14", b"", tarfile.SYMTYPE, str(out)),
                ("benchmark/Set14/victim", b"overwritten", tarfile.REGTYPE, ""),
            ]
        ),
        "benchmark/Set14",
        "symbolic link",
    ),
    "tar-hardlink": lambda out: (
        _tar([("benchmark/victim", b"", tarfile.LNKTYPE, str(out / "victim"))]),
        "benchmark/victim",
        "hard link",
    ),
    "tar-relative-hardlink": lambda out: (
        _tar([("benchmark/victim", b"", tarfile.LNKTYPE, "../outside/victim")]),
        "benchmark/victim",
        "hard link",
    ),
    "tgz-dotdot": lambda out: (
        _tar([("../outside/evil", b"x", tarfile.REGTYPE, "")], mode="w:gz"),
        "../outside/evil",
        "it leads outside the folder",
    ),
    "tgz-symlink": lambda out: (
        _tar([("benchmark/Set14", b"", tarfile.SYMTYPE, "../../outside")], mode="w:gz"),
        "benchmark/Set14",
        "symbolic link",
    ),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_GET(self) -> None:
        data = self.server.payload
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def mirror(monkeypatch):
    """A server on 127.0.0.1 answering every path with ``server.payload``; the benchmark entry
    of the table without its checksum, so that the hostile archive reaches extraction."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.payload = b""
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY", "INRKIT_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("INRKIT_DOWNLOAD_MIRROR", f"http://127.0.0.1:{srv.server_port}/")
    entry = dataclasses.replace(ARCHIVES["benchmark"][0], md5=None)
    monkeypatch.setitem(ARCHIVES, "benchmark", (entry,))
    yield srv
    srv.shutdown()
    srv.server_close()


def _tree(folder: Path) -> dict[str, bytes | None]:
    return {
        str(p.relative_to(folder)): p.read_bytes() if p.is_file() and not p.is_symlink() else None
        for p in sorted(folder.rglob("*"))
    }


@pytest.mark.parametrize("case", sorted(CASES))
def test_fetch_refuses_hostile_archive(case: str, mirror, tmp_path: Path, capsys) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_bytes(b"precious")
    root = tmp_path / "root"
    mirror.payload, member, why = CASES[case](outside)
    before = _tree(tmp_path)
    rc, err = run_main(capsys, "data", "fetch", "benchmark", "--root", root, "-q")
    archive = root / "benchmark.tar"
    assert_one_error(rc, err, archive)
    assert f"refusing member {member!r}: {why}" in err
    # Only the downloaded archive appeared, inside --root; no link, no staging folder.
    after = _tree(tmp_path)
    assert {k: v for k, v in after.items() if not k.startswith("root")} == before
    assert sorted(k for k in after if k.startswith("root")) == ["root", "root/benchmark.tar"]
