"""Tiny video clips made with the ffmpeg that imageio-ffmpeg ships, and ways to look inside.

Imported by the video tests of tests/io, tests/liif, tests/cli and tests/robustness.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from inrkit.io.ffmpeg import require_ffmpeg

FFMPEG = require_ffmpeg()


def ffmpeg(*args: str | Path) -> None:
    """Run the bundled ffmpeg quietly; fail the test with its message if it fails."""
    cmd = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *map(str, args)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def make_clip(
    path: Path,
    *,
    size: tuple[int, int] = (24, 32),
    frames: int = 6,
    fps: str = "10",
    audio: bool = False,
    sar: str = "1/1",
    codec: tuple[str, ...] = ("-c:v", "libx264", "-pix_fmt", "yuv420p"),
    audio_codec: tuple[str, ...] = ("-c:a", "aac"),
    extra: tuple[str, ...] = (),
) -> Path:
    """A moving test pattern of ``frames`` frames of ``size`` (H, W), with a 440 Hz sine when
    ``audio``."""
    h, w = size
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={w}x{h}:rate={fps}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=8000"]
    seconds = frames / eval(fps)  # noqa: S307 (our own literal: "10", "30000/1001")
    # The hue turns a full circle a second: every frame differs from the next.
    out = ["-frames:v", str(frames), "-vf", f"hue=H=2*PI*t,setsar={sar}", *codec]
    if audio:
        out += [*audio_codec, "-t", f"{seconds:.6f}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    ffmpeg(*inputs, *out, *extra, path)
    return path


def packets(path: Path, stream: str) -> list[str]:
    """Per-packet timestamps, sizes and MD5s of the first ``stream`` ("a" or "v"), copied as
    they are in the file: equal lists mean bit-identical packets."""
    cmd = [FFMPEG, "-nostdin", "-loglevel", "error", "-i", str(path), "-map", f"0:{stream}:0"]
    cmd += ["-c", "copy", "-f", "framemd5", "-"]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if not line.startswith("#")]
