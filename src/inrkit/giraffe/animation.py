"""Writing render programs: looping GIFs (Pillow), MP4s (H.264 through ffmpeg), PNG strips.

As the official renderer: each animation frame is a grid of the N samples, five per row, with
2-pixel white gaps; back-and-forth programs play forward then backward; each sample also gets
a strip of six frames side by side, the figures of the paper. Files are written atomically
(temp file, then rename), so an interrupted run leaves no half-written file. MP4s go through
:mod:`inrkit.io.video_write`, with the ffmpeg binary that the imageio-ffmpeg dependency ships.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import numpy as np
import torch
from PIL import Image

from inrkit.errors import InrkitError
from inrkit.giraffe.defaults import (
    DEFAULT_N_SAMPLES,
    DEFAULT_SEED,
    DEFAULT_STEPS,
    RENDER_FORMATS,
)
from inrkit.io import video_write
from inrkit.io.ffmpeg import require_ffmpeg
from inrkit.io.files import atomic_write
from inrkit.io.grid import make_grid, to_pil

FPS = 30
STRIP_FRAMES = 6


def playback(n_frames: int, add_reverse: bool) -> list[int]:
    """Frame order of the animation: forward, then backward when ``add_reverse``."""
    forward = list(range(n_frames))
    return forward + forward[::-1] if add_reverse else forward


def save_gif(fp: Path | BinaryIO, frames: list[Image.Image], fps: float = FPS) -> None:
    """Write a looping animated GIF of ``frames`` to a path or binary file.

    GIF times are in hundredths of a second (30 fps becomes 30 ms a frame), and Pillow stores a
    frame equal to the previous one once, with the durations added.
    """
    duration = 10 * max(2, round(100 / fps))  # browsers slow down frames under 20 ms
    frames[0].save(
        fp,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=duration,
        loop=0,
        optimize=False,
    )


def write_gif(path: Path, frames: list[Image.Image], fps: float = FPS) -> Path:
    """A looping animated GIF of ``frames`` at ``path``, written atomically."""
    return atomic_write(
        path, lambda tmp: save_gif(tmp, frames, fps), make_folders=True, os_error="cannot write"
    )


def require_mp4() -> str:
    """The ffmpeg binary for MP4 output, or a one-line error saying how to get one."""
    return require_ffmpeg("MP4 output")


def write_mp4(path: Path, frames: list[Image.Image], fps: Fraction | float = FPS) -> Path:
    """An H.264 MP4 (yuv420p) of ``frames``, written atomically; odd sides padded to even."""
    return video_write.write_mp4(path, (np.asarray(f.convert("RGB")) for f in frames), fps)


def write_strip(path: Path, frames: Iterable[torch.Tensor]) -> Path:
    """A PNG of frames (3, H, W) side by side."""
    image = to_pil(make_grid(torch.stack(list(frames)), ncol=STRIP_FRAMES))
    return atomic_write(
        path, lambda tmp: image.save(tmp, format="PNG"), make_folders=True, os_error="cannot write"
    )


# ----- a whole program to files -------------------------------------------------------------
def output_paths(program: str, out_dir: Path, n_samples: int, fmt: str = "gif") -> list[Path]:
    """Files a program writes: ``D/NAME/NAME.gif`` (or ``.mp4``; none for png) and one strip
    ``D/NAME/NAME_0000.png`` per sample."""
    folder = Path(out_dir) / program
    strips = [folder / f"{program}_{i:04d}.png" for i in range(n_samples)]
    return strips if fmt == "png" else [folder / f"{program}.{fmt}", *strips]


def save_program(
    model: object,
    program: str,
    out_dir: str | Path,
    *,
    n_samples: int = DEFAULT_N_SAMPLES,
    steps: int = DEFAULT_STEPS,
    seed: int = DEFAULT_SEED,
    fmt: str = "gif",
    progress: bool = False,
    precision: str = "fp32",
    object_existence_prior: Sequence[float] | None = None,
) -> list[Path]:
    """Render ``program`` and write its animation and strips; returns the files written.

    Frames are turned into 8-bit grids as they come, so memory holds T small images rather
    than T x N float frames. ``precision``: "fp32" or "bf16", as :func:`programs.render`;
    ``object_existence_prior``: as :func:`programs.make_plan` (render_add_* programs).
    """
    from inrkit.giraffe.programs import (
        check_memory,
        generator_of,
        iter_frames,
        make_plan,
        program_name,
    )

    if fmt not in RENDER_FORMATS:
        raise InrkitError(f"unknown format {fmt!r} (known: {', '.join(RENDER_FORMATS)})")
    if fmt == "mp4":
        require_mp4()  # before spending minutes on rendering
    name = program_name(program)
    gen = generator_of(model)
    plan = make_plan(
        gen, name, n_samples, steps, seed, object_existence_prior=object_existence_prior
    )
    if fmt != "png":  # the 8-bit grids of every distinct frame stay in memory until written
        grid_h, grid_w = make_grid(
            torch.zeros(n_samples, 1, gen.cfg.img_size, gen.cfg.img_size)
        ).shape[1:]
        check_memory(3 * grid_h * grid_w * len(plan.inputs), f"the {name} animation")
    strip_frames = plan.strip_indices(STRIP_FRAMES)
    wanted = {plan.order[i] for i in strip_frames}
    grids: list[Image.Image] = []
    kept: dict[int, torch.Tensor] = {}
    rendered = iter_frames(model, plan, progress=progress, precision=precision)
    for i, frame in enumerate(rendered):
        if fmt != "png":
            grids.append(to_pil(make_grid(frame)))
        if i in wanted:
            kept[i] = frame
    paths = output_paths(name, Path(out_dir), n_samples, fmt)
    written = []
    if fmt != "png":
        frames = [grids[plan.order[i]] for i in playback(plan.n_frames, plan.add_reverse)]
        writer = write_gif if fmt == "gif" else write_mp4
        written.append(writer(paths[0], frames))
    for sample, path in enumerate(paths[-n_samples:]):
        written.append(write_strip(path, (kept[plan.order[i]][sample] for i in strip_frames)))
    return written
