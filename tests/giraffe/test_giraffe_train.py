"""GIRAFFE training: official configs, data transforms, resume (incl. SIGKILL), DDP, bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image
from testlib.ddp import two_rank_digests
from testlib.giraffe import TINY

from inrkit.errors import InrkitError
from inrkit.giraffe import load
from inrkit.giraffe.data import ImagesDataset
from inrkit.giraffe.official_config import to_official
from inrkit.giraffe.train import train
from inrkit.giraffe.train_config import load_train_config
from inrkit.io.checkpoints import weights_digest
from inrkit.io.images import list_images


def _images(folder: Path, n: int = 6, size: tuple[int, int] = (40, 48)) -> Path:
    """Small coloured squares on a gradient: different per image, like cars on a backdrop."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    h, w = size
    for i in range(n):
        img = np.zeros((h, w, 3), np.uint8)
        img[..., 2] = np.linspace(60, 200, w, dtype=np.uint8)[None, :]
        img[..., 1] = 90
        y, x = rng.integers(4, h - 16), rng.integers(4, w - 16)
        img[y : y + 12, x : x + 12] = rng.integers(0, 255, 3)
        Image.fromarray(img).save(folder / f"{i:03d}.png")
    return folder


def _config(tmp_path: Path, **training) -> Path:
    """An official-structure config: TINY's model, a tiny image folder, a short schedule."""
    data = _images(tmp_path / "images")
    cfg = to_official(TINY)
    cfg["data"].update({"path": str(data / "*.png"), "random_crop": False})
    cfg["training"].update(
        {
            "out_dir": str(tmp_path / "out"),
            "batch_size": 2,
            "print_every": 1,
            "checkpoint_every": 2,
            "visualize_every": 3,
            "validate_every": 0,
            "backup_every": 4,
            "n_workers": 0,
            "max_iters": 5,
            "model_selection_metric": "swd",
            "n_eval_images": 4,
            **training,
        }
    )
    path = tmp_path / "giraffe_tiny.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


TRAIN = ("giraffe", "train")
ONE_THREAD = {"OMP_NUM_THREADS": "1"}


# ----- data ---------------------------------------------------------------------------------
def test_transforms_match_the_official_options(tmp_path: Path) -> None:
    folder = _images(tmp_path / "im", n=3, size=(40, 60))
    assert list_images(folder) == list_images(str(folder / "*.png"))
    plain = ImagesDataset(folder, 32, flip=False)
    x = plain[0]["image"]
    assert x.shape == (3, 32, 32) and x.dtype == torch.float32
    assert 0 <= x.min() and x.max() <= 1
    tanh = ImagesDataset(folder, 32, use_tanh_range=True, flip=False)[0]["image"]
    assert torch.allclose(tanh, x * 2 - 1)
    # Flips: over a few draws, both orientations of the same file appear.
    flipping = ImagesDataset(folder, 32)
    torch.manual_seed(0)
    draws = {flipping[0]["image"][2, 0, 0].item() for _ in range(12)}
    assert draws == {x[2, 0, 0].item(), x[2, 0, -1].item()}
    # Random crop: the shorter side is resized to 32, then a square is cut at random.
    crops = ImagesDataset(folder, 32, random_crop=True, flip=False)
    torch.manual_seed(1)
    shapes = {tuple(crops[1]["image"].shape) for _ in range(3)}
    assert shapes == {(3, 32, 32)}
    # CelebA centre crop: 108 px around the centre (black padding on a small image).
    face = ImagesDataset(folder, 32, celeba_center_crop=True, flip=False)[0]["image"]
    assert face.shape == (3, 32, 32) and face[:, 0, 0].sum() == 0


