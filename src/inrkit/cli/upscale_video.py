"""``inrkit upscale clip.mp4``: a video upscaled frame by frame with LIIF (LIIF, Sec. 4).

The video branch of ``inrkit upscale``. Each decoded frame goes through the same
:func:`inrkit.liif.upscale` call as an image, one at a time, and into resumable H.264 segments
(:mod:`inrkit.io.video_job`); the frame rate, the pixel aspect ratio and the audio packets are
kept. Everything cheap is checked before the model is loaded: the output's name, the input
(probed and decoded once by ffmpeg, so a corrupt or truncated file fails here), the limits and
any interrupted work beside the output.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from inrkit import __version__
from inrkit.cli.flags import positive_int, whole_number
from inrkit.errors import InrkitError, file_error
from inrkit.io.video_job import (
    DEFAULT_MAX_FRAMES,
    DEFAULT_SEGMENT_FRAMES,
    VideoJob,
    check_output,
    plan_job,
    run_video_job,
    work_folder,
)
from inrkit.io.video_read import VIDEO_SUFFIXES
from inrkit.io.video_write import DEFAULT_CRF

VIDEO_FLAGS = ("frames", "crf", "resume", "max_frames", "segment_frames", "no_audio")


def parse_frames(text: str) -> tuple[int | None, int | None]:
    """``START:END`` (END excluded, counted from 0); either side may be left out."""
    start, sep, end = text.partition(":")
    try:
        bounds = tuple(int(x) if x.strip() else None for x in (start, end))
    except ValueError:
        bounds = ()
    if not sep or len(bounds) != 2 or any(b is not None and b < 0 for b in bounds):
        raise argparse.ArgumentTypeError(f"expected START:END frame numbers (0:100), got {text!r}")
    if bounds[0] is not None and bounds[1] is not None and bounds[1] <= bounds[0]:
        raise argparse.ArgumentTypeError(f"END must be after START, got {text!r}")
    return bounds


def parse_crf(text: str) -> int:
    value = whole_number(text)
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"must be 0 (lossless) to 51, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags that only videos take, in their own --help section."""
    g = p.add_argument_group(
        "videos",
        f"A video ({', '.join(sorted(VIDEO_SUFFIXES))}) is upscaled on its own into an H.264 "
        "MP4 (yuv420p) with the same frame rate, pixel aspect ratio and audio (copied, not "
        "re-encoded): NAME_x2.mp4 beside it, or -o OUT.mp4, or in --out-dir. H.264 needs even "
        "sides: an odd output side is rounded down (1281 -> 1280). Work goes into a hidden "
        "folder beside the output in segments, so an interrupted run continues with --resume.",
    )
    g.add_argument(
        "--frames",
        type=parse_frames,
        metavar="START:END",
        help="only frames START to END-1, counted from 0 (0:100, 250:, :50)",
    )
    g.add_argument(
        "--crf",
        type=parse_crf,
        metavar="N",
        help=f"x264 quality, 0 lossless to 51 (default: {DEFAULT_CRF})",
    )
    g.add_argument(
        "--resume", action="store_true", help="continue an interrupted run from its last segment"
    )
    g.add_argument(
        "--max-frames",
        type=positive_int,
        metavar="N",
        help=f"refuse more frames to upscale (default: {DEFAULT_MAX_FRAMES})",
    )
    g.add_argument(
        "--segment-frames",
        type=positive_int,
        metavar="N",
        help=f"frames per segment, the most a resume redoes (default: {DEFAULT_SEGMENT_FRAMES})",
    )
    g.add_argument("--no-audio", action="store_true", help="drop the audio instead of copying it")


def is_video(name: str) -> bool:
    return Path(name).suffix.lower() in VIDEO_SUFFIXES and not Path(name).is_dir()


def refuse_video_flags(args: argparse.Namespace) -> None:
    """Images take none of the video flags; say so rather than ignore them."""
    for flag in VIDEO_FLAGS:
        if getattr(args, flag) not in (None, False):
            name = "--" + flag.replace("_", "-")
            raise InrkitError(f"{name} applies to video inputs only (.mp4, .mov, .mkv, ...)")


