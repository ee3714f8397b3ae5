"""A full disk while saving: one line, exit 2, the previous file intact, no temporary left.

Two ways to fill a disk: ``RLIMIT_FSIZE`` on the command's process (writes past the limit fail
with EFBIG; SIGXFSZ ignored, as the shell's ``ulimit -f`` would not), which needs nothing; and
a real tmpfs of a few hundred KB filled up to a margin (ENOSPC), which needs root and mount
rights and is skipped elsewhere. Both trainers' checkpoints (LIIF, GIRAFFE) and upscale's
output are tried.
"""

from __future__ import annotations

import contextlib
import resource
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from testlib.giraffe_faults import tiny_config as giraffe_config
from testlib.train_faults import child_env, tiny_config

from inrkit.giraffe.checkpoint import read_checkpoint
from inrkit.io.checkpoints import load_trusted

LIIF_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "liif" / "edsr-small.pth"
LIMIT = 40_000  # bytes: above the history files and plots, below a checkpoint (~75 KB)
GIRAFFE_LIMIT = 80_000  # above GIRAFFE's history and plots (< 30 KB), below model.pt (~145 KB)


def _file_size_limit(limit: int):
    def apply() -> None:  # in the child, before exec: both survive exec
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _how(limit: int | None = None) -> dict:
    """``run_inrkit``'s options here: ``child_env()`` (offline, one thread) as the whole
    environment, and files of at most ``limit`` bytes."""
    preexec = _file_size_limit(limit) if limit else None
    return dict(environ=child_env(), timeout=180, preexec_fn=preexec)


def _one_error(done: subprocess.CompletedProcess[str], path: Path, reason: str) -> None:
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(lines) == 1, done.stderr
    assert lines[0].startswith(f"inrkit: error: {path}") and reason in lines[0], lines[0]


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(".part")]


def _one_epoch_run(run_inrkit, tmp_path: Path) -> tuple[Path, Path]:
    """A run folder holding epoch 1 of 2, trained without limits; (config, run)."""
    config = tiny_config(tmp_path, epoch_max=2, epoch_save=1)
    argv = ["liif", "train", config, "--out-dir", tmp_path / "runs", "--name", "run", "-q"]
    done = run_inrkit(*argv, "--set", "epoch_max=1", **_how())
    assert done.returncode == 0, done.stderr
    return config, tmp_path / "runs" / "run"


def _resume_fails_to_save(
    run_inrkit, config: Path, run: Path, reason: str, limit: int | None = None
) -> None:
    before = (run / "epoch-last.pth").read_bytes()
    argv = ["liif", "train", config, "--out-dir", run.parent, "--name", run.name, "--resume"]
    done = run_inrkit(*argv, "-q", **_how(limit))
    _one_error(done, run, reason)
    assert (run / "epoch-last.pth").read_bytes() == before
    assert load_trusted(run / "epoch-last.pth")["epoch"] == 1
    assert not (run / "epoch-2.pth").exists()
    assert _temporaries(run) == []


@pytest.fixture
def giraffe_run(run_inrkit, tmp_path_factory) -> tuple[Path, Path]:
    """A GIRAFFE run folder at iteration 2 of 4 (model.pt written), trained without limits;
    (config, run). Tests copy the folder before resuming it."""
    folder = tmp_path_factory.mktemp("giraffe")
    config = giraffe_config(folder, max_iters=4, print_every=1, validate_every=0, backup_every=0)
    run = folder / "run"
    argv = ["giraffe", "train", config, "--out-dir", run, "-q"]
    done = run_inrkit(*argv, "--set", "training.max_iters=2", **_how())
    assert done.returncode == 0, done.stderr
    return config, run


def _giraffe_resume_fails_to_save(
    run_inrkit, config: Path, run: Path, reason: str, limit: int | None = None
):
    before = (run / "model.pt").read_bytes()
    done = run_inrkit("giraffe", "train", config, "--out-dir", run, "--resume", "-q", **_how(limit))
    _one_error(done, run / "model.pt", reason)  # at iteration 4, after two history records
    assert (run / "model.pt").read_bytes() == before
    assert read_checkpoint(run / "model.pt")["it"] == 2
    assert _temporaries(run) == []


