"""Rendering keyframed paths (:mod:`inrkit.giraffe.keyframes`) to frames and files.

:func:`render_path` returns the frames (T, 3, H, W); :func:`save_path` writes them as the
render programs write theirs (:mod:`inrkit.giraffe.animation`): ``DIR/NAME/NAME.gif`` (or
``.mp4``) with a six-frame strip ``DIR/NAME/NAME_strip.png``, or with ``fmt="png"`` every frame
as ``DIR/NAME/NAME_0000.png``, ... ; NAME is the path file's stem. Frames are rendered by
:func:`inrkit.giraffe.sliders.render_sliders`, the page's renderer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from inrkit.errors import InrkitError, file_error
from inrkit.giraffe.animation import (
    STRIP_FRAMES,
    require_mp4,
    write_gif,
    write_mp4,
    write_strip,
)
from inrkit.giraffe.defaults import RENDER_FORMATS
from inrkit.giraffe.keyframes import (
    KeyframePath,
    check_objects,
    frame_times,
    parse_path,
    read_path,
    sample_path,
    with_options,
)
from inrkit.giraffe.programs import check_memory, generator_of
from inrkit.giraffe.sliders import render_sliders
from inrkit.io.files import atomic_write
from inrkit.io.grid import to_pil
from inrkit.nn.precision import check_precision

PathSpec = KeyframePath | str | Path | list | dict
"""A path: parsed, a file (JSON or YAML), or the parsed data itself (a list or a mapping)."""


def resolve_path(
    path: PathSpec,
    *,
    interpolation: str | None = None,
    fps: float | None = None,
    frames: int | None = None,
) -> KeyframePath:
    """A checked :class:`KeyframePath` from any :data:`PathSpec`, options applied."""
    if isinstance(path, str | Path):
        path = read_path(path)
    elif isinstance(path, list | dict):
        path = parse_path(path)
    elif not isinstance(path, KeyframePath):
        raise TypeError(f"expected a keyframe path, file or list, got {type(path).__name__}")
    if interpolation is not None or fps is not None or frames is not None:
        path = with_options(path, interpolation=interpolation, fps=fps, frames=frames)
    return path


def iter_path(
    model: object,
    path: KeyframePath,
    *,
    progress: bool = False,
    should_stop: Callable[[], bool] | None = None,
    precision: str = "fp32",
) -> Iterator[torch.Tensor]:
    """Each frame of ``path``: (3, H, W) RGB in [0, 1] on the CPU.

    ``should_stop`` is asked between batches of frames (True stops with an InrkitError);
    ``precision`` is "fp32" or "bf16" (see :func:`inrkit.giraffe.render`).
    """
    gen = generator_of(model)
    frames = sample_path(path, gen.get_n_boxes())
    yield from tqdm(
        render_sliders(gen, frames, should_stop=should_stop, precision=precision),
        total=len(frames),
        desc=Path(path.source).stem,
        disable=None if progress else True,
        leave=False,
        unit="frame",
    )


def render_path(
    model: object,
    path: PathSpec,
    *,
    progress: bool = False,
    precision: str = "fp32",
    **options: Any,
) -> torch.Tensor:
    """Render a keyframed path.

    Args:
        model: A loaded model (its averaged generator renders) or a :class:`Generator`.
        path: The keyframes: a file (``.json``, else YAML), the parsed list or mapping, or a
            :class:`KeyframePath`.
        progress: Show a progress bar.
        precision: "fp32" or "bf16" (see :func:`inrkit.giraffe.render`).
        **options: ``interpolation`` ("linear" or "smooth"), ``fps`` or ``frames``, replacing
            the path's own.

    Returns:
        Frames (T, 3, H, W) in [0, 1].

    Raises:
        InrkitError: A bad path (naming the keyframe and the field), or more objects in a
            keyframe than the model has.
    """
    check_precision(precision)
    path = resolve_path(path, **options)
    size = generator_of(model).cfg.img_size
    check_memory(4 * 3 * size * size * len(frame_times(path)), "the path's frames")
    return torch.stack(list(iter_path(model, path, progress=progress, precision=precision)))


def output_paths(name: str, out_dir: str | Path, n_frames: int, fmt: str = "gif") -> list[Path]:
    """Files :func:`save_path` writes for a path called ``name`` with ``n_frames`` frames."""
    folder = Path(out_dir) / name
    if fmt == "png":
        return [folder / f"{name}_{i:04d}.png" for i in range(n_frames)]
    return [folder / f"{name}.{fmt}", folder / f"{name}_strip.png"]


def save_path(
    model: object,
    path: PathSpec,
    out_dir: str | Path,
    *,
    fmt: str = "gif",
    name: str | None = None,
    progress: bool = False,
    precision: str = "fp32",
    **options: Any,
) -> list[Path]:
    """Render ``path`` and write it to ``out_dir``; returns the files written.

    Args:
        fmt: "gif" (looping), "mp4" (needs ffmpeg) or "png" (every frame).
        name: The output name (default: the path file's stem, else "path").
        precision, **options: As :func:`render_path`.
    """
    check_precision(precision)
    if fmt not in RENDER_FORMATS:
        raise InrkitError(f"unknown format {fmt!r} (known: {', '.join(RENDER_FORMATS)})")
    if fmt == "mp4":
        require_mp4()  # before spending minutes on rendering
    path = resolve_path(path, **options)
    name = name or Path(path.source).stem
    n = len(frame_times(path))
    gen = generator_of(model)
    check_objects(path, gen.get_n_boxes())  # before any folder is made
    check_memory(3 * gen.cfg.img_size**2 * n, "the path's frames")  # 8-bit images until written
    paths = output_paths(name, out_dir, n, fmt)
    try:
        paths[0].parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:  # e.g. a file where a folder should be
        raise file_error(paths[0].parent, f"cannot write ({e.strerror or e})") from None
    strip = {int(i) for i in np.linspace(0, n - 1, min(STRIP_FRAMES, n)).astype(int)}
    images, kept = [], []
    for i, frame in enumerate(iter_path(model, path, progress=progress, precision=precision)):
        if fmt == "png":  # written as they come: memory holds one frame
            images.append(_write_png(paths[i], to_pil(frame)))
            continue
        images.append(to_pil(frame))
        if i in strip:
            kept.append(frame)
    if fmt == "png":
        return images
    if fmt == "gif":
        animation = write_gif(paths[0], images, fps=path.fps)
    else:  # a small rational rate (23.976 -> 24000/1001), which ffmpeg takes
        animation = write_mp4(paths[0], images, fps=Fraction(path.fps).limit_denominator(1001))
    return [animation, write_strip(paths[1], kept)]


def _write_png(path: Path, image: Any) -> Path:
    return atomic_write(
        path,
        lambda tmp: image.save(tmp, format="PNG"),
        make_folders=True,
        os_error="cannot write",
        sync=False,
    )
