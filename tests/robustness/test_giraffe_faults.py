"""SIGKILL at random moments of GIRAFFE training: nothing is lost but one checkpoint interval.

One uninterrupted run gives the reference; it keeps every checkpoint (``model_<it>.pt`` every
``checkpoint_every`` iterations). Then one run folder goes through a chain of trials: each
starts ``inrkit giraffe train`` (``--resume`` once ``model.pt`` exists) and kills it — in a
training step, halfway through a checkpoint write, in validation (aimed by
``fault_runner.py``), or after a seeded random delay. After every kill, every ``model*.pt`` in
the folder loads and holds exactly the reference's state at its iteration (weights, optimizers,
RNG, position in the epoch: the file's bytes), the killed run had resumed from ``model.pt``,
and at most one checkpoint interval of iterations is lost. The chain ends with a run to the
end, whose ``model.pt``, ``model_best.pt`` and history must equal the reference's bit for bit
(CPU, one thread, one process, ``n_workers: 0``, seeded: the run is deterministic).
"""

from __future__ import annotations

import functools
import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from testlib.giraffe_faults import (
    CHECKPOINT_EVERY,
    file_digest,
    read,
    tiny_config,
    train_command,
    train_to_end,
    weights_of,
)
from testlib.train_faults import child_env

ITERS = 24
# Ten trials: steps and checkpoint writes three times each, validations and timers twice.
TRIALS = {"step": 3, "checkpoint": 3, "validation": 2, "timer": 2}
# Where each aimed kill may land, counted within the killed process: step N, the N-th
# torch.save (model_best.pt on a new best, then model_<it>.pt and model.pt every 2
# iterations), the N-th validation (every 4 iterations). Small N keep each trial's progress to
# a few iterations, so that all trials fit before the end of training.
AIMED = {"step": (1, 4), "checkpoint": (1, 4), "validation": (1, 2)}


def _plan(rng: random.Random) -> list[tuple[str, float]]:
    """The trials in a seeded order; timer delays in checkpoint intervals of wall time."""
    plan: list[tuple[str, float]] = []
    for kind, n in TRIALS.items():
        for _ in range(n):
            low, high = AIMED.get(kind, (0, 0))
            plan.append((kind, rng.randint(low, high) if kind in AIMED else rng.uniform(0, 1.5)))
    rng.shuffle(plan)
    return plan


