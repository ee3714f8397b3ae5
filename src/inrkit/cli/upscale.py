"""``inrkit upscale``: image files to any scale or size with a LIIF model (LIIF, Sec. 4).

Everything cheap is checked before the model is loaded: the size flags (while parsing), that
the inputs exist, and that no output would replace an input, another output or (without
``--overwrite``) an existing file. Then each image is read, upscaled and written atomically; a
file that fails is reported on one line and the others go on (exit code 2 at the end).
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image

from inrkit.cli import upscale_video
from inrkit.cli.flags import (
    add_counts,
    add_device_flag,
    add_precision_flag,
    add_tiling_flags,
    effective_precision,
    parse_scale,
    parse_size,
    pick_device,
    positive_int,
    report_error,
)
from inrkit.cli.upscale_call import size_tag, upscale_with_flags
from inrkit.errors import InrkitError, file_error
from inrkit.io.images import DEFAULT_MAX_INPUT_PIXELS, image_files_in, read_image, save_image
from inrkit.liif.defaults import DEFAULT_MAX_OUTPUT_PIXELS

if TYPE_CHECKING:
    import torch

NAME_MAX = 255  # bytes in one file name on Linux, macOS and Windows file systems


@dataclass(frozen=True)
class Job:
    """One image to upscale: where it is read from and where its result goes."""

    src: Path
    dst: Path


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``inrkit upscale``."""
    p = subparsers.add_parser(
        "upscale",
        help="upscale images to any scale or size with a LIIF model",
        description="Upscale image files (or every image in a folder) with a LIIF model. "
        "Outputs keep the input's format and are never written over an existing file unless "
        "--overwrite is given. Without -o/--out-dir, NAME.png becomes NAME_x4.png (scale), "
        "NAME_1080x1920.png (--size), NAME_w800.png or NAME_h600.png beside the input. "
        "Videos become MP4s the same way (see 'videos' below).",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="INPUT", help="image files and/or folders, or one video"
    )
    size = p.add_mutually_exclusive_group(required=True)
    size.add_argument("--scale", type=parse_scale, metavar="S", help="4, 3.5, or ROWS,COLS: 2,3")
    size.add_argument(
        "--size", type=parse_size, metavar="HxW", help="exact size, HEIGHT first: 1080x1920"
    )
    size.add_argument("--width", type=positive_int, metavar="W", help="width, aspect kept")
    size.add_argument("--height", type=positive_int, metavar="H", help="height, aspect kept")
    p.add_argument(
        "--model",
        default="default",
        metavar="M",
        help="checkpoint file, or edsr-baseline-liif / rdn-liif (default: %(default)s)",
    )
    out = p.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", type=Path, metavar="OUT", help="output file (1 input)")
    out.add_argument("--out-dir", type=Path, metavar="DIR", help="output folder (created)")
    add_device_flag(p)
    add_precision_flag(p, "run the model")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    add_counts(
        p,
        (
            ("--max-pixels", DEFAULT_MAX_OUTPUT_PIXELS, "refuse outputs with more pixels"),
            ("--max-input-pixels", DEFAULT_MAX_INPUT_PIXELS, "refuse inputs with more pixels"),
        ),
    )
    add_tiling_flags(p)
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bars or 'wrote' lines")
    upscale_video.add_arguments(p)
    p.set_defaults(run=run)


# ----- planning: every path decided and checked before any work -----------------------------
def _writable(suffix: str) -> bool:
    return Image.registered_extensions().get(suffix.lower()) in Image.SAVE


def expand_inputs(items: list[str]) -> list[Path]:
    """Files as given, folders replaced by the images in them; duplicates dropped."""
    files: dict[Path, Path] = {}
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = image_files_in(path)
            if not found:
                raise file_error(path, "no image files in this folder")
        elif path.exists():
            found = [path]  # read_image says later if it is not an image
        else:
            raise file_error(path, "no such file")
        for f in found:
            files.setdefault(f.resolve(), f)
    return list(files.values())


