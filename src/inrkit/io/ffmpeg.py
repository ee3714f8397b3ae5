"""The ffmpeg binary and running it: finding it, child processes, one-line errors.

What :mod:`inrkit.io.video_read` (probing, decoding) and :mod:`inrkit.io.video_write`
(encoding, joining, muxing) share. The binary is the one the ``imageio-ffmpeg`` package ships
(a dependency, so no system ffmpeg is needed); ``IMAGEIO_FFMPEG_EXE`` points elsewhere.

Every child runs in its own session: Ctrl+C reaches Python alone, which stops the children
itself; if Python is killed, the encoder sees its input end and the decoder its output close.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path
from typing import IO, TypedDict

from inrkit.errors import InrkitError, file_error


class ChildOptions(TypedDict):
    """Popen's keywords that CHILD_OPTIONS sets (a TypedDict, so Popen's overloads still see
    that the pipes carry bytes)."""

    start_new_session: bool
    restore_signals: bool


# Own session: Ctrl+C reaches Python only, which stops the children. Signals Python ignores
# stay ignored (restore_signals=False): a file size limit then fails a write with "File too
# large" instead of killing ffmpeg silently.
CHILD_OPTIONS: ChildOptions = {"start_new_session": True, "restore_signals": False}
"""Keyword arguments of :class:`subprocess.Popen` for every ffmpeg child."""


def ffmpeg_executable() -> str | None:
    """The ffmpeg binary: ``$IMAGEIO_FFMPEG_EXE``, imageio-ffmpeg's own, else one on PATH."""
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # not installed, or no binary for this platform and none on PATH
        exe = shutil.which("ffmpeg")
    if exe and (os.path.isfile(exe) or shutil.which(exe)):
        return exe
    return None


def require_ffmpeg(purpose: str = "video") -> str:
    """The ffmpeg binary, or a one-line error saying how to get one."""
    exe = ffmpeg_executable()
    if exe is None:
        raise InrkitError(
            f"{purpose} needs ffmpeg, which the imageio-ffmpeg package ships: "
            "'pip install imageio-ffmpeg' (or set IMAGEIO_FFMPEG_EXE to an ffmpeg binary)"
        )
    return exe


def quiet_command(*args: str) -> list[str]:
    """``ffmpeg`` with no banner, no keyboard and errors only, then ``args``."""
    return [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]


def file_arg(path: Path) -> str:
    """A path as ffmpeg input/output: ``file:`` stops names like ``concat:a|b`` or ``-x``
    from being read as protocols or options."""
    return "file:" + os.fspath(path)


def ffmpeg_reason(stderr: bytes | str, default: str = "failed") -> str:
    """ffmpeg's last complaint in ``stderr``, without its ``[component @ 0x...]`` prefixes."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", lines[-1]) if lines else default


def run_ffmpeg(args: list[str], path: Path, what: str, hint: str = "") -> str:
    """Run ffmpeg quietly with ``args``; its stdout, or ``PATH: what (ffmpeg's reason)hint``."""
    done = subprocess.run(quiet_command(*args), capture_output=True, check=False, **CHILD_OPTIONS)
    if done.returncode != 0:
        raise file_error(path, f"{what} ({ffmpeg_reason(done.stderr)}){hint}")
    return done.stdout.decode(errors="replace")


def exit_reason(proc: subprocess.Popen[bytes], log: IO[bytes], default: str = "failed") -> str:
    """Why a child ended: its last complaint in ``log``, else the signal that stopped it."""
    log.seek(0)
    said = ffmpeg_reason(log.read(), "")
    if said:
        return said
    if proc.returncode is not None and proc.returncode < 0:
        return f"ffmpeg was stopped by {signal.Signals(-proc.returncode).name}"
    return default


def stop_child(proc: subprocess.Popen[bytes] | None) -> None:
    """End a child we started, whatever state it is in, and reap it."""
    if proc is None:
        return
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:  # a broken pipe when flushing
                pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()
