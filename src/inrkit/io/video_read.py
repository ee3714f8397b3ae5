"""Video in through ffmpeg: probing a file's header, counting and decoding its frames to RGB.

Writing, joining and muxing are in :mod:`inrkit.io.video_write`; finding and running the
binary in :mod:`inrkit.io.ffmpeg`. Frames cross the process boundary as raw ``rgb24`` bytes on
a pipe, one (H, W, 3) uint8 array at a time, so memory holds one frame however long the video.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO

import numpy as np

from inrkit.errors import file_error
from inrkit.io.ffmpeg import (
    CHILD_OPTIONS,
    exit_reason,
    ffmpeg_reason,
    file_arg,
    quiet_command,
    require_ffmpeg,
    stop_child,
)

#: Names that ``inrkit upscale`` treats as videos (anything else goes to the image reader).
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts"}
    | {".flv", ".wmv", ".3gp", ".ogv", ".y4m"}
)


# ----- probing -------------------------------------------------------------------------------
@dataclass(frozen=True)
class VideoInfo:
    """What ``ffmpeg -i`` says about a file's first video stream (and its audio)."""

    width: int
    """Frame width as decoded: a display rotation of 90 or 270 degrees is already applied."""
    height: int
    """Frame height as decoded."""
    fps: Fraction
    """Frame rate (NTSC rates exact: 30000/1001). Variable-rate video gives its average."""
    sar: Fraction
    """Sample (pixel) aspect ratio; 1 when the file does not say."""
    duration: float | None
    """Seconds, when the container knows."""
    audio: tuple[str, ...]
    """Codec names of the audio streams, in order (empty: no audio)."""
    container: str
    """ffmpeg's demuxer names, e.g. ``mov,mp4,m4a,3gp,3g2,mj2``."""


_INPUT = re.compile(r"^Input #0, (.+), from ", re.M)
_STREAM = re.compile(r"\s*Stream #0:\d+[^:]*: (Video|Audio): (.*)")
_SIZE = re.compile(r", (\d+)x(\d+)(?=[ ,\[]|$)")
_SAR = re.compile(r"\[SAR (\d+):(\d+) DAR")
_RATE = re.compile(r", ([\d.]+)(k?) (fps|tbr)")
_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_ROTATION = re.compile(r"rotation of (-?[\d.]+) degrees")


def exact_rate(text: str) -> Fraction:
    """ffmpeg's printed rate (two decimals at most) back to a fraction: 29.97 -> 30000/1001."""
    value = Fraction(text)
    n = round(value * Fraction(1001, 1000))
    ntsc = Fraction(n * 1000, 1001)
    if value.denominator != 1 and abs(ntsc - value) <= Fraction(6, 1000):
        return ntsc
    return value.limit_denominator(1000)


def _parse_rate(line: str) -> Fraction | None:
    rates = {kind: (value, k) for value, k, kind in _RATE.findall(line)}
    if not rates:
        return None
    value, k = rates["fps"] if "fps" in rates else rates["tbr"]
    rate = exact_rate(value) * (1000 if k else 1)
    return rate if rate > 0 else None


def probe(path: Path) -> VideoInfo:
    """Read a video's header with ``ffmpeg -i``; one-line errors for anything not a video."""
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "is a directory" if path.is_dir() else "no such file")
    if path.stat().st_size == 0:
        raise file_error(path, "empty file, not a video")
    cmd = [require_ffmpeg(), "-hide_banner", "-nostdin", "-i", file_arg(path)]
    # Without an output ffmpeg exits 1 after printing the header: that is the probe.
    text = subprocess.run(cmd, capture_output=True, check=False, **CHILD_OPTIONS).stderr.decode(
        errors="replace"
    )
    container = _INPUT.search(text)
    if container is None:
        raise file_error(path, f"not a video, or a damaged one ({ffmpeg_reason(text)})")
    name = container[1]
    if name.endswith("_pipe") or name in ("image2", "gif", "tty"):
        raise file_error(path, f"not a video: ffmpeg reads it as an image ({name})")
    # One block per stream: its "Stream #0:N ..." line, then its metadata and side data.
    blocks = re.split(r"(?m)^(?=\s*Stream #0:)", text)[1:]
    streams = [(m[1], m[2], block) for block in blocks if (m := _STREAM.match(block))]
    video = [(d, b) for kind, d, b in streams if kind == "Video" and "attached pic" not in d]
    if not video:
        raise file_error(path, "no video stream in this file")
    desc, block = video[0]
    size, rate = _SIZE.search(desc), _parse_rate(desc)
    if size is None or rate is None:
        raise file_error(path, "the video stream has no frame size or frame rate")
    w, h = int(size[1]), int(size[2])
    if w < 1 or h < 1:
        raise file_error(path, f"the video stream is {w}x{h} pixels")
    num, den = map(int, sar_match.groups()) if (sar_match := _SAR.search(desc)) else (1, 1)
    sar = Fraction(num, den) if num > 0 and den > 0 else Fraction(1)  # 0:1 means unknown
    rotation = _ROTATION.search(block)
    if rotation and round(float(rotation[1])) % 180 == 90:  # ffmpeg turns the frames upright
        w, h, sar = h, w, 1 / sar
    duration = _DURATION.search(text)
    seconds = (
        int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]) if duration else None
    )
    audio = tuple(d.split()[0].rstrip(",") for kind, d, _ in streams if kind == "Audio")
    return VideoInfo(w, h, rate, sar, seconds, audio, name)