def test_bad_data_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(InrkitError, match="holds no image files"):
        ImagesDataset(tmp_path / "empty")
    with pytest.raises(InrkitError, match="no image files match"):
        ImagesDataset(str(tmp_path / "empty" / "*.jpg"))
    folder = _images(tmp_path / "im", n=2)
    (folder / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(InrkitError, match="broken.png: not a readable image"):
        ImagesDataset(folder).check_readable()
    (folder / "broken.png").unlink()
    # The CelebA centre crop (108 px) would pad these small images with black: refused.
    with pytest.raises(InrkitError, match=r"image is \d+x\d+, smaller than the CelebA centre"):
        ImagesDataset(folder, 32, celeba_center_crop=True).check_readable()


# ----- training -----------------------------------------------------------------------------
def test_official_config_trains_and_writes_everything(tmp_path: Path) -> None:
    config = load_train_config(_config(tmp_path, validate_every=5))
    result = train(config, tmp_path / "run", progress=False)
    run = tmp_path / "run"
    assert result["it"] == 5
    names = ("model.pt", "model_4.pt", "model_best.pt", "history.jsonl", "losses.png")
    for name in (*names, "history.csv", "metric.png", "config.yaml"):
        assert (run / name).is_file(), name
    assert (run / "vis" / "visualization_0000000003.png").is_file()
    records = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [r["it"] for r in records] == [1, 2, 3, 4, 5]
    for r in records:
        assert all(np.isfinite(r[k]) for k in ("generator", "discriminator", "regularizer"))
    assert records[-1]["val_swd"] > 0 and result["best"] == records[-1]["val_swd"]
    assert torch.load(run / "model_best.pt", weights_only=True)["loss_val_best"] == result["best"]
    # The checkpoint is in the official structure and loads for rendering.
    ckpt = torch.load(run / "model.pt", weights_only=True)
    assert {"model", "optimizer", "optimizer_d", "epoch_it", "it", "loss_val_best"} <= set(ckpt)
    assert ckpt["it"] == 5 and ckpt["epoch_it"] == 2  # 6 images / batch 2 = 3 per epoch
    model = load(run / "model.pt")
    assert weights_digest(model.network) == result["weights_sha256"]
    assert model.generator(2, mode="val").shape == (2, 3, 32, 32)


def test_training_moves_both_players_and_the_average(tmp_path: Path) -> None:
    config = load_train_config(_config(tmp_path, max_iters=2))
    train(config, tmp_path / "run", progress=False)
    torch.manual_seed(config.settings.seed)
    from inrkit.giraffe.model import Giraffe

    start = Giraffe(TINY).state_dict()
    trained = load(tmp_path / "run" / "model.pt").network.state_dict()
    for prefix in ("generator.", "generator_test.", "discriminator."):
        moved = [k for k in start if k.startswith(prefix) and not torch.equal(start[k], trained[k])]
        assert moved, prefix
    # The average lags behind: generator_test = 0.999-EMA, not a copy.
    key = "generator.decoder.feat_out.weight"
    g, avg, s = trained[key], trained[key.replace("generator.", "generator_test.")], start[key]
    assert not torch.equal(g, avg)
    assert (avg - s).abs().max() < (g - s).abs().max()


def test_resume_is_bit_exact_mid_epoch(tmp_path: Path) -> None:
    path = _config(tmp_path)
    reference = train(load_train_config(path), tmp_path / "ref", progress=False)
    # Stop after 4 iterations (mid-epoch: 3 per epoch), then resume to 5.
    train(load_train_config(path, ["training.max_iters=4"]), tmp_path / "two", progress=False)
    resumed = train(load_train_config(path), tmp_path / "two", resume=True, progress=False)
    assert resumed["weights_sha256"] == reference["weights_sha256"]
    lines = (tmp_path / "two" / "history.jsonl").read_text().splitlines()
    assert [json.loads(x)["it"] for x in lines] == [1, 2, 3, 4, 5]


def test_sigkill_then_resume_matches_uninterrupted(run_inrkit, tmp_path: Path) -> None:
    path = _config(tmp_path, max_iters=7, visualize_every=0, backup_every=0)
    reference = train(load_train_config(path), tmp_path / "ref", progress=False)
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "inrkit", "giraffe", "train", str(path), "--out-dir", str(out)]
    proc = subprocess.Popen(
        [*cmd, "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    deadline = time.time() + 120
    while not (out / "model.pt").exists() and time.time() < deadline:
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    ckpt = torch.load(out / "model.pt", weights_only=True)  # whole, never half written
    if ckpt["it"] >= 7:
        pytest.skip("the run finished before the kill landed")
    assert ckpt["it"] % 2 == 0  # a checkpoint interval boundary
    run_inrkit(*TRAIN, path, "--out-dir", out, "--resume", "-q", env=ONE_THREAD, check=True)
    assert weights_digest(load(out / "model.pt").network) == reference["weights_sha256"]


DDP_WORKER = """
import sys
from inrkit.giraffe.train import train
from inrkit.giraffe.train_config import load_train_config
r = train(load_train_config(sys.argv[1]), sys.argv[2], progress=False, device="cpu")
print("DIGEST", r["weights_sha256"], flush=True)
"""


def test_ddp_two_processes_hold_identical_weights(tmp_path: Path) -> None:
    cfg = _config(tmp_path, max_iters=3, batch_size=4, visualize_every=0)
    digests = two_rank_digests(DDP_WORKER, cfg, tmp_path / "ddp", folder=tmp_path)
    assert len(digests) == 2 and digests[0] == digests[1]
    assert (tmp_path / "ddp" / "model.pt").is_file()
    assert len((tmp_path / "ddp" / "history.jsonl").read_text().splitlines()) == 3


def test_bad_configs_are_one_clear_line(tmp_path: Path) -> None:
    path = _config(tmp_path, max_iters=2)
    cases = [
        ("training.bogus=1", "training.bogus: unknown key"),
        ("training.batch_size=0", "training.batch_size must be >= 1"),
        ("training.model_selection_metric=is", "model_selection_metric must be one"),
        ("data.dataset_name=lsun", "only 'images' is supported"),
        ("training.checkpoint_every=-1", "checkpoint_every must be >= 0"),
        ("training.ema_beta=1", "ema_beta must be in [0, 1)"),
        ("training.max_iters=ten", "max_iters: expected a whole number"),
        ("data.random_crop=yes please", "random_crop: expected true or false"),
        ("model.z_dim=0", "z_dim"),
        ("!!python/object:os.system", "expected key=value"),
    ]
    for override, message in cases:
        with pytest.raises(InrkitError, match=None) as err:
            load_train_config(path, [override])
        assert message in str(err.value) and "\n" not in str(err.value), override
    runtime = [
        ("data.path=" + str(tmp_path / "nowhere"), "no such folder"),
        ("training.batch_size=64", "fewer than one batch of 64"),
    ]
    for override, message in runtime:
        with pytest.raises(InrkitError) as err:
            train(load_train_config(path, [override]), tmp_path / "x", progress=False)
        assert message in str(err.value), override
    assert not (tmp_path / "x").exists()


def test_cli_trains_and_refuses_bad_input(run_inrkit, tmp_path: Path) -> None:
    path = _config(tmp_path, max_iters=2)
    out = tmp_path / "cli"
    done = run_inrkit(*TRAIN, path, "--out-dir", out, "-q", env=ONE_THREAD, check=True)
    assert (out / "model.pt").is_file() and done.stdout == ""
    (tmp_path / "images" / "zz_broken.png").write_bytes(b"not an image")
    for args, message in (
        ((out,), "already holds a run; pass --resume"),
        ((tmp_path / "other",), "zz_broken.png: not a readable image"),
        ((tmp_path / "other", "--set", "training.bogus=1"), "training.bogus: unknown key"),
    ):
        bad = run_inrkit(*TRAIN, path, "--out-dir", *args, env=ONE_THREAD)
        assert bad.returncode == 2, (args, bad.stderr)
        assert message in bad.stderr and "Traceback" not in bad.stderr, (args, bad.stderr)
        assert len(bad.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "other").exists()


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path: Path, monkeypatch) -> None:
    import inrkit.giraffe.train as giraffe_train

    path = _config(tmp_path, max_iters=6, visualize_every=0)
    real_bce = giraffe_train.bce
    calls = {"n": 0}

    def poisoned(d_out: torch.Tensor, target: float) -> torch.Tensor:
        calls["n"] += 1  # three BCE terms per iteration: the third iteration's first is NaN
        loss = real_bce(d_out, target)
        return loss * float("nan") if calls["n"] == 7 else loss

    monkeypatch.setattr(giraffe_train, "bce", poisoned)
    with pytest.raises(InrkitError, match="NaN or infinite at iteration 3.*model.pt"):
        train(load_train_config(path), tmp_path / "run", progress=False)
    assert torch.load(tmp_path / "run" / "model.pt", weights_only=True)["it"] == 2
