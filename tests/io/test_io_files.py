"""Atomic writes: a failed write leaves the old file; a killed one's temporary can be cleared."""

from __future__ import annotations

from pathlib import Path

import pytest

from inrkit.errors import InrkitError
from inrkit.io.files import atomic_write, remove_interrupted_writes, temp_path_beside


def test_failed_write_keeps_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "epoch-last.pth"
    target.write_bytes(b"old")

    def fails(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(InrkitError, match=r"epoch-last.pth: cannot write \(No space left"):
        atomic_write(target, fails, os_error="cannot write")
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]


def test_remove_interrupted_writes_takes_only_our_temporaries(tmp_path: Path) -> None:
    # What a SIGKILL in mid-write leaves: temp_path_beside's name, never renamed.
    left = [temp_path_beside(tmp_path / n) for n in ("epoch-last.pth", "loss.png", "x")]
    keep = [tmp_path / n for n in (".notes.part", ".a.1234567.part", "b.0123abcd.part", "c.pth")]
    for path in left + keep:
        path.write_bytes(b"x")
    assert sorted(remove_interrupted_writes(tmp_path)) == sorted(left)
    assert sorted(tmp_path.iterdir()) == sorted(keep)
