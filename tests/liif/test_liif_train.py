"""LIIF training: official configs run, resume is exact, kills and NaNs lose nothing, DDP."""

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
from testlib.ddp import two_rank_digests
from testlib.liif import tiny_train_config

from inrkit.errors import InrkitError
from inrkit.io.checkpoints import weights_digest
from inrkit.liif import load
from inrkit.liif.config import load_config
from inrkit.liif.train import learning_rate, train


def test_official_config_trains_and_writes_everything(tmp_path: Path) -> None:
    result = train(load_config(tiny_train_config(tmp_path)), tmp_path / "run", progress=False)
    run = tmp_path / "run"
    for name in (
        "epoch-last.pth",
        "epoch-best.pth",
        "epoch-2.pth",
        "history.jsonl",
        "history.csv",
        "loss.png",
        "psnr.png",
        "config.json",
    ):
        assert (run / name).is_file(), name
    records = [json.loads(line) for line in (run / "history.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2, 3]
    assert all(np.isfinite(r["train_loss"]) and np.isfinite(r["val_psnr"]) for r in records)
    assert [r["lr"] for r in records] == [1e-3, 1e-3, 5e-4]  # MultiStepLR: decays after epoch 2
    assert any((run / "tensorboard").iterdir())
    # The checkpoint is in the official structure and loads as a model.
    ckpt = torch.load(run / "epoch-last.pth", weights_only=True)
    assert set(ckpt) >= {"model", "optimizer", "epoch"} and ckpt["epoch"] == 3
    assert set(ckpt["model"]) == {"name", "args", "sd"}
    assert weights_digest(load(run / "epoch-last.pth")) == result["weights_sha256"]


def test_resume_is_bit_exact(tmp_path: Path) -> None:
    cfg = load_config(tiny_train_config(tmp_path))
    full = train(cfg, tmp_path / "full", progress=False)
    short = load_config(tiny_train_config(tmp_path), ["epoch_max=1"])
    train(short, tmp_path / "split", progress=False)
    resumed = train(cfg, tmp_path / "split", resume=True, progress=False)
    assert resumed["weights_sha256"] == full["weights_sha256"]
    history = (tmp_path / "split" / "history.jsonl").read_text().splitlines()
    assert [json.loads(r)["epoch"] for r in history] == [1, 2, 3]


def test_refuses_to_clobber_or_resume_nothing(tmp_path: Path) -> None:
    cfg = load_config(tiny_train_config(tmp_path), ["epoch_max=1"])
    with pytest.raises(InrkitError, match="nothing to resume"):
        train(cfg, tmp_path / "run", resume=True, progress=False)
    train(cfg, tmp_path / "run", progress=False)
    before = (tmp_path / "run" / "epoch-last.pth").read_bytes()
    with pytest.raises(InrkitError, match="already holds a run"):
        train(cfg, tmp_path / "run", progress=False)
    assert (tmp_path / "run" / "epoch-last.pth").read_bytes() == before


def test_nan_loss_stops_and_keeps_last_good_checkpoint(tmp_path: Path, monkeypatch) -> None:
    cfg = load_config(tiny_train_config(tmp_path))
    import inrkit.liif.train as trainer

    calls = {"n": 0}
    real = trainer.F.l1_loss

    def poisoned(pred, gt):
        calls["n"] += 1
        loss = real(pred, gt)
        return loss * float("nan") if calls["n"] == 5 else loss  # epoch 2, second step

    monkeypatch.setattr(trainer.F, "l1_loss", poisoned)
    with pytest.raises(InrkitError, match="loss became nan at epoch 2"):
        train(cfg, tmp_path / "run", progress=False)
    ckpt = torch.load(tmp_path / "run" / "epoch-last.pth", weights_only=True)
    assert ckpt["epoch"] == 1


def test_warmup_and_milestones() -> None:
    from inrkit.liif.config import parse_config

    cfg = parse_config(
        {
            "train_dataset": {"batch_size": 1},
            "model": {"name": "liif"},
            "optimizer": {"name": "adam", "args": {"lr": 1.0}},
            "warmup_iters": 4,
            "multi_step_lr": {"milestones": [2, 3], "gamma": 0.1},
        }
    )
    assert learning_rate(cfg, 1, 0) == pytest.approx(0.25)
    assert learning_rate(cfg, 1, 3) == pytest.approx(1.0)
    assert learning_rate(cfg, 3, 10) == pytest.approx(0.1)
    assert learning_rate(cfg, 4, 10) == pytest.approx(0.01)


def _run_script(tmp_path: Path, config: Path, out: Path, resume: bool) -> list[str]:
    code = (
        "import sys; from inrkit.liif.config import load_config; "
        "from inrkit.liif.train import train; "
        f"r = train(load_config({str(config)!r}), {str(out)!r}, resume={resume}, "
        "progress=False); print('DIGEST', r['weights_sha256'])"
    )
    return [sys.executable, "-c", code]


def test_sigkill_mid_epoch_then_resume_matches_uninterrupted(tmp_path: Path) -> None:
    # Enough steps per epoch that a kill lands mid-epoch after the first checkpoint.
    cfg_path = tiny_train_config(tmp_path, epoch_max=3)
    # The reference runs in a fresh process too: this one's thread count may have been changed
    # by an earlier test, and float sums in another order give other weights.
    ref = subprocess.run(
        _run_script(tmp_path, cfg_path, tmp_path / "ref", False),
        capture_output=True,
        text=True,
        check=True,
    )
    reference = ref.stdout.split("DIGEST ")[1].strip()
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        _run_script(tmp_path, cfg_path, out, False),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    while not (out / "epoch-last.pth").exists() and time.time() < deadline:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    ckpt = torch.load(out / "epoch-last.pth", weights_only=True)  # whole, never half written
    assert ckpt["epoch"] in (1, 2, 3)
    if ckpt["epoch"] == 3:
        pytest.skip("the run finished before the kill landed (machine too fast)")
    done = subprocess.run(
        _run_script(tmp_path, cfg_path, out, True), capture_output=True, text=True, check=True
    )
    assert f"DIGEST {reference}" in done.stdout


DDP_WORKER = """
import sys
from inrkit.liif.config import load_config
from inrkit.liif.train import train
r = train(load_config(sys.argv[1]), sys.argv[2], progress=False, device="cpu")
print("DIGEST", r["weights_sha256"], flush=True)
"""


def test_ddp_two_processes_hold_identical_weights(tmp_path: Path) -> None:
    cfg = tiny_train_config(tmp_path, epoch_max=2)
    digests = two_rank_digests(DDP_WORKER, cfg, tmp_path / "ddp", folder=tmp_path)
    assert len(digests) == 2 and digests[0] == digests[1]
    assert (tmp_path / "ddp" / "epoch-last.pth").is_file()  # rank 0 wrote it
    assert len((tmp_path / "ddp" / "history.jsonl").read_text().splitlines()) == 2


def test_cli_train_and_bad_configs(run_inrkit, tmp_path: Path) -> None:
    cfg = tiny_train_config(tmp_path)
    base = ["liif", "train"]
    done = run_inrkit(
        *base, cfg, "--out-dir", tmp_path / "runs", "--name", "t", "--set", "epoch_max=1", "-q"
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "runs" / "t" / "epoch-last.pth").is_file()
    evil = tmp_path / "evil.yaml"
    evil.write_text(f'x: !!python/object/apply:os.system ["touch {tmp_path / "pwned"}"]\n')
    bad_cases = [
        ([str(tmp_path / "missing.yaml")], "no such config file"),
        ([str(evil)], "not valid YAML"),
        ([str(cfg), "--set", "epoch_max=0"], "'epoch_max' must be a positive integer"),
        ([str(cfg), "--set", "model.args.encoder_spec.name=vgg"], "unknown encoder 'vgg'"),
        ([str(cfg), "--set", "train_dataset.batch_size=-4"], "batch_size must be a positive"),
        ([str(cfg), "--set", "oops"], "expected key=value"),
        ([str(cfg), "--out-dir", str(tmp_path / "runs"), "--name", "t"], "already holds a run"),
    ]
    for args, message in bad_cases:
        argv = (
            [*base, *args, "--out-dir", str(tmp_path / "runs2")]
            if "--out-dir" not in args
            else [*base, *args]
        )
        bad = run_inrkit(*argv)
        lines = bad.stderr.strip().splitlines()
        assert bad.returncode == 2, (args, bad.stderr)
        assert len(lines) == 1 and lines[0].startswith("inrkit: error:") and message in lines[0]
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize(
    "sets, message",
    [
        # 40x40 photos and the paper's 48 x 4 = 192 px HR crop: refused, naming a photo.
        (["train_dataset.wrapper.args.inp_size=48"], "0000.png: image is 40x40, smaller than"),
        # 3 images x repeat 1 < one batch of 16: no step would run (was UnboundLocalError).
        (
            ["train_dataset.dataset.args.repeat=1", "train_dataset.batch_size=16"],
            "3 samples per epoch (3 images x repeat) is fewer than one batch of 16",
        ),
    ],
)
def test_data_that_cannot_fill_an_epoch_is_refused_before_training(
    run_inrkit, tmp_path: Path, sets: list[str], message: str
) -> None:
    cfg, args = tiny_train_config(tmp_path), [item for s in sets for item in ("--set", s)]
    argv = ["liif", "train", cfg, "--out-dir", tmp_path / "runs", "--name", "t", "-q", *args]
    done = run_inrkit(*argv, env={"OMP_NUM_THREADS": "1"})
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert len(lines) == 1 and lines[0].startswith("inrkit: error:") and message in lines[0]
    assert not list((tmp_path / "runs").glob("t/*.pth"))  # nothing trained, nothing written


def test_steps_per_epoch_caps_every_epoch_and_resumes_exactly(tmp_path: Path) -> None:
    # 3 images x repeat 2 = 3 batches of 2 per epoch; the budget keeps 2 of them.
    cfg = load_config(tiny_train_config(tmp_path), ["steps_per_epoch=2"])
    full = train(cfg, tmp_path / "full", progress=False)
    records = [
        json.loads(r) for r in (tmp_path / "full" / "history.jsonl").read_text().splitlines()
    ]
    assert [r["step"] for r in records] == [2, 4, 6]
    train(
        load_config(tiny_train_config(tmp_path), ["steps_per_epoch=2", "epoch_max=1"]),
        tmp_path / "s",
        progress=False,
    )
    resumed = train(cfg, tmp_path / "s", resume=True, progress=False)
    assert resumed["weights_sha256"] == full["weights_sha256"]
    uncapped = load_config(tiny_train_config(tmp_path))
    train(uncapped, tmp_path / "whole", progress=False)
    whole = [json.loads(r) for r in (tmp_path / "whole" / "history.jsonl").read_text().splitlines()]
    assert [r["step"] for r in whole] == [3, 6, 9]
    with pytest.raises(InrkitError, match="'steps_per_epoch' must be a positive integer"):
        load_config(tiny_train_config(tmp_path), ["steps_per_epoch=0"])
