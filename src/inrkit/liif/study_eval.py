"""Scoring the study's models, cached per (eval set, scale) in each run's ``eval.json``.

A run's numbers stay valid while its checkpoint (by sha256), the eval set's data location
and its protocol stay the same; only missing (eval set, scale) pairs are computed, and the
cache is written after each set, so a kill loses one set at most. Most sets are scored at the
study's scales; a fixed task (``celebahq-64-128``: given LR and HR images) only at its own.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import torch

from inrkit.errors import file_error
from inrkit.io.checkpoints import load_trusted
from inrkit.liif.eval_config import EVAL_SETS, OpenedEvalSet, fixed_scales, open_eval_set
from inrkit.liif.evaluate import evaluate_images, scale_key
from inrkit.liif.study_report import write_json
from inrkit.train import distributed


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when the file is missing or holds no object."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (ValueError, UnicodeDecodeError):
        raise file_error(path, "not valid JSON (delete it to start this part over)") from None
    return data if isinstance(data, dict) else {}


def trained_epoch(run_dir: Path) -> int:
    """The last finished epoch of the run in ``run_dir`` (0: not started)."""
    last = run_dir / "epoch-last.pth"
    return int(load_trusted(last)["epoch"]) if last.exists() else 0


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def eval_source(name: str, root: Path) -> str:
    """What an eval set's numbers depend on besides the model: its data's location."""
    if name == "photos":
        return "bundled photos (held_out)"
    return str(root.resolve()) if name in EVAL_SETS else str(Path(name).resolve())


class EvalSet:
    """An opened eval set, where its data is, and the scales it is scored at."""

    def __init__(self, name: str, root: Path, scales: list[float]) -> None:
        self.scales = fixed_scales(name) or scales
        self.opened: OpenedEvalSet = open_eval_set(name, root, self.scales)
        self.source = eval_source(name, root)


EvalSets = dict[str, EvalSet]


def open_eval_sets(names: list[str], root: Path, scales: list[float]) -> EvalSets:
    """Each named eval set opened at the study's scales (fixed tasks at their own)."""
    return {name: EvalSet(name, root, scales) for name in names}


def evaluate_run(
    run_dir: Path,
    eval_sets: EvalSets,
    device: str,
    progress: bool | None,
    checkpoint: Path | None = None,
) -> dict[str, Any]:
    """Score a model where ``run_dir/eval.json`` lacks a number; return the updated cache.

    The model is ``run_dir/epoch-last.pth``, or ``checkpoint`` (a pretrained row).
    """
    from inrkit.liif.checkpoint import load

    ckpt = checkpoint or run_dir / "epoch-last.pth"
    digest = file_sha256(ckpt)
    cache = read_json(run_dir / "eval.json")
    if cache.get("checkpoint_sha256") != digest:  # retrained: old numbers are void
        epoch = int(load_trusted(ckpt).get("epoch") or 0) if checkpoint else trained_epoch(run_dir)
        cache = {"checkpoint_sha256": digest, "epoch": epoch, "sets": {}}
    model = None
    for name, es in eval_sets.items():
        entry = cache["sets"].get(name)
        protocol = es.opened.protocol
        if not entry or entry.get("source") != es.source or entry.get("protocol") != protocol:
            entry = {
                "source": es.source,
                "protocol": protocol,
                "images": 0,
                "seconds": 0.0,
                "model": {},
                "bicubic": {},
            }
        missing = [s for s in es.scales if scale_key(s) not in entry["model"]]
        if not missing:
            continue
        model = model if model is not None else load(ckpt, device=device)
        t0 = time.perf_counter()
        result = evaluate_images(
            model,
            es.opened.hr_images,
            missing,
            protocol,
            paired=es.opened.paired,
            progress=progress,
        )
        for method in ("model", "bicubic"):
            entry[method].update(result["results"][method])
        entry["images"] = result["images"]
        entry["seconds"] = round(entry["seconds"] + time.perf_counter() - t0, 3)
        cache["sets"][name] = entry
        write_json(run_dir / "eval.json", cache)  # after each set: a kill loses one set at most
    return cache


def is_done(cache: dict[str, Any], eval_sets: EvalSets) -> bool:
    """Whether ``cache`` holds every (eval set, scale) number, from the same data."""
    sets = cache.get("sets", {})
    return all(
        sets.get(name, {}).get("source") == es.source
        and all(scale_key(s) in sets[name].get("model", {}) for s in es.scales)
        for name, es in eval_sets.items()
    )


def below_bicubic(results: dict[str, Any], margin: float = 1.0) -> list[str]:
    """One warning per (row, eval set, scale) scoring more than ``margin`` dB below bicubic."""
    warnings = []
    for run, r in results["runs"].items():
        for name, cells in r["results"].items():
            for key, cell in cells.items():
                gap = results["bicubic"][name][key]["psnr"] - cell["psnr"]
                if gap > margin:
                    warnings.append(
                        f"{run} on {name} {key}: {cell['psnr']:.2f} dB, {gap:.2f} dB below "
                        "bicubic; check that training converged (loss curve), that the model "
                        "saw this scale range, the data_norm, and which checkpoint was scored"
                    )
    return warnings


def eval_device(device: str) -> str:
    """The device models are scored on: ``device``, or CUDA when there is one for "auto"."""
    distributed.check_device(device)
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
