"""Rendering keyframed paths: the page's renderer, the files, ``giraffe render --path``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from testlib.giraffe import run_cli

import inrkit.giraffe as giraffe
from inrkit.errors import InrkitError
from inrkit.giraffe.model import GiraffeModel
from inrkit.giraffe.sliders import render_sliders, uniform_frame
from inrkit.io.ffmpeg import ffmpeg_executable

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


def test_keyframes_render_as_the_page_renders_their_sliders(tiny_giraffe: GiraffeModel) -> None:
    frames = giraffe.render_path(tiny_giraffe, PATH)
    assert frames.shape == (5, 3, 32, 32) and torch.isfinite(frames).all()
    n = tiny_giraffe.generator.get_n_boxes()
    first = uniform_frame(n, **PAGE)
    last = uniform_frame(n, **{**PAGE, "rotation": 0.75, "shape_seed": 8, "elevation": 0.9})
    page = torch.stack(list(render_sliders(tiny_giraffe, [first, last])))
    assert torch.equal(frames[0], page[0]) and torch.equal(frames[-1], page[1])
    assert (frames[2] - frames[0]).abs().max() > 1e-3  # in between, the scene moves


def test_paths_are_deterministic_and_independent_of_batching(tiny_giraffe: GiraffeModel) -> None:
    frames = giraffe.render_path(tiny_giraffe, PATH, interpolation="smooth", frames=11)
    assert torch.equal(
        frames, giraffe.render_path(tiny_giraffe, PATH, interpolation="smooth", frames=11)
    )
    from inrkit.giraffe.keyframes import parse_path, sample_path

    sliders = sample_path(parse_path({**PATH, "frames": 11, "interpolation": "smooth"}), 1)
    one_by_one = torch.stack(list(render_sliders(tiny_giraffe, sliders, batch_size=1)))
    assert torch.allclose(frames, one_by_one, atol=1e-5)


def test_save_path_writes_gif_strip_and_png_frames(
    tiny_giraffe: GiraffeModel, tmp_path: Path
) -> None:
    source = tmp_path / "turn.json"
    source.write_text(json.dumps(PATH))
    gif, strip = giraffe.save_path(tiny_giraffe, source, tmp_path / "out")
    assert gif == tmp_path / "out" / "turn" / "turn.gif" and strip.name == "turn_strip.png"
    with Image.open(gif) as im:
        assert im.size == (32, 32) and im.info["loop"] == 0 and im.info["duration"] == 250
    with Image.open(strip) as im:
        assert im.size == (2 + 5 * 34, 36)  # five frames (fewer than six), 2-pixel gaps
    pngs = giraffe.save_path(tiny_giraffe, source, tmp_path / "out", fmt="png")
    assert [p.name for p in pngs] == [f"turn_{i:04d}.png" for i in range(5)]
    expected = giraffe.render_path(tiny_giraffe, source)
    with Image.open(pngs[-1]) as im:
        got = torch.from_numpy(np.array(im)).permute(2, 0, 1) / 255
    assert (got - expected[-1]).abs().max() <= 1 / 255 + 1e-6


@pytest.mark.skipif(ffmpeg_executable() is None, reason="no ffmpeg")
def test_save_path_mp4(tiny_giraffe: GiraffeModel, tmp_path: Path) -> None:
    mp4, _ = giraffe.save_path(tiny_giraffe, PATH, tmp_path, fmt="mp4", name="clip")
    assert mp4.name == "clip.mp4" and mp4.stat().st_size > 0


def test_cli_renders_a_yaml_path_and_refuses_mixed_flags(
    giraffe_ckpt: Path, tmp_path: Path
) -> None:
    source = tmp_path / "walk.yaml"
    source.write_text(
        "interpolation: smooth\nkeyframes:\n"
        "  - {time: 0, translation_x: 0.0}\n  - {time: 2, translation_x: 1.0}\n"
    )
    out = tmp_path / "out"
    argv = ["giraffe", "render", "--model", str(giraffe_ckpt), "--path", str(source), "--out-dir"]
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


def test_readme_path_example(tiny_giraffe: GiraffeModel, tmp_path: Path) -> None:
    """The README's path file renders, and its error example is the real message."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = json.loads(re.findall(r"```json\n(.*?)```", readme, flags=re.S)[0])
    source = tmp_path / "drive.json"
    source.write_text(json.dumps(example))
    assert giraffe.render_path(tiny_giraffe, source).shape == (49, 3, 32, 32)
    example["keyframes"][2]["rotation"] = 1.5
    source.write_text(json.dumps(example))
    with pytest.raises(InrkitError) as err:
        giraffe.render_path(tiny_giraffe, source)
    message = f"inrkit: error: {err.value}".replace(str(tmp_path) + "/", "")
    assert f"`{message}`" in readme.replace("\n", " ")
