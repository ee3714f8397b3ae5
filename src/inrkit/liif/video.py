"""Upscaling a video with LIIF, frame by frame (LIIF, Sec. 4: one continuous representation per
frame, queried at the output's pixel centres).

:func:`upscale_video` is what ``inrkit upscale clip.mp4`` runs: the input is probed and decoded
once by ffmpeg before any work (so a corrupt or truncated file fails at once), then each frame
goes through :func:`inrkit.liif.upscale` and into resumable H.264 segments
(:mod:`inrkit.io.video_job`); frame rate, pixel aspect ratio and audio packets are kept.
Memory holds one input frame, one output frame and one tile's activations.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from inrkit import __version__
from inrkit.errors import InrkitError, file_error
from inrkit.io.checkpoints import weights_digest
from inrkit.io.images import DEFAULT_MAX_INPUT_PIXELS
from inrkit.io.video_job import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_SEGMENT_FRAMES,
    check_output,
    plan_job,
    run_video_job,
)
from inrkit.io.video_write import DEFAULT_CRF
from inrkit.liif.config_types import is_int
from inrkit.liif.inference import (
    DEFAULT_CHUNK,
    DEFAULT_MAX_OUTPUT_PIXELS,
    DEFAULT_TILE,
    output_size,
    upscale,
)
from inrkit.nn.precision import check_precision, compute_dtype


def _whole(name: str, value: object, lo: int, hi: int | None = None) -> int:
    """``value`` when it is a whole number in [lo, hi]; InrkitError naming ``name`` if not."""
    if is_int(value):
        if value >= lo and (hi is None or value <= hi):
            return value
    top = f" to {hi}" if hi is not None else " or more"
    raise InrkitError(f"{name} must be a whole number, {lo}{top}; got {value!r}")


def upscale_video(
    model: torch.nn.Module,
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    scale: float | tuple[float, float] | None = None,
    size: tuple[int, int] | None = None,
    *,
    width: int | None = None,
    height: int | None = None,
    frames: tuple[int | None, int | None] | None = None,
    crf: int = DEFAULT_CRF,
    audio: bool = True,
    resume: bool = False,
    overwrite: bool = False,
    max_frames: int = DEFAULT_MAX_FRAMES,
    max_input_pixels: int = DEFAULT_MAX_INPUT_PIXELS,
    max_pixels: int = DEFAULT_MAX_OUTPUT_PIXELS,
    tile: int = DEFAULT_TILE,
    chunk: int = DEFAULT_CHUNK,
    precision: str = "fp32",
    segment_frames: int = DEFAULT_SEGMENT_FRAMES,
    progress: bool | None = False,
    on_progress: Callable[[int, int], object] | None = None,
) -> Path:
    """Upscale the video ``src`` into the H.264 MP4 ``dst`` (yuv420p, BT.709).

    Args:
        model: A LIIF (or MetaSR) model, e.g. from :func:`inrkit.liif.load`.
        src: Any video ffmpeg reads (.mp4, .mov, .mkv, .webm, .avi, ...).
        dst: The output, ``NAME.mp4`` in an existing folder; it appears only when complete.
        scale, size, width, height: Exactly one, as :func:`inrkit.liif.upscale`; an odd
            output side is rounded down to even (H.264 in yuv420p needs even sides).
        frames: (START, END): input frames START to END-1, counted from 0 (either may be None).
        crf: x264 quality, 0 (lossless) to 51.
        audio: Copy the audio packets (not re-encoded); False drops them.
        resume: Continue the work an interrupted run left beside ``dst`` (same settings).
        overwrite: Replace ``dst`` and any interrupted work.
        max_frames, max_input_pixels, max_pixels: Refuse more frames, larger input frames or
            larger output frames.
        tile, chunk, precision: As :func:`inrkit.liif.upscale`.
        segment_frames: Frames per segment: the most an interruption loses.
        progress: A bar with frames/s and the time left (None: on a terminal).
        on_progress: Called as ``on_progress(done, total)`` after each frame is encoded.

    Returns:
        ``dst``.

    Raises:
        InrkitError: one line naming the file: not a video, no video stream, a corrupt or
            truncated file, over a limit, an output that exists, settings that differ from
            the interrupted work. Nothing is left under ``dst`` then.
    """
    src, dst = Path(src), Path(dst)
    check_precision(precision)
    crf = _whole("crf", crf, 0, 51)
    max_frames = _whole("max_frames", max_frames, 1)
    segment_frames = _whole("segment_frames", segment_frames, 1)
    if not src.exists():
        raise file_error(src, "no such file")
    if dst.suffix.lower() != ".mp4":
        raise file_error(dst, "a video is written as H.264 MP4: name the output NAME.mp4")
    if not dst.parent.is_dir():
        raise file_error(dst, "folder does not exist")
    check_output(src, dst, overwrite=overwrite)
    device = next(model.parameters()).device
    if compute_dtype(precision, device) == torch.float32:  # warns once where bf16 is not native
        precision = "fp32"  # what runs is what the resume check compares
    recipe = {"weights sha256": weights_digest(model), "inrkit": __version__}
    if precision != "fp32":
        recipe["precision"] = precision
    job = plan_job(
        src,
        dst,
        lambda hw: output_size(hw, scale, size, width, height, max_pixels),
        frames=frames,
        max_frames=max_frames,
        max_input_pixels=max_input_pixels,
        crf=crf,
        audio=audio,
        segment_frames=segment_frames,
        recipe=recipe,
    )

    def transform(frame: np.ndarray) -> np.ndarray:
        try:
            return upscale(model, frame, size=job.out_size, max_pixels=max_pixels, tile=tile,
                           chunk=chunk, precision=precision)  # fmt: skip
        except InrkitError as e:
            raise file_error(src, str(e)) from None

    return run_video_job(
        job, transform, resume=resume, overwrite=overwrite, progress=progress,
        on_progress=on_progress,
    )  # fmt: skip
