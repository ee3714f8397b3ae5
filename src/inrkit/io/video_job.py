"""Transforming a video frame by frame into an MP4, in segments that a kill cannot undo.

Frames stream from one ffmpeg decoder through the caller's function into H.264 segments of
``segment_frames`` frames, written in a hidden work folder beside the output,
``.NAME.mp4.inrkit-work/``:

- ``job.json``: what is being made from what (input size and time stamp, frame range, output
  size, rate, CRF, the caller's recipe, e.g. the model's hash), checked on resume;
- ``seg_00000.mp4``, ...: each written under a temporary name and renamed when complete;
- ``audio.mp4``: the input's audio packets, copied (never re-encoded) before any frame work, so
  an audio codec MP4 cannot hold is refused at once;
- ``lock``: held while a run works here, so two runs never write the same segments.

At the end the segments are joined with ffmpeg's concat demuxer (no re-encoding), the audio is
muxed in, the file is renamed to the output's name, and the folder goes. A run stopped any
way (Ctrl+C, kill, power cut) leaves the folder and never a partial output; ``resume=True``
goes on from the first missing segment. Memory holds one input frame, one output frame and
whatever the function needs, however long the video.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from inrkit.errors import InrkitError, file_error
from inrkit.io.files import atomic_write
from inrkit.io.images import DEFAULT_MAX_INPUT_PIXELS
from inrkit.io.video_read import FrameReader, count_frames, probe
from inrkit.io.video_write import DEFAULT_CRF, Mp4Writer, concat_mp4, copy_audio

JOB_VERSION = 1
DEFAULT_SEGMENT_FRAMES = 120  # 4-5 s of video: at most that is redone after a kill
DEFAULT_MAX_FRAMES = 100_000  # an hour at 25 fps; far more than a CPU upscales in a day
JOB_FILE, AUDIO_FILE, LOCK_FILE = "job.json", "audio.mp4", "lock"


@dataclass(frozen=True)
class VideoJob:
    """One video to transform: everything that decides the output's bytes."""

    src: Path
    """The input video."""
    dst: Path
    """The output MP4."""
    in_size: tuple[int, int]
    """Decoded input frame (H, W)."""
    out_size: tuple[int, int]
    """Output frame (H, W), both even (H.264 in yuv420p)."""
    frames: tuple[int, int]
    """Input frames ``start`` .. ``end - 1`` (counted from 0 as decoded)."""
    whole_input: bool
    """The range is every frame of the input: the audio is copied whole, else cut to it."""
    fps: Fraction
    """Output frame rate: the input's."""
    sar: Fraction = Fraction(1)
    """Sample (pixel) aspect ratio written into the output."""
    crf: int = 18
    """x264 constant rate factor: 0 lossless, 51 worst."""
    audio: bool = False
    """Copy the input's audio streams (cut to the frame range)."""
    segment_frames: int = DEFAULT_SEGMENT_FRAMES
    """Frames per segment: the most a resumed run redoes."""
    recipe: dict[str, Any] = field(default_factory=dict)
    """What else decides the frames (JSON values), e.g. the model's hash."""

    @property
    def n_frames(self) -> int:
        return self.frames[1] - self.frames[0]

    @property
    def n_segments(self) -> int:
        return math.ceil(self.n_frames / self.segment_frames)

    def describe(self) -> dict[str, Any]:
        """The JSON of ``job.json``: a resumed run must describe itself identically."""
        stat = self.src.stat()
        return {
            "version": JOB_VERSION,
            "input": str(self.src.resolve()),
            "input bytes": stat.st_size,
            "input mtime_ns": stat.st_mtime_ns,
            "frames": list(self.frames),
            "size": list(self.out_size),
            "fps": str(self.fps),
            "sar": str(self.sar),
            "crf": self.crf,
            "audio": self.audio,
            "segment frames": self.segment_frames,
            **self.recipe,
        }


# ----- planning: the output, the input, the limits -------------------------------------------
def check_output(src: Path, dst: Path, *, overwrite: bool) -> None:
    """Refuse an output that is the input, a folder, or exists (unless ``overwrite``)."""
    if dst.resolve() == src.resolve():
        raise file_error(dst, "would overwrite the input; choose another output name")
    if dst.is_dir():
        raise file_error(dst, "is a directory")
    if dst.exists() and not overwrite:
        raise file_error(dst, "already exists; use --overwrite to replace")