def plan(args: argparse.Namespace) -> list[Job]:
    """The jobs for this command line; raises InrkitError if any output would be unsafe."""
    inputs = expand_inputs(args.inputs)
    if args.output is not None:
        if len(inputs) != 1:
            raise InrkitError(
                f"-o/--output takes one input image, got {len(inputs)}; use --out-dir for several"
            )
        if not _writable(args.output.suffix):
            raise file_error(args.output, "unknown image format to write (use e.g. .png or .jpg)")
        if not args.output.parent.is_dir():
            raise file_error(args.output, "folder does not exist")
        jobs = [Job(inputs[0], args.output)]
    else:
        tag = size_tag(args)
        if args.out_dir is not None and args.out_dir.exists() and not args.out_dir.is_dir():
            raise file_error(args.out_dir, "is not a folder")
        jobs = []
        for src in inputs:
            # Keep the format, unless Pillow can only read it (e.g. .psd): then write PNG.
            suffix = src.suffix if _writable(src.suffix) else ".png"
            folder = args.out_dir if args.out_dir is not None else src.parent
            jobs.append(Job(src, folder / f"{src.stem}_{tag}{suffix}"))
    _check_outputs(jobs, args.overwrite)
    return jobs


def _check_outputs(jobs: list[Job], overwrite: bool) -> None:
    sources = {job.src.resolve() for job in jobs}
    taken: dict[Path, Path] = {}
    existing = []
    for job in jobs:
        if len(os.fsencode(job.dst.name)) > NAME_MAX:  # else stat() fails with ENAMETOOLONG
            raise file_error(job.dst, f"output name is longer than {NAME_MAX} bytes; use -o")
        dst = job.dst.resolve()
        if dst in sources:
            raise file_error(job.dst, "would overwrite the input; choose another output name")
        if dst in taken:
            raise file_error(job.dst, f"both {taken[dst]} and {job.src} would be written here")
        taken[dst] = job.src
        if job.dst.is_dir():
            raise file_error(job.dst, "is a directory")
        if job.dst.exists() and not overwrite:
            existing.append(job.dst)
    if existing:
        more = f" (and {len(existing) - 1} more outputs)" if len(existing) > 1 else ""
        raise file_error(existing[0], f"already exists{more}; use --overwrite to replace")


# ----- running -------------------------------------------------------------------------------
def _upscale_one(
    model: torch.nn.Module, img: Image.Image, job: Job, args: argparse.Namespace
) -> tuple[int, int]:
    """Upscale one image and write it; returns the output (H, W)."""
    # Without a terminal, no bar (and no stray lines in logs); -q hides it everywhere.
    progress = not args.quiet and sys.stderr.isatty()
    out = upscale_with_flags(
        model,
        img,
        job.src,
        args,
        scale=args.scale,
        size=args.size,
        width=args.width,
        height=args.height,
        progress=progress,
    )
    save_image(out, job.dst, overwrite=args.overwrite)
    return out.height, out.width


def run(args: argparse.Namespace) -> int:
    """Upscale every input; 0 when all were written, 2 when any failed."""
    from tqdm.auto import tqdm

    videos = [item for item in args.inputs if upscale_video.is_video(item)]
    if videos:
        if len(args.inputs) != 1:
            raise file_error(videos[0], "a video is upscaled on its own: give it as the only input")
        return upscale_video.run(args, Path(videos[0]))
    upscale_video.refuse_video_flags(args)
    jobs = plan(args)
    if args.device == "cuda":
        pick_device(args.device)  # fail now rather than after reading an image

    def skip(error: InrkitError) -> int:
        """One file failed: alone, that is the run's error; among several, report and go on."""
        if len(jobs) == 1:
            raise error
        report_error(error)
        return 1

    model, failed = None, 0
    # One bar over the files when there are several; None shows it only on a terminal.
    quiet = args.quiet or len(jobs) == 1
    for job in tqdm(jobs, unit="image", desc="images", disable=True if quiet else None):
        try:
            img = read_image(job.src, max_pixels=args.max_input_pixels)
        except InrkitError as e:
            failed += skip(e)
            continue
        if model is None:  # once, and only when there is an image to upscale
            from inrkit.liif import load  # imports torch, which takes seconds

            device = pick_device(args.device)
            args.precision = effective_precision(args.precision, device)
            model = load(args.model, device=device)
            if args.out_dir is not None:
                try:
                    args.out_dir.mkdir(parents=True, exist_ok=True)
                except OSError as e:
                    raise file_error(args.out_dir, f"cannot create folder ({e.strerror})") from None
        try:
            h, w = _upscale_one(model, img, job, args)
        except InrkitError as e:
            failed += skip(e)
            continue
        if not args.quiet:
            tqdm.write(f"wrote {job.dst} ({h}x{w})")
    if failed:
        report_error(f"{failed} of {len(jobs)} images failed; the others were written")
        return 2
    return 0
