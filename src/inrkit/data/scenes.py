"""Writing a procedural scene data set: ``DIR/000000.png`` plus ``DIR/000000.json`` per scene.

The scenes come from :mod:`inrkit.scenes`; this module only checks the request, names the files
and writes them, optionally from several processes. Scene ``i`` draws from its own random
stream seeded with ``(seed, i)``, so it is the same file whether it is written alone
(``start=i, n=1``) or as part of a larger run, and a data set can be extended with ``start``.

Every name is checked before anything is written: an existing file is an error unless
``overwrite`` is given, so a run either writes all its files or none.
"""

from __future__ import annotations

import json
import multiprocessing
import re
import time
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from inrkit.errors import InrkitError, file_error
from inrkit.io.files import atomic_write
from inrkit.scenes import SCENE_PRESETS, render_scene, sample_scene, scene_record, scene_rng

MIN_SIZE, MAX_SIZE = 8, 1024
MAX_INDEX = 999_999  # six-digit names
MAX_SUPERSAMPLE = 4
EXISTS = "already exists (use --overwrite to replace it)"


@dataclass(frozen=True)
class SceneJob:
    """What a worker needs to write one data set's scenes."""

    folder: Path
    preset: str
    size: int
    seed: int
    supersample: int
    overwrite: bool


@dataclass(frozen=True)
class WrittenScenes:
    """What :func:`write_scenes` did."""

    folder: Path
    count: int
    seconds: float


def scene_stem(index: int) -> str:
    """The file name stem of scene ``index``: six digits."""
    return f"{index:06d}"


def check_request(
    preset: str, n: int, size: int, seed: int, start: int, workers: int, supersample: int
) -> None:
    """Raise a one-line :class:`InrkitError` for values that cannot make a data set."""
    if preset not in SCENE_PRESETS:
        raise InrkitError(
            f"unknown scene preset {preset!r}; choose one of {', '.join(SCENE_PRESETS)}"
        )
    if n < 1:
        raise InrkitError(f"--n must be at least 1, got {n}")
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise InrkitError(f"--size must be between {MIN_SIZE} and {MAX_SIZE} pixels, got {size}")
    if seed < 0:
        raise InrkitError(f"--seed must be 0 or more, got {seed}")
    if start < 0 or start + n - 1 > MAX_INDEX:
        raise InrkitError(
            f"scene indices must lie in 0..{MAX_INDEX} (six-digit names), "
            f"got {start}..{start + n - 1}"
        )
    if workers < 1:
        raise InrkitError(f"--workers must be at least 1, got {workers}")
    if not 1 <= supersample <= MAX_SUPERSAMPLE:
        raise InrkitError(
            f"--supersample must be between 1 and {MAX_SUPERSAMPLE}, got {supersample}"
        )


def check_outputs(folder: Path, indices: range, overwrite: bool) -> None:
    """Refuse a folder that is a file, and existing outputs unless ``overwrite``."""
    if folder.exists() and not folder.is_dir():
        raise file_error(folder, "is a file, not a folder")
    if not folder.exists():
        return
    for index in indices:
        for suffix in (".png", ".json"):
            path = folder / f"{scene_stem(index)}{suffix}"
            if path.is_dir():
                raise file_error(path, "is a directory")
            if path.exists() and not overwrite:
                raise file_error(path, EXISTS)


def write_scene(job: SceneJob, index: int) -> int:
    """Render scene ``index`` and write its PNG and JSON; returns ``index``."""
    scene = sample_scene(job.preset, scene_rng(job.seed, index))
    rendering = render_scene(scene, job.size, job.supersample)
    stem = scene_stem(index)
    record = {
        "image": f"{stem}.png",
        "seed": job.seed,
        "index": index,
        "supersample": job.supersample,
        **scene_record(scene, job.size),
    }
    text = _compact_lists(json.dumps(record, indent=2)) + "\n"
    image = Image.fromarray(rendering.image)
    for name, write in (
        (f"{stem}.png", lambda p: image.save(p, format="PNG")),
        (f"{stem}.json", lambda p: p.write_text(text)),
    ):
        atomic_write(
            job.folder / name,
            write,
            overwrite=job.overwrite,
            exists_message=EXISTS,
            os_error="cannot write the file",
            sync=False,  # 20k fsyncs would cost more than the rendering; a rerun remakes a file
        )
    return index


def _compact_lists(text: str) -> str:
    """Put lists of numbers on one line: ``[1.0, 2.0, 3.0]`` rather than a line per number."""
    return re.sub(r"\[[^\[\]{}]*\]", lambda m: json.dumps(json.loads(m.group(0))), text)


def _write_scene_star(args: tuple[SceneJob, int]) -> int:
    return write_scene(*args)


def write_scenes(
    folder: str | Path,
    preset: str,
    n: int,
    size: int = 64,
    *,
    seed: int = 0,
    start: int = 0,
    workers: int = 1,
    supersample: int = 2,
    overwrite: bool = False,
    progress: bool = True,
) -> WrittenScenes:
    """Render scenes ``start .. start + n - 1`` of ``preset`` into ``folder``.

    Args:
        folder: Output folder, created when missing.
        preset: ``"cars"`` or ``"clevr"``.
        n: Number of scenes.
        size: Image height and width in pixels.
        seed: Seed of the whole data set; scene i draws from ``(seed, i)``.
        start: Index of the first scene.
        workers: Processes rendering in parallel.
        supersample: k x k rays per pixel for antialiasing.
        overwrite: Replace existing files instead of refusing.
        progress: Show a tqdm progress bar.

    Raises:
        InrkitError: A bad value, ``folder`` is a file, or an output exists without
            ``overwrite``; nothing is written then.
    """
    from tqdm import tqdm

    check_request(preset, n, size, seed, start, workers, supersample)
    folder = Path(folder)
    indices = range(start, start + n)
    check_outputs(folder, indices, overwrite)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise file_error(folder, f"cannot create the folder ({e.strerror or e})") from None
    job = SceneJob(folder, preset, size, seed, supersample, overwrite)
    began = time.perf_counter()
    bar = tqdm(total=n, unit="scene", desc=f"{preset} scenes", disable=not progress)
    with bar:
        if workers == 1:
            for index in indices:
                write_scene(job, index)
                bar.update()
        else:
            # spawn: no fork of a process that may hold threads (tqdm's monitor, BLAS).
            with multiprocessing.get_context("spawn").Pool(workers) as pool:
                tasks = ((job, index) for index in indices)
                chunk = max(1, min(16, n // (4 * workers)))
                for _ in pool.imap_unordered(_write_scene_star, tasks, chunksize=chunk):
                    bar.update()
    return WrittenScenes(folder, n, time.perf_counter() - began)
