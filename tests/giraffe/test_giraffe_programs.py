"""Render programs on a tiny model (frames, GIF, strips, determinism) and their geometry on the
reference checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from testlib.giraffe import TINY, fixture_checkpoint, tiny_network

import inrkit.giraffe as giraffe
import inrkit.io.ffmpeg
import inrkit.io.video_read
from inrkit.errors import InrkitError
from inrkit.giraffe.animation import STRIP_FRAMES, save_program
from inrkit.giraffe.model import GiraffeModel
from inrkit.giraffe.programs import PROGRAMS, generator_of, make_plan

STEPS = 4
FRAME_MS = 30  # 30 frames per second, in GIF's hundredths of a second
# Frames T for STEPS: full turns double, interpolations pass through 6 codes, additions hold
# each of 6 stages for 4 * steps // 6 frames.
EXPECTED_T = {
    "object_rotation": 2 * STEPS,
    "object_translation_horizontal": STEPS,
    "object_translation_vertical": STEPS,
    "interpolate_app": 6 * STEPS,
    "interpolate_shape": 6 * STEPS,
    "interpolate_app_bg": 6 * STEPS,
    "object_translation_circle": STEPS,
    "render_camera_elevation": STEPS,
    "render_add_cars": 6 * 2,
    "render_add_clevr10": 6 * 2,
    "render_add_clevr6": 6 * 2,
}
BACK_AND_FORTH = {
    "object_translation_horizontal",
    "object_translation_vertical",
    "render_add_cars",
    "render_add_clevr10",
    "render_add_clevr6",
}


def test_every_official_program_is_known() -> None:
    assert set(PROGRAMS) == set(EXPECTED_T)
    assert all(plan.__name__ == f"plan_{name}" for name, plan in PROGRAMS.items())


def test_the_averaged_generator_renders() -> None:
    net = tiny_network()
    assert generator_of(net) is net.generator_test is not net.generator
    assert generator_of(GiraffeModel(network=net, config=TINY)) is net.generator_test
    assert generator_of(net.generator) is net.generator


@pytest.mark.parametrize("program", list(EXPECTED_T))
def test_program_writes_a_looping_gif_and_strips(
    tiny_giraffe, tmp_path: Path, program: str
) -> None:
    n = 3
    files = save_program(tiny_giraffe, program, tmp_path, n_samples=n, steps=STEPS, seed=1)
    gif, strips = files[0], files[1:]
    assert gif == tmp_path / program / f"{program}.gif" and len(strips) == n
    t = EXPECTED_T[program]
    frames = 2 * t if program in BACK_AND_FORTH else t
    with Image.open(gif) as im:
        assert im.info["loop"] == 0 and im.size == (3 * 32 + 4 * 2, 32 + 2 * 2)  # 3 in a row
        # Pillow stores a frame equal to the previous one once, with the durations added.
        durations = []
        for i in range(im.n_frames):
            im.seek(i)
            durations.append(im.info["duration"])
    assert sum(durations) == frames * FRAME_MS and len(durations) <= frames
    with Image.open(strips[0]) as im:
        assert im.size == (6 * 32 + 7 * 2, 32 + 2 * 2)


def test_render_returns_frames_and_is_deterministic(tiny_giraffe) -> None:
    frames = giraffe.render(tiny_giraffe, "interpolate_app", n_samples=2, steps=3, seed=5)
    assert frames.shape == (18, 2, 3, 32, 32)
    assert frames.min() >= 0 and frames.max() <= 1
    assert torch.equal(
        frames, giraffe.render(tiny_giraffe, "interpolate_app", n_samples=2, steps=3, seed=5)
    )
    assert not torch.equal(
        frames, giraffe.render(tiny_giraffe, "interpolate_app", n_samples=2, steps=3, seed=6)
    )
    state = torch.random.get_rng_state()
    generator = tiny_giraffe.generator
    giraffe.render(generator, "object_translation_depth", n_samples=1, steps=2)  # alias
    assert torch.equal(state, torch.random.get_rng_state())  # no side effect on global RNG


def test_add_programs_hold_each_stage_and_grow_the_scene(tiny_giraffe) -> None:
    plan = make_plan(tiny_giraffe.generator, "render_add_clevr10", 1, 32)
    assert plan.n_frames == 126  # the official 6 stages x 21 frames at 32 steps
    assert [codes[0].shape[1] for codes, *_ in plan.inputs] == [2, 4, 6, 8, 10, 12]
    assert plan.strip_indices() == [0, 25, 50, 75, 100, 125]


def test_bad_program_and_counts(tiny_giraffe, tmp_path: Path) -> None:
    with pytest.raises(InrkitError, match="unknown render program 'spin'"):
        giraffe.render(tiny_giraffe, "spin")
    for kwargs in ({"n_samples": 0}, {"n_samples": -2}, {"steps": 1}, {"n_samples": 10**6}):
        with pytest.raises(InrkitError, match="must be a whole number"):
            giraffe.render(tiny_giraffe, "object_rotation", **kwargs)
    with pytest.raises(InrkitError, match="GiB of memory"):  # absurd: refused before rendering
        giraffe.render(tiny_giraffe, "interpolate_app", n_samples=256, steps=1000)
    with pytest.raises(InrkitError, match="GiB of memory"):
        save_program(tiny_giraffe, "interpolate_app", tmp_path, n_samples=256, steps=1000)
    with pytest.raises(InrkitError, match="unknown format"):
        save_program(tiny_giraffe, "object_rotation", tmp_path, fmt="avi")


def test_mp4_without_ffmpeg_is_a_clean_error(tiny_giraffe, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(inrkit.io.ffmpeg, "ffmpeg_executable", lambda: None)
    with pytest.raises(InrkitError, match="MP4 output needs ffmpeg"):
        save_program(tiny_giraffe, "object_rotation", tmp_path, n_samples=1, steps=2, fmt="mp4")
    assert not any(tmp_path.iterdir())


def test_mp4_decodes_back_to_the_png_frames(tiny_giraffe, tmp_path: Path) -> None:
    """The MP4 (bundled ffmpeg) has every frame at 30 fps, and each frame decodes back close to
    the PNG strips' copy of it. H.264 in yuv420p at CRF 18 halves the colour resolution: here
    the mean error is 2.0 levels of 255 (max 14), PSNR 39.7 dB; we ask for a mean under 4 and
    PSNR over 34 dB. (Frame order is checked on frames that differ, in tests/io.)"""
    n, steps = 2, 4
    files = save_program(
        tiny_giraffe, "object_rotation", tmp_path, n_samples=n, steps=steps, fmt="mp4"
    )
    info = inrkit.io.video_read.probe(files[0])
    assert files[0].suffix == ".mp4" and info.fps == 30 and not info.audio
    frames = inrkit.io.video_read.read_frames(files[0])
    plan = make_plan(tiny_giraffe.generator, "object_rotation", n, steps)
    assert len(frames) == plan.n_frames == 2 * steps  # a full turn, played forward only
    assert frames[0].shape == (32 + 2 * 2, n * 32 + 3 * 2, 3)  # the grid: 2-pixel gaps
    errors = []
    for sample, strip_path in enumerate(files[1:]):
        strip = np.asarray(Image.open(strip_path).convert("RGB"), np.float64)
        for j, i in enumerate(plan.strip_indices(STRIP_FRAMES)):
            png = strip[2:34, 2 + 34 * j : 34 + 34 * j]
            mp4 = frames[i][2:34, 2 + 34 * sample : 34 + 34 * sample].astype(np.float64)
            errors.append(np.abs(png - mp4))
    error = np.stack(errors)
    psnr = 10 * np.log10(255**2 / (error**2).mean())
    assert error.mean() < 4 and psnr > 34, (error.mean(), psnr)


@pytest.fixture(scope="module")
def reference() -> GiraffeModel:
    return giraffe.load(fixture_checkpoint(), config="cars_64")


def alpha_of(model: GiraffeModel, program: str) -> torch.Tensor:
    """(T, 16, 16) alpha map of the one object of one sample."""
    return giraffe.render(model, program, n_samples=1, steps=6, return_alpha_map=True)[:, 0, 0]


def test_horizontal_translation_moves_the_alpha_centroid_across(reference) -> None:
    alpha = alpha_of(reference, "object_translation_horizontal")
    cols = torch.arange(16.0)
    centroid = (alpha * cols).sum((1, 2)) / alpha.sum((1, 2))
    assert (centroid.diff() > 0.2).all(), centroid
    assert centroid[-1] - centroid[0] > 4  # pixels of 16


def test_depth_translation_shrinks_the_alpha_as_the_object_moves_away(reference) -> None:
    plan = make_plan(reference.generator, "object_translation_vertical", 1, 6)
    alpha = alpha_of(reference, "object_translation_vertical")
    camera = plan.inputs[0][1][1][0, :3, 3]
    distance = torch.stack([(camera - poses[1][0, 0]).norm() for _, _, poses, _ in plan.inputs])
    area = alpha.sum((1, 2))[distance.argsort()]  # nearest first
    assert (area.diff() < 0).all(), area
    assert area[-1] < 0.8 * area[0]
