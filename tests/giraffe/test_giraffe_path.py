"""Rendering keyframed paths: the page's renderer, the files, ``giraffe render --path``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from test_giraffe_cli import run_cli
from testlib.giraffe import TINY, tiny_network

import inrkit.giraffe as giraffe
from inrkit.errors import InrkitError
from inrkit.giraffe.animation import ffmpeg_executable
from inrkit.giraffe.model import GiraffeModel
from inrkit.giraffe.sliders import render_sliders, uniform_frame

PAGE = {
    "appearance_seed": 3,
    "shape_seed": 7,
    "rotation": 0.25,
    "translation_x": 0.3,
    "elevation": 0.5,
}
PATH = {
    "fps": 4,
    "keyframes": [
        {"time": 0, **PAGE},
        {"time": 1, **PAGE, "rotation": 0.75, "shape_seed": 8, "elevation": 0.9},
    ],
}


@pytest.fixture(scope="module")
def model() -> GiraffeModel:
    return GiraffeModel(network=tiny_network(), config=TINY)


def test_keyframes_render_as_the_page_renders_their_sliders(model: GiraffeModel) -> None:
    frames = giraffe.render_path(model, PATH)
    assert frames.shape == (5, 3, 32, 32) and torch.isfinite(frames).all()
    n = model.generator.get_n_boxes()
    first = uniform_frame(n, **PAGE)
    last = uniform_frame(n, **{**PAGE, "rotation": 0.75, "shape_seed": 8, "elevation": 0.9})
    page = torch.stack(list(render_sliders(model, [first, last])))
    assert torch.equal(frames[0], page[0]) and torch.equal(frames[-1], page[1])
    assert (frames[2] - frames[0]).abs().max() > 1e-3  # in between, the scene moves


def test_paths_are_deterministic_and_independent_of_batching(model: GiraffeModel) -> None:
    frames = giraffe.render_path(model, PATH, interpolation="smooth", frames=11)
    assert torch.equal(frames, giraffe.render_path(model, PATH, interpolation="smooth", frames=11))
    from inrkit.giraffe.keyframes import parse_path, sample_path

    sliders = sample_path(parse_path({**PATH, "frames": 11, "interpolation": "smooth"}), 1)
    one_by_one = torch.stack(list(render_sliders(model, sliders, batch_size=1)))
    assert torch.allclose(frames, one_by_one, atol=1e-5)


def test_save_path_writes_gif_strip_and_png_frames(model: GiraffeModel, tmp_path: Path) -> None:
    source = tmp_path / "turn.json"
    source.write_text(json.dumps(PATH))
    gif, strip = giraffe.save_path(model, source, tmp_path / "out")
    assert gif == tmp_path / "out" / "turn" / "turn.gif" and strip.name == "turn_strip.png"
    with Image.open(gif) as im:
        assert im.size == (32, 32) and im.info["loop"] == 0 and im.info["duration"] == 250
    with Image.open(strip) as im:
        assert im.size == (2 + 5 * 34, 36)  # five frames (fewer than six), 2-pixel gaps
    pngs = giraffe.save_path(model, source, tmp_path / "out", fmt="png")
    assert [p.name for p in pngs] == [f"turn_{i:04d}.png" for i in range(5)]
    expected = giraffe.render_path(model, source)
    with Image.open(pngs[-1]) as im:
        got = torch.from_numpy(np.array(im)).permute(2, 0, 1) / 255
    assert (got - expected[-1]).abs().max() <= 1 / 255 + 1e-6


@pytest.mark.skipif(ffmpeg_executable() is None, reason="no ffmpeg")
def test_save_path_mp4(model: GiraffeModel, tmp_path: Path) -> None:
    mp4, _ = giraffe.save_path(model, PATH, tmp_path, fmt="mp4", name="clip")
    assert mp4.name == "clip.mp4" and mp4.stat().st_size > 0


def test_cli_renders_a_yaml_path_and_refuses_mixed_flags(tmp_path: Path) -> None:
    ckpt = giraffe.save(GiraffeModel(network=tiny_network(), config=TINY), tmp_path / "m.pt")
    source = tmp_path / "walk.yaml"
    source.write_text(
        "interpolation: smooth\nkeyframes:\n"
        "  - {time: 0, translation_x: 0.0}\n  - {time: 2, translation_x: 1.0}\n"
    )
    out = tmp_path / "out"
    argv = ["giraffe", "render", "--model", str(ckpt), "--path", str(source), "--out-dir"]
    code, error = run_cli(*argv, str(out), "--format", "png", "--fps", "2", "-q")
    assert (code, error) == (0, "")
    assert sorted(p.name for p in (out / "walk").iterdir()) == [
        f"walk_{i:04d}.png" for i in range(5)
    ]
    code, error = run_cli(*argv, str(out), "--format", "png", "--fps", "2", "-q")
    assert code == 2 and error.endswith("walk_0000.png: already exists (use --overwrite)")
    code, error = run_cli(*argv, str(out), "--program", "object_rotation")
    assert error == "inrkit: error: give --program or --path, not both"
    code, error = run_cli(*argv, str(out), "--seed", "0")
    assert error.startswith("inrkit: error: --seed: only for render programs")
    code, error = run_cli(*argv[:-3], "--out-dir", str(out), "--frames", "4")
    assert error == "inrkit: error: --frames: only with --path"


def test_readme_path_example(model: GiraffeModel, tmp_path: Path) -> None:
    """The README's path file renders, and its error example is the real message."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = json.loads(re.findall(r"```json\n(.*?)```", readme, flags=re.S)[0])
    source = tmp_path / "drive.json"
    source.write_text(json.dumps(example))
    assert giraffe.render_path(model, source).shape == (49, 3, 32, 32)
    example["keyframes"][2]["rotation"] = 1.5
    source.write_text(json.dumps(example))
    with pytest.raises(InrkitError) as err:
        giraffe.render_path(model, source)
    message = f"inrkit: error: {err.value}".replace(str(tmp_path) + "/", "")
    assert f"`{message}`" in readme.replace("\n", " ")


def test_cli_limits_match_the_library() -> None:
    from inrkit.cli import giraffe as giraffe_cli
    from inrkit.cli import giraffe_mesh
    from inrkit.giraffe import keyframes, mesh

    assert (giraffe_cli.MAX_PATH_FRAMES, giraffe_cli.MAX_FPS) == (
        keyframes.MAX_FRAMES,
        keyframes.MAX_FPS,
    )
    assert giraffe_mesh.MESH_FORMATS == mesh.MESH_FORMATS
    assert (giraffe_mesh.MIN_RESOLUTION, giraffe_mesh.MAX_RESOLUTION) == (
        mesh.MIN_RESOLUTION,
        mesh.MAX_RESOLUTION,
    )