def _frame_range(
    src: Path, frames: tuple[int | None, int | None] | None, max_frames: int
) -> tuple[int, int, bool]:
    """(start, end, whether that is the whole video), decoding no further than needed."""
    start, end = frames or (None, None)
    for v in (start, end):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
            raise file_error(src, f"--frames: expected START:END frame numbers, got {frames!r}")
    start = start or 0
    # One frame past END or past the limit: enough to know, without decoding it all.
    stop = (end if end is not None else start + max_frames) + 1
    n = count_frames(src, stop)  # every frame, or ``stop`` when there are more
    if end is None:
        if n == stop:
            raise file_error(
                src,
                f"more than {max_frames} frames to upscale is over the limit (raise it with "
                "--max-frames, or pick a part with --frames START:END)",
            )
        end = n
    elif end > n:
        raise file_error(src, f"--frames ends at frame {end}, but the video has {n} frames")
    if start >= end:
        raise file_error(src, f"--frames starts at frame {start}, but the video has {n} frames")
    if end - start > max_frames:
        raise file_error(
            src,
            f"{end - start} frames to upscale is over the limit of {max_frames} (raise it "
            "with --max-frames)",
        )
    return start, end, start == 0 and end == n and n < stop


def plan_job(
    src: Path,
    dst: Path,
    size_of: Callable[[tuple[int, int]], tuple[int, int]],
    *,
    frames: tuple[int | None, int | None] | None = None,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_input_pixels: int = DEFAULT_MAX_INPUT_PIXELS,
    crf: int = DEFAULT_CRF,
    audio: bool = True,
    segment_frames: int = DEFAULT_SEGMENT_FRAMES,
    recipe: dict[str, Any] | None = None,
) -> VideoJob:
    """Probe and check one video job (ffmpeg decodes the range once); nothing is written.

    Args:
        size_of: Decoded input (H, W) -> wanted output (H, W); odd sides are rounded down to
            even (H.264 in yuv420p halves the colour planes). InrkitErrors it raises name
            ``src``.
        frames: (START, END): input frames START to END-1, counted from 0; either may be None.
        audio: Copy the input's audio, if it has any.
        Others: as the fields of :class:`VideoJob`.

    Raises:
        InrkitError: naming ``src``: not a video, no video stream, corrupt or truncated,
            frames or sizes over the limits.
    """
    if not src.exists():
        raise file_error(src, "no such file")
    info = probe(src)
    pixels = info.width * info.height
    if pixels > max_input_pixels:
        raise file_error(
            src,
            f"frames are {info.width}x{info.height} = {pixels} pixels, more than the limit of "
            f"{max_input_pixels} (raise it with --max-input-pixels)",
        )
    try:
        h, w = size_of((info.height, info.width))
    except InrkitError as e:
        raise file_error(src, str(e)) from None
    if h < 2 or w < 2:
        raise file_error(src, f"output {h}x{w} is too small for H.264 (at least 2x2)")
    start, end, whole = _frame_range(src, frames, max_frames)
    return VideoJob(
        src=src,
        dst=dst,
        in_size=(info.height, info.width),
        out_size=(h - h % 2, w - w % 2),
        frames=(start, end),
        whole_input=whole,
        fps=info.fps,
        sar=info.sar,
        crf=crf,
        audio=bool(info.audio) and audio,
        segment_frames=segment_frames,
        recipe=dict(recipe or {}),
    )


# ----- the work folder -----------------------------------------------------------------------
def work_folder(dst: Path) -> Path:
    """The hidden folder beside ``dst`` where its segments are made."""
    name = os.fsdecode(os.fsencode(dst.name)[:200])  # stays under the 255-byte name limit
    return dst.with_name(f".{name}.inrkit-work")


def _segment(work: Path, k: int) -> Path:
    return work / f"seg_{k:05d}.mp4"


def finished_segments(work: Path, job: VideoJob) -> int:
    """How many segments from the first on are complete in ``work``."""
    k = 0
    while k < job.n_segments and _segment(work, k).is_file():
        k += 1
    return k


