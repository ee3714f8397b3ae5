"""``inrkit data scenes``: the files, their determinism, the pose JSON, and bad requests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inrkit.data.scenes import write_scenes
from inrkit.scenes import render_scene, sample_scene, scene_rng

SCENES = ("data", "scenes")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("preset", ["cars", "cars64", "clevr"])
def test_cli_writes_images_and_poses_that_agree(run_inrkit, tmp_path, preset):
    out = tmp_path / "scenes"
    done = run_inrkit(
        *SCENES, "--preset", preset, "--n", 4, "--size", 64, "--out", out, "--seed", 11
    )
    assert done.returncode == 0, done.stderr
    assert f"4 {preset} scenes" in done.stderr + done.stdout
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"{i:06d}{ext}" for i in range(4) for ext in (".json", ".png")]
    for index in range(4):
        stem = f"{index:06d}"
        with Image.open(out / f"{stem}.png") as img:
            assert img.size == (64, 64) and img.mode == "RGB"
            pixels = np.asarray(img)
        record = json.loads((out / f"{stem}.json").read_text())
        assert record["image"] == f"{stem}.png" and record["image_size"] == [64, 64]
        assert (record["seed"], record["index"], record["preset"]) == (11, index, preset)
        assert set(record["camera"]) >= {"position", "look_at", "fov", "world_mat"}
        n_objects = len(record["objects"])
        assert n_objects == 1 if preset.startswith("cars") else 2 <= n_objects <= 5
        # The file is the rendering of the scene the JSON describes, and each object's projected
        # centre lies on that object's own pixels in the object mask.
        scene = sample_scene(preset, scene_rng(11, index))
        rendering = render_scene(scene, 64)
        assert np.array_equal(pixels, rendering.image)
        for k, obj in enumerate(record["objects"]):
            assert obj["type"] == scene.objects[k].kind
            assert set(obj) >= {"centre", "azimuth", "scale", "colour", "pixel_centre"}
            x, y = obj["pixel_centre"]
            assert 0 <= x <= 63 and 0 <= y <= 63
            assert rendering.mask[round(y), round(x)] == k + 1


def test_same_seed_same_bytes_other_seed_other_images(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_scenes(tmp_path / name, "clevr", 3, 32, seed=seed, progress=False)
    a, b, c = (_files(tmp_path / name) for name in "abc")
    assert a == b
    for stem in ("000000", "000001", "000002"):
        assert a[f"{stem}.png"] != c[f"{stem}.png"]


def test_scene_is_the_same_alone_in_a_batch_or_from_workers(tmp_path):
    write_scenes(tmp_path / "batch", "cars", 5, 32, seed=2, progress=False)
    write_scenes(tmp_path / "alone", "cars", 1, 32, seed=2, start=3, progress=False)
    write_scenes(tmp_path / "pool", "cars", 5, 32, seed=2, workers=2, progress=False)
    batch = _files(tmp_path / "batch")
    assert _files(tmp_path / "alone") == {k: v for k, v in batch.items() if "000003" in k}
    assert _files(tmp_path / "pool") == batch


def test_overwrite_flag(run_inrkit, tmp_path):
    out = tmp_path / "scenes"
    write_scenes(out, "cars", 2, 16, seed=0, progress=False)
    (out / "000001.json").write_text("old")
    done = run_inrkit(*SCENES, "--preset", "cars", "--n", 3, "--size", 16, "--out", out, "-q")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"inrkit: error: {out / '000000.png'}: already exists (use --overwrite to replace it)"
    ]
    assert sorted(p.name for p in out.iterdir())[-1] == "000001.png"  # nothing new written
    assert (out / "000001.json").read_text() == "old"
    done = run_inrkit(
        *SCENES, "--preset", "cars", "--n", 3, "--size", 16, "--out", out, "-q", "--overwrite"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((out / "000001.json").read_text())["index"] == 1
    assert len(list(out.iterdir())) == 6


@pytest.mark.parametrize(
    "args, message",
    [
        (["--preset", "cars", "--n", 0], "--n must be at least 1"),
        (["--preset", "cars", "--n", 1, "--size", 7], "--size must be between 8 and 1024"),
        (["--preset", "cars", "--n", 1, "--size", 100000], "--size must be between 8 and 1024"),
        (["--preset", "boats", "--n", 1], "invalid choice: 'boats'"),
        (["--preset", "clevr", "--n", 1, "--seed", -1], "--seed must be 0 or more"),
        (["--preset", "clevr", "--n", 2, "--start", 999_999], "six-digit names"),
        (["--preset", "clevr", "--n", 1, "--workers", 0], "--workers must be at least 1"),
        (["--preset", "clevr", "--n", 1, "--supersample", 9], "--supersample must be between"),
        (["--preset", "clevr", "--n", "many"], "invalid int value: 'many'"),
    ],
)
def test_bad_requests_fail_in_one_line_and_write_nothing(run_inrkit, tmp_path, args, message):
    out = tmp_path / "new"
    done = run_inrkit(*SCENES, *args, "--out", out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("inrkit: error: ") and message in lines[0]
    assert not out.exists()


def test_out_that_is_a_file(run_inrkit, tmp_path):
    out = tmp_path / "taken"
    out.write_text("not a folder")
    done = run_inrkit(*SCENES, "--preset", "cars", "--n", 1, "--out", out)
    assert done.returncode == 2
    assert done.stderr.strip() == f"inrkit: error: {out}: is a file, not a folder"
    assert out.read_text() == "not a folder"
