"""Safe extraction: zip slip, absolute names, links and devices are refused before any write."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import zipfile
from pathlib import Path

import pytest

from inrkit.io.archives import ArchiveError, extract_archive


def _zip(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.create_system = 3  # unix: st_mode in the high bits
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def _tar(path: Path, members: list[tarfile.TarInfo], data: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tf:
        for info in members:
            body = data.get(info.name)
            if body is not None:
                info.size = len(body)
            tf.addfile(info, io.BytesIO(body) if body is not None else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def _everything(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def test_zip_and_tar_extract_and_merge(tmp_path):
    target = tmp_path / "root" / "div2k"
    a = _zip(tmp_path / "a.zip", {"LR/X2/0801x2.png": b"two", "LR/": b""})
    b = _tar(
        tmp_path / "b.tar",
        [_member("LR/X3/0801x3.png"), _member("./")],
        {"LR/X3/0801x3.png": b"three"},
    )
    assert extract_archive(a, target, progress=False) == ["LR"]
    assert extract_archive(b, target, progress=False) == ["LR"]  # merged into the same folder
    assert (target / "LR/X2/0801x2.png").read_bytes() == b"two"
    assert (target / "LR/X3/0801x3.png").read_bytes() == b"three"
    assert _everything(target) == {"LR", "LR/X2", "LR/X3", "LR/X2/0801x2.png", "LR/X3/0801x3.png"}


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.txt", "it leads outside the folder"),
        ("ok/../../evil.txt", "it leads outside the folder"),
        ("..\\evil.txt", "it leads outside the folder"),
        ("/tmp/evil.txt", "absolute path"),
        ("C:/evil.txt", "absolute path"),
    ],
)
def test_zip_slip_and_absolute_names_refused(tmp_path, name, why):
    archive = _zip(tmp_path / "bad.zip", {"good/file.txt": b"ok", name: b"evil"})
    target = tmp_path / "root" / "data"
    with pytest.raises(ArchiveError) as info:
        extract_archive(archive, target, progress=False)
    assert str(info.value) == f"{archive}: refusing member {name!r}: {why}"
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
    assert _everything(tmp_path / "root") == {"data"}  # checked before anything was written


def test_links_and_devices_refused(tmp_path):
    cases = [
        (_zip(tmp_path / "l.zip", {"a.txt": b"a"}, links={"ln": "/etc"}), "'ln': symbolic link"),
        (_tar(tmp_path / "s.tar", [_member("link", tarfile.SYMTYPE, "/etc")], {}), "symbolic link"),
        (_tar(tmp_path / "h.tar", [_member("hard", tarfile.LNKTYPE, "/etc/x")], {}), "hard link"),
        (_tar(tmp_path / "c.tar", [_member("tty", tarfile.CHRTYPE)], {}), "device or pipe"),
        (_tar(tmp_path / "f.tar", [_member("fifo", tarfile.FIFOTYPE)], {}), "device or pipe"),
    ]
    for archive, why in cases:
        with pytest.raises(ArchiveError, match=why):
            extract_archive(archive, tmp_path / "root", progress=False)
    assert os.listdir(tmp_path / "root") == []


def test_never_writes_through_a_link_in_the_target(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "LR").symlink_to(outside)
    archive = _zip(tmp_path / "a.zip", {"LR/x.png": b"x"})
    with pytest.raises(ArchiveError, match="is a symbolic link; refusing to extract through it"):
        extract_archive(archive, tmp_path / "root", progress=False)
    assert os.listdir(outside) == [] and sorted(os.listdir(tmp_path / "root")) == ["LR"]


def test_corrupt_duplicate_and_clashing(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"neither zip nor tar")
    with pytest.raises(ArchiveError, match="not a zip or tar archive"):
        extract_archive(junk, tmp_path / "root", progress=False)
    data = _zip(tmp_path / "a.zip", {"x/file.png": b"abc" * 100}).read_bytes()
    broken = tmp_path / "broken.zip"
    broken.write_bytes(data.replace(b"abc" * 100, b"abd" * 100))  # bad CRC
    with pytest.raises(ArchiveError, match="corrupt archive"):
        extract_archive(broken, tmp_path / "root", progress=False)
    twice = _tar(tmp_path / "t.tar", [_member("a"), _member("a")], {"a": b"1"})
    with pytest.raises(ArchiveError, match="'a' appears twice or clashes"):
        extract_archive(twice, tmp_path / "root", progress=False)
    (tmp_path / "root" / "x").write_text("a file where the archive has a folder")
    with pytest.raises(ArchiveError, match="exists and is not a folder"):
        extract_archive(_zip(tmp_path / "b.zip", {"x/y": b"1"}), tmp_path / "root", progress=False)
    assert os.listdir(tmp_path / "root") == ["x"]  # no staging folder left behind
