"""SIGKILL at random moments of LIIF training: nothing is lost but the current epoch.

One uninterrupted run gives the reference. Then one run folder goes through a chain of trials:
each starts ``inrkit liif train`` (``--resume`` once a checkpoint exists) and kills it — in a
training step, halfway through a checkpoint write, in validation (aimed by
``fault_runner.py``), or after a seeded random delay. After every kill, every checkpoint in the
folder loads, the next run resumes from ``epoch-last.pth``, and at most one checkpoint interval
(one epoch: ``epoch-last.pth`` is written after each) of steps is lost. The chain ends with a
run to the end, whose weights, numbered checkpoints and history must equal the reference's
bit for bit (CPU, one thread, seeded: the run is deterministic).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
import torch
from testlib.train_faults import (
    STEPS_PER_EPOCH,
    child_env,
    tiny_config,
    train_command,
    train_to_end,
    weights_of,
)

from inrkit.io.checkpoints import load_trusted

EPOCHS = 12
TRIALS = 12
# Where each aimed kill may land, counted within the killed process: step N, the N-th
# torch.save (epoch-last, then epoch-N every 2 epochs and epoch-best on a new best), the N-th
# validation. Small N keep each trial's progress to about an epoch, so all trials fit.
AIMED = {"step": (1, 5), "checkpoint": (1, 3), "validation": (1, 2)}


def _plan(rng: random.Random) -> list[tuple[str, float]]:
    """Each kind of fault three times, in a seeded order; timer delays in epochs of wall time."""
    plan: list[tuple[str, float]] = []
    for kind in (*AIMED, "timer"):
        for _ in range(TRIALS // 4):
            low, high = AIMED.get(kind, (0, 0))
            plan.append((kind, rng.randint(low, high) if kind in AIMED else rng.uniform(0, 1.5)))
    rng.shuffle(plan)
    return plan


def _records(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def _history(run: Path) -> list[dict]:
    """history.jsonl without the wall times."""
    lines = (run / "history.jsonl").read_text().splitlines()
    return [{k: v for k, v in json.loads(line).items() if k != "time_s"} for line in lines]


def _check_every_checkpoint(run: Path, reference: Path) -> tuple[dict, set[str]]:
    """Every .pth loads, and holds the reference's weights where the reference has the same
    epoch's file; returns epoch-last (or {}) and the temporary files left behind."""
    for path in sorted(run.glob("*.pth")):
        ckpt = load_trusted(path)
        assert set(ckpt) >= {"model", "optimizer", "epoch", "inrkit"}, path
        same = reference / f"epoch-{ckpt['epoch']}.pth"
        if path.stem.split("-")[1].isdigit():
            assert ckpt["epoch"] == int(path.stem.split("-")[1])
        if same.exists():
            assert weights_of(path) == weights_of(same), path
    # Anything else left is the temporary file of an interrupted atomic write (hidden).
    stray = {p.name for p in run.iterdir()} - {p.name for p in reference.iterdir()}
    assert all(n.startswith(".") and n.endswith(".part") for n in stray), stray
    last = load_trusted(run / "epoch-last.pth") if (run / "epoch-last.pth").exists() else {}
    return last, stray


def _start(config: Path, runs: Path, resume: bool, fault: str, progress: Path):
    env = child_env(INRKIT_TEST_FAULT=fault, INRKIT_TEST_PROGRESS=str(progress))
    return subprocess.Popen(
        train_command(config, runs, "run", resume),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _kill_after(proc: subprocess.Popen, progress: Path, delay: float) -> None:
    """SIGKILL ``proc`` (ours) ``delay`` seconds after its first training step, if alive."""
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if progress.exists() and progress.stat().st_size:
            break
        time.sleep(0.01)
    time.sleep(delay)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)


@pytest.mark.slow
def test_sigkill_anywhere_loses_at_most_one_epoch_and_ends_bit_identical(
    tmp_path: Path, capsys
) -> None:
    torch.set_num_threads(1)
    config = tiny_config(tmp_path, epoch_max=EPOCHS)
    runs = tmp_path / "runs"
    started = time.monotonic()
    train_to_end(config, runs, "reference")
    reference = runs / "reference"
    epoch_s = (time.monotonic() - started) / EPOCHS  # wall time per epoch, start-up included
    run = runs / "run"
    rng = random.Random(20240607)
    kills, temporaries, log = 0, 0, []
    for i, (kind, where) in enumerate(_plan(rng)):
        before = _check_every_checkpoint(run, reference)[0] if run.exists() else {}
        epoch0, step0 = before.get("epoch", 0), before.get("inrkit", {}).get("step", 0)
        progress = tmp_path / f"progress-{i}.txt"
        fault = f"{kind}:{where}" if kind in AIMED else ""
        proc = _start(config, runs, bool(before), fault, progress)
        if kind == "timer":
            _kill_after(proc, progress, where * epoch_s)
        stdout, stderr = proc.communicate(timeout=300)
        if proc.returncode == 0:
            log.append(f"{kind}:{where:.3g} finished first")
            break  # the run reached its end before this fault could land
        assert proc.returncode == -signal.SIGKILL, stderr[-3000:]
        kills += 1
        # The run resumed where the last checkpoint left off.
        records = _records(stdout)
        assert not records or records[0]["epoch"] == epoch0 + 1, (records, epoch0)
        after, stray = _check_every_checkpoint(run, reference)
        temporaries += len(stray)
        epoch1, step1 = after.get("epoch", 0), after.get("inrkit", {}).get("step", 0)
        steps_run = len(progress.read_text().splitlines()) if progress.exists() else 0
        lost = step0 + steps_run - step1
        assert epoch1 >= epoch0 and 0 <= lost <= STEPS_PER_EPOCH, (kind, where, lost)
        log.append(f"{kind}:{where:.3g} epochs {epoch0}->{epoch1}, steps lost {lost}")
    summary = {"kills": kills, "half_written_files": temporaries, "trials": log}
    (tmp_path / "faults.json").write_text(json.dumps(summary, indent=2))
    with capsys.disabled():
        print(f"\nLIIF training faults: {json.dumps(summary)}")
    assert kills >= 10, log
    stdout = train_to_end(config, runs, "run", resume=(run / "epoch-last.pth").exists())
    # The final run cleared the half-written temporaries that the kills left.
    assert _check_every_checkpoint(run, reference)[1] == set() and temporaries > 0
    assert weights_of(run / "epoch-last.pth") == weights_of(reference / "epoch-last.pth")
    assert weights_of(run / "epoch-best.pth") == weights_of(reference / "epoch-best.pth")
    assert _history(run) == _history(reference)  # every epoch once, same losses and PSNRs
    # The final run trains what is left: nothing when the last kill (or a run that finished
    # first) landed after the last epoch's checkpoint; the history shows every epoch anyway.
    final = _records(stdout)
    assert not final or final[-1]["epoch"] == EPOCHS, final
    assert _history(run)[-1]["epoch"] == EPOCHS
