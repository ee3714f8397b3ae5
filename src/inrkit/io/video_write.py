"""Video out through ffmpeg: H.264 MP4 encoding, joining MP4 segments, copying audio across.

Reading and probing are in :mod:`inrkit.io.video_read`; finding and running the binary in
:mod:`inrkit.io.ffmpeg`. GIRAFFE's ``--format mp4`` and ``inrkit upscale clip.mp4`` both come
through here. Frames reach the encoder as raw ``rgb24`` bytes on a pipe, one (H, W, 3) uint8
array at a time. Outputs are H.264, yuv420p with the BT.709 matrix (tagged, so players and
ffmpeg decode the colours back as they were encoded).
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path
from typing import IO

import numpy as np

from inrkit.errors import InrkitError, file_error
from inrkit.io.ffmpeg import (
    CHILD_OPTIONS,
    exit_reason,
    file_arg,
    quiet_command,
    require_ffmpeg,
    run_ffmpeg,
    stop_child,
)
from inrkit.io.files import atomic_write

DEFAULT_CRF = 18  # x264's "visually lossless" end; its own default, 23, blurs fine detail
# BT.709 for the RGB -> YUV matrix, and the tags that tell decoders so.
_BT709 = (
    "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
)


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
        cmd = quiet_command("-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{self.w}x{self.h}")
        cmd += ["-framerate", f"{self.fps.numerator}/{self.fps.denominator}", "-i", "pipe:0"]
        cmd += ["-vf", vf, "-c:v", "libx264", "-crf", str(self.crf), "-pix_fmt", "yuv420p"]
        if not self.b_frames:  # decode order = display order: parts join with even timestamps
            cmd += ["-bf", "0"]
        return cmd + ["-an", "-f", "mp4", file_arg(self.path)]

    def __enter__(self) -> Mp4Writer:
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            **CHILD_OPTIONS,
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
        stop_child(self._proc)
        reason = exit_reason(self._proc, self._log)
        raise file_error(self.name, f"cannot write the video ({reason})")

    def __exit__(self, exc_type: object, *exc: object) -> None:
        assert self._proc is not None and self._proc.stdin is not None and self._log is not None
        try:
            if exc_type is not None:
                stop_child(self._proc)
                return
            try:
                self._proc.stdin.close()
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


# ----- audio and the final file --------------------------------------------------------------
def copy_audio(src: Path, dst: Path, start: float | None = None, length: float | None = None):
    """Copy every audio stream of ``src`` (packets as they are, no re-encoding) into an MP4
    at ``dst``, optionally cut to ``length`` seconds from ``start`` (at packet edges)."""
    cut = ["-ss", f"{start:.6f}"] if start else []
    span = ["-t", f"{length:.6f}"] if length is not None else []
    run_ffmpeg(
        ["-y", *cut, "-i", file_arg(src), *span, "-map", "0:a", "-vn", "-c", "copy", "-f", "mp4"]
        + [file_arg(dst)],
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
    inputs = ["-f", "concat", "-safe", "0", "-i", file_arg(listing)]
    maps = ["-map", "0:v:0"]
    if audio is not None:
        inputs += ["-i", file_arg(audio)]
        maps += ["-map", "1:a"]
    run_ffmpeg(
        ["-y", *inputs, *maps, "-c", "copy", "-movflags", "+faststart", "-f", "mp4", file_arg(dst)],
        name or dst,
        "cannot join the video",
    )