def _history(run: Path) -> list[dict]:
    """history.jsonl without the wall times."""
    lines = (run / "history.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "time_s"} for line in lines]


@functools.cache
def _reference(path: Path) -> tuple[str, str]:
    """(file digest, weights digest) of a reference checkpoint, which never changes."""
    return file_digest(path), weights_of(path)


def _check_every_checkpoint(run: Path, reference: Path, seen: set) -> tuple[int, set[str]]:
    """Every model*.pt loads and holds the reference's state at its iteration; returns the
    iteration of model.pt (0 if none yet) and the temporary files left behind. Files in
    ``seen`` (name, inode, size, mtime) passed before; ones checked now are added."""
    for path in sorted(run.glob("model*.pt")):
        st = path.stat()
        key = (path.name, st.st_ino, st.st_size, st.st_mtime_ns)
        if key in seen:
            continue
        ckpt = read(path)
        it = int(ckpt["it"])
        if path.stem.split("_")[-1].isdigit():
            assert it == int(path.stem.split("_")[-1]), path
        assert it % CHECKPOINT_EVERY == 0, (path, it)
        expected = _reference(reference / f"model_{it}.pt")
        assert (file_digest(path), weights_of(path)) == expected, path  # it loads to render
        seen.add(key)
    # Anything else left is the temporary file of an interrupted atomic write (hidden).
    stray = {p.name for p in run.iterdir()} - {p.name for p in reference.iterdir()}
    assert all(n.startswith(".") and n.endswith(".part") for n in stray), stray
    last = run / "model.pt"
    return (int(read(last)["it"]) if last.exists() else 0), stray


def _start(config: Path, run: Path, resume: bool, fault: str, progress: Path):
    env = child_env(INRKIT_TEST_FAULT=fault, INRKIT_TEST_PROGRESS=str(progress))
    return subprocess.Popen(
        train_command(config, run, resume),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _kill_after(proc: subprocess.Popen, progress: Path, delay: float) -> None:
    """SIGKILL ``proc`` (ours) ``delay`` seconds after its first training step, if alive."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if progress.exists() and "step" in progress.read_text():
            break
        time.sleep(0.01)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)


def _progress(path: Path) -> tuple[list[str], int]:
    """The ``resume IT`` lines and the number of steps started."""
    lines = path.read_text().splitlines() if path.exists() else []
    return [x for x in lines if x.startswith("resume")], lines.count("step")


@pytest.mark.slow
def test_sigkill_anywhere_loses_at_most_one_interval_and_ends_bit_identical(
    tmp_path: Path, capsys
) -> None:
    torch.set_num_threads(1)
    config = tiny_config(tmp_path, max_iters=ITERS)
    reference, run = tmp_path / "reference", tmp_path / "run"
    started = time.monotonic()
    train_to_end(config, reference)
    # Wall time of a checkpoint interval, start-up and history plots included.
    interval_s = (time.monotonic() - started) / ITERS * CHECKPOINT_EVERY
    rng = random.Random(20240671)
    kills, temporaries, lost_total, log = 0, 0, 0, []
    by_kind: dict[str, int] = {}
    seen: set = set()
    for i, (kind, where) in enumerate(_plan(rng)):
        it0 = _check_every_checkpoint(run, reference, seen)[0] if run.exists() else 0
        progress = tmp_path / f"progress-{i}.txt"
        fault = f"{kind}:{where}" if kind in AIMED else ""
        proc = _start(config, run, it0 > 0, fault, progress)
        if kind == "timer":
            _kill_after(proc, progress, where * interval_s)
        _, stderr = proc.communicate(timeout=300)
        if proc.returncode == 0:
            log.append(f"{kind}:{where:.3g} finished first")
            break  # the run reached its end before this fault could land
        assert proc.returncode == -signal.SIGKILL, stderr[-3000:]
        kills += 1
        by_kind[kind] = by_kind.get(kind, 0) + 1
        resumed, steps_run = _progress(progress)
        assert resumed == ([f"resume {it0}"] if it0 else []), (resumed, it0)
        it1, stray = _check_every_checkpoint(run, reference, seen)
        temporaries += len(stray)
        lost = it0 + steps_run - it1
        assert it1 >= it0 and 0 <= lost <= CHECKPOINT_EVERY, (kind, where, it0, it1, steps_run)
        lost_total += lost
        log.append(f"{kind}:{where:.3g} it {it0}->{it1}, lost {lost}")
    summary = {
        "kills": kills,
        "by_kind": by_kind,
        "iterations_lost": lost_total,
        "half_written_files": temporaries,
        "trials": log,
    }
    (tmp_path / "faults.json").write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print(f"\nGIRAFFE training faults: {json.dumps(summary)}")
    assert kills == sum(TRIALS.values()) >= 10, log
    train_to_end(config, run, resume=(run / "model.pt").exists())
    # The final run cleared the half-written temporaries that the kills left, and no file
    # of the reference is missing (a kill lost no backup).
    assert _check_every_checkpoint(run, reference, seen) == (ITERS, set()) and temporaries > 0
    assert sorted(p.name for p in run.iterdir()) == sorted(p.name for p in reference.iterdir())
    for name in ("model.pt", "model_best.pt"):
        assert (run / name).read_bytes() == (reference / name).read_bytes(), name
        assert weights_of(run / name) == weights_of(reference / name), name
    assert _history(run) == _history(reference)  # every record once, same losses and SWDs