def count_frames(path: Path, stop: int | None = None) -> int:
    """Decode the first video stream to count its frames (up to ``stop``); a corrupt or
    truncated stream is an error here, before any work is spent on it."""
    limit = ["-frames:v", str(stop)] if stop is not None else []
    # -xerror: a decoding error ends ffmpeg with an error instead of a warning.
    cmd = quiet_command("-xerror", "-i", file_arg(path), "-map", "0:v:0")
    cmd += ["-fps_mode", "passthrough", *limit]
    cmd += ["-f", "null", "-", "-progress", "pipe:1", "-nostats"]
    done = subprocess.run(cmd, capture_output=True, check=False, **CHILD_OPTIONS)
    counts = re.findall(rb"^frame=(\d+)", done.stdout, re.M)
    frames = int(counts[-1]) if counts else 0
    if done.returncode != 0:
        # The first complaint is the cause; later lines are ffmpeg winding down.
        reason = ffmpeg_reason(done.stderr.splitlines()[0] if done.stderr.strip() else b"")
        raise file_error(
            path, f"corrupt or truncated video: decoding failed after frame {frames} ({reason})"
        )
    if frames == 0:
        raise file_error(path, "the video stream has no frames")
    return frames


# ----- frames in -----------------------------------------------------------------------------
class FrameReader:
    """The frames ``start`` .. ``end - 1`` of a video's first stream as (H, W, 3) uint8 arrays.

    A context manager; iterate over it. Counting from 0 as :func:`count_frames` does (every
    decoded frame, no rate conversion). Fewer frames than asked for is an error.
    """

    def __init__(self, path: Path, size: tuple[int, int], start: int, end: int) -> None:
        self.path, (self.h, self.w), self.start, self.end = Path(path), size, start, end
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def __enter__(self) -> FrameReader:
        self._log = tempfile.TemporaryFile()
        trim = f"trim=start_frame={self.start}:end_frame={self.end}"
        cmd = quiet_command("-xerror", "-i", file_arg(self.path), "-map", "0:v:0")
        cmd += ["-fps_mode", "passthrough", "-vf", trim]
        cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        self._proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=self._log, **CHILD_OPTIONS
        )
        return self

    def __iter__(self) -> Iterator[np.ndarray]:
        assert self._proc is not None and self._proc.stdout is not None, "use it in a with"
        size = self.h * self.w * 3
        for i in range(self.start, self.end):
            data = self._proc.stdout.read(size)
            if len(data) != size:
                self._proc.wait()
                assert self._log is not None
                reason = exit_reason(self._proc, self._log, "the file changed or ends early")
                raise file_error(self.path, f"could not decode frame {i} ({reason})")
            yield np.frombuffer(data, np.uint8).reshape(self.h, self.w, 3)

    def __exit__(self, *exc: object) -> None:
        stop_child(self._proc)
        if self._log is not None:
            self._log.close()


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a (small) video, decoded to RGB: for tests and checks, not for streams."""
    info = probe(path)
    n = count_frames(path)
    with FrameReader(path, (info.height, info.width), 0, n) as reader:
        return [frame.copy() for frame in reader]
