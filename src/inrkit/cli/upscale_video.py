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
from inrkit.errors import InrkitError, file_error
from inrkit.io.video import DEFAULT_CRF, VIDEO_SUFFIXES, count_frames, probe
from inrkit.io.video_job import DEFAULT_SEGMENT_FRAMES, VideoJob, run_video_job, work_folder

DEFAULT_MAX_FRAMES = 100_000  # an hour at 25 fps; far more than a CPU upscales in a day
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
    return bounds  # type: ignore[return-value]


def parse_crf(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"must be 0 (lossless) to 51, got {text!r}")
    return value


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The flags that only videos take, in their own --help section."""
    from inrkit.cli.upscale import positive_int

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
    from inrkit.cli.upscale import size_tag

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
    if dst.resolve() == src.resolve():
        raise file_error(dst, "would overwrite the input; choose another output name")
    if dst.is_dir():
        raise file_error(dst, "is a directory")
    if dst.exists() and not args.overwrite:
        raise file_error(dst, "already exists; use --overwrite to replace")
    return dst


def _frame_range(args: argparse.Namespace, src: Path, max_frames: int) -> tuple[int, int, bool]:
    """(start, end, whether that is the whole video), decoding no further than needed."""
    start, end = args.frames or (None, None)
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


def _out_size(args: argparse.Namespace, src: Path, in_hw: tuple[int, int]) -> tuple[int, int]:
    """The output (H, W) that the size flags ask for, odd sides rounded down to even."""
    from inrkit.liif import output_size

    try:
        h, w = output_size(in_hw, args.scale, args.size, args.width, args.height, args.max_pixels)
    except InrkitError as e:
        raise file_error(src, str(e)) from None
    if h < 2 or w < 2:
        raise file_error(src, f"output {h}x{w} is too small for H.264 (at least 2x2)")
    return h - h % 2, w - w % 2  # yuv420p halves the colour planes: sides must be even


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
    if not src.exists():
        raise file_error(src, "no such file")
    dst = output_path(args, src)
    info = probe(src)
    pixels = info.width * info.height
    if pixels > args.max_input_pixels:
        raise file_error(
            src,
            f"frames are {info.width}x{info.height} = {pixels} pixels, more than the limit of "
            f"{args.max_input_pixels} (raise it with --max-input-pixels)",
        )
    out_hw = _out_size(args, src, (info.height, info.width))
    max_frames = args.max_frames or DEFAULT_MAX_FRAMES
    start, end, whole = _frame_range(args, src, max_frames)
    return VideoJob(
        src=src,
        dst=dst,
        in_size=(info.height, info.width),
        out_size=out_hw,
        frames=(start, end),
        whole_input=whole,
        fps=info.fps,
        sar=info.sar,
        crf=DEFAULT_CRF if args.crf is None else args.crf,
        audio=bool(info.audio) and not args.no_audio,
        segment_frames=args.segment_frames or DEFAULT_SEGMENT_FRAMES,
        recipe=_model_recipe(args.model, args.precision),
    )


# ----- running -------------------------------------------------------------------------------
def run(args: argparse.Namespace, src: Path) -> int:
    """Upscale one video; 0 when written."""
    import numpy as np
    from tqdm.auto import tqdm

    from inrkit.cli import EXIT_INTERRUPTED, PROG, precision
    from inrkit.cli.upscale import _pick_device, _upscale_frame

    job = plan_video(args, src)
    if args.out_dir is not None:  # only now: a refused input leaves no folder behind
        try:
            args.out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise file_error(args.out_dir, f"cannot create folder ({e.strerror})") from None
    device = _pick_device(args.device)
    ran = precision.effective(args.precision, device)
    if ran != args.precision:  # what actually runs (fp32) goes into the resume check
        args.precision = ran
        job = replace(job, recipe={k: v for k, v in job.recipe.items() if k != "precision"})
    model = None

    def transform(frame: np.ndarray) -> np.ndarray:
        nonlocal model
        if model is None:  # only once there is work: not when the checks above fail
            from inrkit.liif import load

            model = load(args.model, device=device)
        return _upscale_frame(model, frame, job.out_size, job.src, args)

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