@contextmanager
def _lock(work: Path, dst: Path) -> Iterator[None]:
    """Hold ``work/lock`` exclusively (POSIX; elsewhere nothing is locked)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(work / LOCK_FILE, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            msg = f"another inrkit run is writing it (its work is in {work})"
            raise file_error(dst, msg) from None
        yield


def _clear(work: Path, keep: tuple[str, ...] = (LOCK_FILE,)) -> None:
    for p in work.iterdir():
        if p.name not in keep:
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()


def _differences(old: dict[str, Any], new: dict[str, Any]) -> str:
    keys = [k for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
    k = keys[0]
    return f"{k} was {old.get(k)!r}, now {new.get(k)!r}"


def _start(job: VideoJob, work: Path, resume: bool, overwrite: bool) -> None:
    """Make ``work`` ready for ``job``: new, continued (``resume``) or emptied (``overwrite``)."""
    description = job.describe()
    saved = work / JOB_FILE
    try:
        old = json.loads(saved.read_text()) if saved.is_file() else None
    except (OSError, ValueError):
        old = None  # killed while writing it: nothing after it exists either
    if old is not None and resume and old != description:
        raise file_error(
            job.dst,
            f"--resume: the interrupted run was made differently ({_differences(old, description)}"
            f"); repeat its settings, or start over with --overwrite and no --resume",
        )
    if old is not None and not resume and not overwrite:
        done = finished_segments(work, job) if old == description else "some"
        raise file_error(
            job.dst,
            f"an interrupted run left {done} finished segments in {work}; add --resume to "
            "continue it, or --overwrite to start over",
        )
    if old != description or not resume:
        _clear(work)
    for p in work.iterdir():  # what a kill left half-written
        if p.name.endswith(".part"):
            p.unlink()
    atomic_write(saved, lambda tmp: tmp.write_text(json.dumps(description, indent=1)))


def _copy_audio(job: VideoJob, work: Path) -> Path | None:
    if not job.audio:
        return None
    audio = work / AUDIO_FILE
    if not audio.exists():
        if job.whole_input:
            start, length = None, None  # every packet, bit for bit
        else:
            start, length = float(job.frames[0] / job.fps), float(job.n_frames / job.fps)
        atomic_write(audio, lambda tmp: copy_audio(job.src, tmp, start, length), sync=False)
    return audio


def run_video_job(
    job: VideoJob,
    transform: Callable[[np.ndarray], np.ndarray],
    *,
    resume: bool = False,
    overwrite: bool = False,
    progress: bool | None = None,
    on_progress: Callable[[int, int], object] | None = None,
) -> Path:
    """Write ``job.dst``: every frame in the range through ``transform``, audio copied.

    Args:
        transform: (h, w, 3) uint8 input frame -> (H, W, 3) uint8 output frame.
        resume: Continue the work an interrupted run left beside ``dst`` (its settings must
            match); without, such work is an error unless ``overwrite``.
        overwrite: Replace an existing ``dst`` (and start over from any interrupted work).
        progress: A tqdm bar over frames with frames/s and ETA (``None``: on a terminal).
        on_progress: Called as ``on_progress(done, total)`` after each frame is encoded (frames
            of resumed segments count as done).

    Raises:
        InrkitError: bad or changed input, settings that differ from the work to resume, an
            existing ``dst`` without ``overwrite``, a failed write. The work folder is removed
            when no segment was finished, and kept otherwise.
    """
    from tqdm.auto import tqdm

    work = work_folder(job.dst)
    created = not work.exists()
    try:
        work.mkdir(exist_ok=True)
    except OSError as e:
        raise file_error(job.dst, f"cannot create its work folder ({e.strerror})") from None
    with _lock(work, job.dst):
        try:
            _start(job, work, resume, overwrite)
            audio = _copy_audio(job, work)
            done = finished_segments(work, job)
            with tqdm(
                total=job.n_frames,
                initial=min(done * job.segment_frames, job.n_frames),
                unit=" frames",
                desc=job.src.name,
                disable=None if progress is None else not progress,
                dynamic_ncols=True,
            ) as bar:
                _encode_segments(job, work, done, transform, bar.update, on_progress)
            segments = [_segment(work, k) for k in range(job.n_segments)]
            atomic_write(
                job.dst,
                lambda tmp: concat_mp4(segments, tmp, audio, name=job.dst),
                overwrite=overwrite,
                exists_message="already exists (use --overwrite)",
                os_error="cannot write",
            )
        except (InrkitError, OSError):
            if created and finished_segments(work, job) == 0:
                shutil.rmtree(work, ignore_errors=True)
            raise
    shutil.rmtree(work, ignore_errors=True)
    return job.dst


def _encode_segments(
    job: VideoJob,
    work: Path,
    done: int,
    transform: Callable[[np.ndarray], np.ndarray],
    step: Callable[[int], object],
    on_progress: Callable[[int, int], object] | None,
) -> None:
    """Encode segments ``done`` .. last, decoding the input once from the first needed frame."""
    first = job.frames[0] + done * job.segment_frames
    with FrameReader(job.src, job.in_size, first, job.frames[1]) as reader:
        frames = iter(reader)
        for k in range(done, job.n_segments):
            start = job.frames[0] + k * job.segment_frames
            count = min(job.segment_frames, job.frames[1] - start)
            final, tmp = _segment(work, k), work / f".seg_{k:05d}.mp4.part"
            try:
                with Mp4Writer(
                    tmp,
                    job.out_size,
                    job.fps,
                    crf=job.crf,
                    sar=job.sar,
                    b_frames=False,
                    name=job.dst,
                ) as out:
                    for i in range(count):
                        out.write(transform(next(frames)))
                        step(1)
                        if on_progress is not None:
                            on_progress(start - job.frames[0] + i + 1, job.n_frames)
                with open(tmp, "rb") as f:
                    os.fsync(f.fileno())
                os.replace(tmp, final)
            finally:
                tmp.unlink(missing_ok=True)
