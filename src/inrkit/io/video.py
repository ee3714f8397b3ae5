"""Video through ffmpeg: probing, decoding to RGB frames, H.264 encoding, concatenating, muxing.

The one home of inrkit's ffmpeg plumbing: GIRAFFE's ``--format mp4`` and ``inrkit upscale
clip.mp4`` both come through here. The binary is the one the ``imageio-ffmpeg`` package ships
(a dependency, so no system ffmpeg is needed); ``IMAGEIO_FFMPEG_EXE`` points elsewhere.

Frames cross the process boundary as raw ``rgb24`` bytes on pipes, one (H, W, 3) uint8 array at
a time, so memory holds one frame however long the video. Outputs are H.264, yuv420p with the
BT.709 matrix (tagged, so players and ffmpeg decode the colours back as they were encoded).
Every child runs in its own session: Ctrl+C reaches Python alone, which stops the children
itself; if Python is killed, the encoder sees its input end and the decoder its output close.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import numpy as np

from inrkit.errors import InrkitError, file_error
from inrkit.io.files import atomic_write

#: Names that ``inrkit upscale`` treats as videos (anything else goes to the image reader).
VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".m2ts"}
    | {".flv", ".wmv", ".3gp", ".ogv", ".y4m"}
)
DEFAULT_CRF = 18  # x264's "visually lossless" end; its own default, 23, blurs fine detail
# BT.709 for the RGB -> YUV matrix, and the tags that tell decoders so.
_BT709 = (
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
)


# ----- the binary ----------------------------------------------------------------------------
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


# Own session: Ctrl+C reaches Python only, which stops the children. Signals Python ignores
# stay ignored (restore_signals=False): a file size limit then fails a write with "File too
# large" instead of killing ffmpeg silently.
_CHILD: dict[str, Any] = {"start_new_session": True, "restore_signals": False}


def _arg(path: Path) -> str:
    """A path as ffmpeg input/output: ``file:`` stops names like ``concat:a|b`` or ``-x``
    from being read as protocols or options."""
    return "file:" + os.fspath(path)


def _last_line(stderr: bytes | str, default: str = "failed") -> str:
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # ffmpeg prefixes lines with "[component @ 0x...]"; the reason is what follows.
    return re.sub(r"^(\[[^\]]*\]\s*)+", "", lines[-1]) if lines else default


def run_ffmpeg(args: list[str], path: Path, what: str, hint: str = "") -> str:
    """Run ffmpeg quietly with ``args``; its stdout, or ``PATH: what (ffmpeg's reason)hint``."""
    cmd = [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", *args]
    done = subprocess.run(cmd, capture_output=True, check=False, **_CHILD)
    if done.returncode != 0:
        raise file_error(path, f"{what} ({_last_line(done.stderr)}){hint}")
    return done.stdout.decode(errors="replace")


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
    value, k = rates.get("fps", rates.get("tbr"))  # type: ignore[misc]
    rate = exact_rate(value) * (1000 if k else 1)
    return rate if rate > 0 else None


def probe(path: Path) -> VideoInfo:
    """Read a video's header with ``ffmpeg -i``; one-line errors for anything not a video."""
    path = Path(path)
    if not path.is_file():
        raise file_error(path, "is a directory" if path.is_dir() else "no such file")
    if path.stat().st_size == 0:
        raise file_error(path, "empty file, not a video")
    cmd = [require_ffmpeg(), "-hide_banner", "-nostdin", "-i", _arg(path)]
    # Without an output ffmpeg exits 1 after printing the header: that is the probe.
    text = subprocess.run(cmd, capture_output=True, check=False, **_CHILD).stderr.decode(
        errors="replace"
    )
    container = _INPUT.search(text)
    if container is None:
        raise file_error(path, f"not a video, or a damaged one ({_last_line(text)})")
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
    num, den = map(int, _SAR.search(desc).groups()) if _SAR.search(desc) else (1, 1)
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
    cmd = [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror"]
    cmd += ["-i", _arg(path), "-map", "0:v:0", "-fps_mode", "passthrough", *limit]
    cmd += ["-f", "null", "-", "-progress", "pipe:1", "-nostats"]
    done = subprocess.run(cmd, capture_output=True, check=False, **_CHILD)
    counts = re.findall(rb"^frame=(\d+)", done.stdout, re.M)
    frames = int(counts[-1]) if counts else 0
    if done.returncode != 0:
        # The first complaint is the cause; later lines are ffmpeg winding down.
        reason = _last_line(done.stderr.splitlines()[0] if done.stderr.strip() else b"")
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
        cmd = [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-xerror"]
        cmd += ["-i", _arg(self.path), "-map", "0:v:0", "-fps_mode", "passthrough", "-vf", trim]
        cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self._log, **_CHILD)
        return self

    def __iter__(self) -> Iterator[np.ndarray]:
        assert self._proc is not None and self._proc.stdout is not None, "use it in a with"
        size = self.h * self.w * 3
        for i in range(self.start, self.end):
            data = self._proc.stdout.read(size)
            if len(data) != size:
                self._proc.wait()
                assert self._log is not None
                reason = _why(self._proc, self._log, "the file changed or ends early")
                raise file_error(self.path, f"could not decode frame {i} ({reason})")
            yield np.frombuffer(data, np.uint8).reshape(self.h, self.w, 3)

    def __exit__(self, *exc: object) -> None:
        _stop(self._proc)
        if self._log is not None:
            self._log.close()


def _why(proc: subprocess.Popen[bytes], log: IO[bytes], default: str = "failed") -> str:
    """Why a child ended: its last complaint, else the signal that stopped it."""
    log.seek(0)
    said = _last_line(log.read(), "")
    if said:
        return said
    if proc.returncode is not None and proc.returncode < 0:
        return f"ffmpeg was stopped by {signal.Signals(-proc.returncode).name}"
    return default


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
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


# ----- frames out ----------------------------------------------------------------------------
class Mp4Writer:
    """An H.264 MP4 fed one (H, W, 3) uint8 frame at a time, through an ffmpeg pipe.

    A context manager writing straight to ``path`` (callers give a temporary name and rename
    it when done). An odd ``size`` is padded to even with ``pad_odd`` (x264's yuv420p needs
    even sides), else refused. Without ``b_frames`` the stream has no reordered frames, so
    segments joined by :func:`concat_mp4` keep one frame duration throughout. Leaving the
    block by an exception kills ffmpeg; the caller deletes ``path``.
    """

    def __init__(
        self,
        path: Path,
        size: tuple[int, int],
        fps: Fraction | float,
        *,
        crf: int = DEFAULT_CRF,
        sar: Fraction = Fraction(1),
        pad_odd: bool = False,
        b_frames: bool = True,
        name: Path | None = None,
    ) -> None:
        self.path, (self.h, self.w), self.crf = Path(path), size, crf
        self.fps = Fraction(fps).limit_denominator(100_000)  # a float 23.976 -> 2997/125
        self.sar, self.pad_odd, self.b_frames = sar, pad_odd, b_frames
        self.name = name or self.path  # the path errors mention
        if not pad_odd and (self.h % 2 or self.w % 2):
            raise InrkitError(f"H.264 (yuv420p) needs even frame sides, got {self.h}x{self.w}")
        self.frames = 0
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def command(self) -> list[str]:
        """The ffmpeg command line: raw RGB on stdin to H.264 in ``path``."""
        pad = "pad=ceil(iw/2)*2:ceil(ih/2)*2," if self.pad_odd else ""
        vf = f"{pad}{_BT709},setsar={self.sar.numerator}/{self.sar.denominator}"
        cmd = [require_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.w}x{self.h}"]
        cmd += ["-framerate", f"{self.fps.numerator}/{self.fps.denominator}", "-i", "pipe:0"]
        cmd += ["-vf", vf, "-c:v", "libx264", "-crf", str(self.crf), "-pix_fmt", "yuv420p"]
        if not self.b_frames:  # decode order = display order: parts join with even timestamps
            cmd += ["-bf", "0"]
        return cmd + ["-an", "-f", "mp4", _arg(self.path)]

    def __enter__(self) -> Mp4Writer:
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            **_CHILD,
        )
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one (H, W, 3) uint8 frame."""
        assert self._proc is not None and self._proc.stdin is not None, "use it in a with"
        if frame.shape != (self.h, self.w, 3) or frame.dtype != np.uint8:
            raise InrkitError(
                f"frames must be {self.h}x{self.w}x3 uint8, got {frame.shape} {frame.dtype}"
            )
        try:
            self._proc.stdin.write(np.ascontiguousarray(frame).data)
        except BrokenPipeError:  # ffmpeg gave up (a full disk, say): its reason is in the log
            self._fail()
        self.frames += 1

    def _fail(self) -> None:
        assert self._proc is not None and self._log is not None
        try:
            self._proc.wait(timeout=10)  # it is exiting: let it say why
        except subprocess.TimeoutExpired:
            pass
        _stop(self._proc)
        raise file_error(self.name, f"cannot write the video ({_why(self._proc, self._log)})")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        assert self._proc is not None and self._log is not None
        try:
            if exc_type is not None:
                _stop(self._proc)
                return
            try:
                self._proc.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass
            if self._proc.wait() != 0 or self.frames == 0:
                self._fail()
        finally:
            self._log.close()


def write_mp4(
    path: Path, frames: Iterable[np.ndarray], fps: Fraction | float, *, crf: int = DEFAULT_CRF
) -> Path:
    """An H.264 MP4 of RGB uint8 frames at ``path``, written atomically (odd sides padded)."""
    require_ffmpeg("MP4 output")
    frames = iter(frames)
    first = next(frames)

    def write(tmp: Path) -> None:
        with Mp4Writer(tmp, first.shape[:2], fps, crf=crf, pad_odd=True, name=path) as out:
            out.write(first)
            for frame in frames:
                out.write(frame)

    return atomic_write(path, write, make_folders=True, os_error="cannot write")


def read_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a (small) video, decoded to RGB: for tests and checks, not for streams."""
    info = probe(path)
    n = count_frames(path)
    with FrameReader(path, (info.height, info.width), 0, n) as reader:
        return [frame.copy() for frame in reader]


# ----- audio and the final file --------------------------------------------------------------
def copy_audio(src: Path, dst: Path, start: float | None = None, length: float | None = None):
    """Copy every audio stream of ``src`` (packets as they are, no re-encoding) into an MP4
    at ``dst``, optionally cut to ``length`` seconds from ``start`` (at packet edges)."""
    cut = ["-ss", f"{start:.6f}"] if start else []
    span = ["-t", f"{length:.6f}"] if length is not None else []
    run_ffmpeg(
        ["-y", *cut, "-i", _arg(src), *span, "-map", "0:a", "-vn", "-c", "copy", "-f", "mp4"]
        + [_arg(dst)],
        src,
        "its audio cannot be copied into an MP4 as it is",
        "; inrkit does not re-encode audio: add --no-audio to drop it",
    )


def concat_mp4(parts: list[Path], dst: Path, audio: Path | None = None, name: Path | None = None):
    """Join H.264 MP4 ``parts`` (same settings) without re-encoding, with ``audio`` muxed in.

    Uses ffmpeg's concat demuxer; the list file lives beside the parts, which keep plain
    names, so no quoting is needed.
    """
    listing = parts[0].parent / "concat.txt"
    listing.write_text("ffconcat version 1.0\n" + "".join(f"file {p.name}\n" for p in parts))
    inputs = ["-f", "concat", "-safe", "0", "-i", _arg(listing)]
    maps = ["-map", "0:v:0"]
    if audio is not None:
        inputs += ["-i", _arg(audio)]
        maps += ["-map", "1:a"]
    run_ffmpeg(
        ["-y", *inputs, *maps, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", _arg(dst)],
        name or dst,
        "cannot join the video",
    )