# ----- planning: the output, the input, the limits -------------------------------------------
def output_path(args: argparse.Namespace, src: Path) -> Path:
    """Where the MP4 goes; refused when it is the input, a folder, or exists (no --overwrite)."""
    from inrkit.cli.upscale_call import size_tag

    if args.output is not None:
        dst = args.output
        if dst.suffix.lower() != ".mp4":
            raise file_error(dst, "a video is written as H.264 MP4: name the output NAME.mp4")
        if not dst.parent.is_dir():
            raise file_error(dst, "folder does not exist")
    else:
        folder = args.out_dir if args.out_dir is not None else src.parent
        if folder.exists() and not folder.is_dir():
            raise file_error(folder, "is not a folder")
        dst = folder / f"{src.stem}_{size_tag(args)}.mp4"
    check_output(src, dst, overwrite=args.overwrite)
    return dst


def _model_recipe(model: str, precision: str = "fp32") -> dict[str, Any]:
    """What identifies the model's work for --resume: its file's SHA-256, and the precision
    when it is not fp32 (so that fp32 work from before --precision existed still resumes)."""
    from inrkit.liif.checkpoint import resolve

    path = resolve(model)
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    recipe = {"model sha256": digest.hexdigest(), "inrkit": __version__}
    if precision != "fp32":
        recipe["precision"] = precision
    return recipe


def plan_video(args: argparse.Namespace, src: Path) -> VideoJob:
    """Probe and check everything about one video job; nothing is written."""
    from inrkit.liif import output_size

    if not src.exists():
        raise file_error(src, "no such file")
    dst = output_path(args, src)
    job = plan_job(
        src,
        dst,
        lambda hw: output_size(hw, args.scale, args.size, args.width, args.height, args.max_pixels),
        frames=args.frames,
        max_frames=args.max_frames or DEFAULT_MAX_FRAMES,
        max_input_pixels=args.max_input_pixels,
        crf=DEFAULT_CRF if args.crf is None else args.crf,
        audio=not args.no_audio,
        segment_frames=args.segment_frames or DEFAULT_SEGMENT_FRAMES,
    )
    return replace(job, recipe=_model_recipe(args.model, args.precision))


# ----- running -------------------------------------------------------------------------------
def run(args: argparse.Namespace, src: Path) -> int:
    """Upscale one video; 0 when written."""
    import numpy as np
    from tqdm.auto import tqdm

    from inrkit.cli.flags import EXIT_INTERRUPTED, PROG, effective_precision, pick_device
    from inrkit.cli.upscale_call import upscale_frame

    job = plan_video(args, src)
    if args.out_dir is not None:  # only now: a refused input leaves no folder behind
        try:
            args.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise file_error(args.out_dir, f"cannot create folder ({e.strerror})") from None
    device = pick_device(args.device)
    ran = effective_precision(args.precision, device)
    if ran != args.precision:  # what actually runs (fp32) goes into the resume check
        args.precision = ran
        job = replace(job, recipe={k: v for k, v in job.recipe.items() if k != "precision"})
    model = None

    def transform(frame: np.ndarray) -> np.ndarray:
        nonlocal model
        if model is None:  # only once there is work: not when the checks above fail
            from inrkit.liif import load

            model = load(args.model, device=device)
        return upscale_frame(model, frame, job.out_size, job.src, args)

    try:
        run_video_job(
            job,
            transform,
            resume=args.resume,
            overwrite=args.overwrite,
            progress=False if args.quiet else None,
        )
    except KeyboardInterrupt:
        work = work_folder(job.dst)
        if work.exists():
            hint = f"; the finished segments are in {work}: rerun with --resume to go on"
        else:
            hint = ""
        print(f"{PROG}: interrupted{hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
    if not args.quiet:
        h, w = job.out_size
        audio = ", audio copied" if job.audio else ""
        tqdm.write(
            f"wrote {job.dst} ({h}x{w}, {job.n_frames} frames at {_rate(job.fps)} fps{audio})"
        )
    return 0


def _rate(fps: Fraction) -> str:
    return str(fps.numerator) if fps.denominator == 1 else f"{float(fps):.3f}"