def _noise_png(path: Path, side: int = 48) -> Path:
    pixels = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def _upscale_fails_to_save(
    run_inrkit, src: Path, out_dir: Path, reason: str, limit: int | None = None
):
    argv = ["upscale", src, "--scale", "4", "--model", LIIF_MODEL, "--out-dir", out_dir]
    done = run_inrkit(*argv, **_how(limit))
    _one_error(done, out_dir, reason)
    assert [p.name for p in out_dir.iterdir()] == []  # no output, half or whole, no temporary


def test_checkpoint_over_the_file_size_limit(run_inrkit, tmp_path: Path) -> None:
    config, run = _one_epoch_run(run_inrkit, tmp_path)
    _resume_fails_to_save(
        run_inrkit, config, run, "cannot write checkpoint (File too large)", LIMIT
    )


def test_giraffe_checkpoint_over_the_file_size_limit(
    run_inrkit, tmp_path: Path, giraffe_run
) -> None:
    config, run = giraffe_run
    shutil.copytree(run, tmp_path / "run")
    reason = "cannot write (File too large)"
    _giraffe_resume_fails_to_save(run_inrkit, config, tmp_path / "run", reason, GIRAFFE_LIMIT)


def test_upscale_output_over_the_file_size_limit(run_inrkit, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    # LIIF's output is smooth and packs well: a tighter limit than for checkpoints.
    _upscale_fails_to_save(
        run_inrkit, _noise_png(tmp_path / "in.png"), out_dir, "File too large", 2_000
    )


@contextlib.contextmanager
def _small_tmpfs(folder: Path, size_kb: int) -> Iterator[Path]:
    folder.mkdir()
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(folder)],
        capture_output=True,
    )
    if mount.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root and mount rights)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def _fill(folder: Path, leave: int) -> None:
    """Take all but ``leave`` bytes of the file system's free space."""
    free = shutil.disk_usage(folder).free
    (folder / "filler").write_bytes(b"\0" * max(free - leave, 0))


def test_checkpoint_on_a_full_tmpfs(run_inrkit, tmp_path: Path) -> None:
    config, run = _one_epoch_run(run_inrkit, tmp_path)
    with _small_tmpfs(tmp_path / "disk", 1024) as disk:
        shutil.copytree(run, disk / "run")
        _fill(disk, 50_000)  # room for the history and the plots, not for a checkpoint
        _resume_fails_to_save(run_inrkit, config, disk / "run", "No space left on device")


def test_history_on_a_full_tmpfs(run_inrkit, tmp_path: Path) -> None:
    config, run = _one_epoch_run(run_inrkit, tmp_path)
    with _small_tmpfs(tmp_path / "disk", 1024) as disk:
        shutil.copytree(run, disk / "run")
        _fill(disk, 8_000)  # not even room for the loss plot, written before the checkpoint
        _resume_fails_to_save(run_inrkit, config, disk / "run", "No space left on device")


def test_giraffe_checkpoint_on_a_full_tmpfs(run_inrkit, tmp_path: Path, giraffe_run) -> None:
    config, run = giraffe_run
    with _small_tmpfs(tmp_path / "disk", 1024) as disk:
        shutil.copytree(run, disk / "run")
        _fill(disk, GIRAFFE_LIMIT)  # room for the history and the plots, not for model.pt
        _giraffe_resume_fails_to_save(run_inrkit, config, disk / "run", "No space left on device")


def test_upscale_output_on_a_full_tmpfs(run_inrkit, tmp_path: Path) -> None:
    src = _noise_png(tmp_path / "in.png")
    with _small_tmpfs(tmp_path / "disk", 256) as disk:
        (disk / "out").mkdir()
        _fill(disk, 16_000)
        _upscale_fails_to_save(run_inrkit, src, disk / "out", "No space left on device")
