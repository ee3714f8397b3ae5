"""The cross-dataset study: one LIIF per training set, each scored on other sets (LIIF, Sec. 4).

``inrkit liif study --train div2k,b100,urban100 --eval celebahq --root DIR --out-dir OUT``
trains the seed's recipe (:data:`SEED_RECIPE`) once per training set with
:func:`~inrkit.liif.train.train`, then scores each final model (``epoch-last.pth``) with
:func:`~inrkit.liif.evaluate.evaluate_images` on every eval set at every scale::

    OUT/study.json             resolved config of every run: a changed recipe is refused
    OUT/runs/<train>/          the trainer's run folder, plus eval.json (cached numbers)
    OUT/curves/                <train>_loss.png, <train>_psnr.png, all_runs.png
    OUT/report.md, results.json

A rerun skips finished runs, resumes an unfinished one from its ``epoch-last.pth`` and
evaluates only the (eval set, scale) pairs missing from its ``eval.json``. Only folders under
``OUT/runs`` are ever deleted (``--force`` on a run whose recipe changed).

This is library API, not CLI code: :func:`run_study` backs ``inrkit liif study``, and users
call it from Python to run the study on their own sets (data-set names or image folders).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inrkit.data import layouts
from inrkit.data.specs import make_dataset
from inrkit.errors import InrkitError, file_error
from inrkit.io.yaml_files import read_inherited
from inrkit.liif.config import TrainConfig, apply_overrides, parse_config
from inrkit.liif.config_types import NamedSpec
from inrkit.liif.study_eval import (
    below_bicubic,
    eval_device,
    evaluate_run,
    is_done,
    open_eval_sets,
    read_json,
    trained_epoch,
)
from inrkit.liif.study_report import collect_results, read_compare, write_json, write_outputs
from inrkit.liif.study_sets import TRAIN_SETS
from inrkit.liif.train import train
from inrkit.liif.train import training_set as training_set_check

# Every epoch sees about as many samples as the official DIV2K config (800 images x repeat
# 20): repeat = round(16000 / images), so B100 and Urban100 (100 images) get 160 and every
# run gets the same number of steps. CelebAHQ's train split (27,000) keeps repeat 1.
SAMPLES_PER_EPOCH = 16_000
# Decoded float images kept in memory: small enough for B100 (~0.2 GB) and Urban100 (~1 GB);
# DIV2K (~26 GB), CelebAHQ and unknown folders are read from disk on each access.
IN_MEMORY = ("b100", "urban100")
SEED_CONFIG_FILE = "configs/liif/study_seed.yaml"  # the same recipe as YAML (tested equal)
_PATCH = {"inp_size": 48, "scale_min": 1, "scale_max": 4, "sample_q": 2304}
SEED_RECIPE: dict[str, Any] = {
    "train_dataset": {
        "dataset": {"name": "div2k", "args": {"split": "train", "repeat": 20}},
        "wrapper": {"name": "sr-implicit-downsampled", "args": {**_PATCH, "augment": True}},
        "batch_size": 16,
    },
    # One validation set for all runs, so that their val-PSNR curves compare: the bundled
    # astronaut photo, which no training set holds (32 random crops, as the official val).
    "val_dataset": {
        "dataset": {"name": "photos", "args": {"split": "val", "repeat": 32}},
        "wrapper": {"name": "sr-implicit-downsampled", "args": dict(_PATCH)},
        "batch_size": 16,
    },
    "data_norm": {"inp": {"sub": [0.5], "div": [0.5]}, "gt": {"sub": [0.5], "div": [0.5]}},
    "model": {
        "name": "liif",
        "args": {
            "encoder_spec": {"name": "edsr-baseline", "args": {"no_upsampling": True}},
            "imnet_spec": {"name": "mlp", "args": {"out_dim": 3, "hidden_list": [256] * 4}},
        },
    },
    "optimizer": {"name": "adam", "args": {"lr": 1e-4}},
    "epoch_max": 15,
    "epoch_val": 1,
    "epoch_save": 5,
    "seed": 0,
}


@dataclass(frozen=True)
class TrainingSet:
    """A training set resolved against the data root."""

    run: str
    """Run folder name under ``OUT/runs``."""
    dataset: NamedSpec
    """The ``train_dataset.dataset`` spec ``{'name', 'args'}``."""
    images: int
    """How many images it holds (``repeat`` is set from this)."""


def _count_and_spec(name: str, root: Path) -> tuple[int, NamedSpec]:
    """(number of training images, dataset spec without repeat); layout errors name folders."""
    from inrkit.io.images import image_files_in

    if name == "div2k":
        folder = layouts.div2k_hr(root, "train")
        args = {"root": str(root.resolve()), "split": "train", "cache": "none"}
        return len(image_files_in(folder)), NamedSpec("div2k", args)
    if name in ("b100", "urban100"):
        folder = layouts.benchmark_hr(root, "B100" if name == "b100" else "Urban100")
        args = {"root_path": str(folder.resolve()), "cache": "in_memory"}
        return len(image_files_in(folder)), NamedSpec("image-folder", args)
    if name == "celebahq":
        folder = layouts.celebahq(root, 256).resolve()
        args = {
            "root_path": str(folder),
            "split_file": str(folder.parent / "split.json"),
            "split_key": "train",
            "cache": "none",
        }
        return len(layouts.celebahq_split(root, "train")), NamedSpec("image-folder", args)
    if name == "photos":
        from inrkit.data.photos import TRAIN

        return len(TRAIN), NamedSpec("photos", {"split": "train"})
    folder = Path(name).expanduser().resolve()
    files = image_files_in(folder)
    if not files:
        raise file_error(folder, "no images in this folder")
    return len(files), NamedSpec("image-folder", {"root_path": str(folder), "cache": "none"})


def training_set(name: str, root: Path) -> TrainingSet:
    """Resolve a training set name (:data:`TRAIN_SETS`) or a folder of HR images."""
    if name not in TRAIN_SETS and not Path(name).expanduser().is_dir():
        if "/" in name or name.startswith((".", "~")):
            raise file_error(name, "no such folder (a training set is a name or a folder)")
        known = ", ".join(TRAIN_SETS)
        raise InrkitError(f"unknown training set {name!r} (known: {known}; or a folder of images)")
    count, spec = _count_and_spec(name, root)
    spec = replace(spec, args={**spec.args, "repeat": max(1, round(SAMPLES_PER_EPOCH / count))})
    run = name if name in TRAIN_SETS else Path(name).expanduser().resolve().name
    run = re.sub(r"[^A-Za-z0-9._-]+", "_", run).strip("._") or "folder"
    return TrainingSet(run, spec, count)


def run_config(
    base: dict[str, Any],
    ts: TrainingSet,
    epochs: int,
    overrides: list[str],
    source: str = "study",
    steps_per_epoch: int | None = None,
) -> TrainConfig:
    """The recipe with this run's training set; ``--set`` overrides, then ``--epochs`` and
    ``--steps-per-epoch``, win."""
    data = copy.deepcopy(base)
    if not isinstance(data.get("train_dataset"), dict):
        raise InrkitError(f"{source}: needs a 'train_dataset' mapping (wrapper, batch_size)")
    data["train_dataset"]["dataset"] = ts.dataset.to_official()
    data = apply_overrides(data, overrides)
    data["epoch_max"] = epochs
    if steps_per_epoch is not None:
        data["steps_per_epoch"] = steps_per_epoch
    return parse_config(data, f"{source} ({ts.run})")


# ----- the study folder ------------------------------------------------------------------
def _differing_keys(a: Any, b: Any, prefix: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b), key=str)
        return [d for k in keys for d in _differing_keys(a.get(k), b.get(k), f"{prefix}{k}.")]
    return [] if a == b else [prefix.rstrip(".")]


def _check_out_dir(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise file_error(out, "exists and is not a folder; choose another --out-dir")
    if out.is_dir() and any(out.iterdir()) and not (out / "study.json").is_file():
        raise file_error(out, "is not empty and holds no study.json; choose another --out-dir")


def _settle_recipes(out: Path, configs: dict[str, dict[str, Any]], force: bool) -> None:
    """Refuse (or, with ``force``, start fresh) runs whose stored recipe differs; record all."""
    study = read_json(out / "study.json")
    stored = study.get("runs", {})
    changed: dict[str, list[str]] = {}
    for run, config in configs.items():
        if not (out / "runs" / run).exists():  # nothing trained yet: nothing to protect
            continue
        old = stored.get(run) or read_json(out / "runs" / run / "config.json") or None
        if old is not None and (keys := _differing_keys(old, config)):
            changed[run] = keys
    if changed and not force:
        keys = sorted({k for ks in changed.values() for k in ks})
        shown = ", ".join(keys[:4]) + (", ..." if len(keys) > 4 else "")
        raise InrkitError(
            f"{out}: run(s) {', '.join(changed)} were trained with another recipe "
            f"({shown} differ); pass --force to start them fresh, or choose "
            "another --out-dir"
        )
    for run in changed:
        folder = out / "runs" / run
        if folder.is_symlink():
            raise file_error(folder, "is a link; refusing to delete it for --force")
        if folder.exists():
            shutil.rmtree(folder)
    write_json(
        out / "study.json",
        {"format": "inrkit-liif-study", "version": 1, "runs": {**stored, **configs}},
    )


def parse_pretrained(items: Sequence[str]) -> dict[str, str]:
    """``RUN=MODEL`` pairs (``--pretrained``): rows scored but not trained by the study."""
    pairs: dict[str, str] = {}
    for item in items:
        run, sep, model = item.partition("=")
        run, model = run.strip(), model.strip()
        if not sep or not run or not model:
            raise InrkitError(f"--pretrained: expected ROW=MODEL, got {item!r}")
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", run):
            raise InrkitError(f"--pretrained: row name {run!r} must be letters, digits, . _ -")
        if run in pairs:
            raise InrkitError(f"--pretrained: row {run!r} given twice")
        pairs[run] = model
    return pairs


# ----- the study ---------------------------------------------------------------------------
def plan_runs(
    train_sets: list[str],
    root: Path,
    epochs: int,
    overrides: list[str],
    config: str | Path | None = None,
    steps_per_epoch: int | None = None,
) -> tuple[dict[str, TrainConfig], dict[str, int]]:
    """Every run's resolved config and its number of training images, keyed by run name."""
    if epochs < 1:
        raise InrkitError(f"--epochs must be at least 1, got {epochs}")
    if steps_per_epoch is not None and steps_per_epoch < 1:
        raise InrkitError(f"--steps-per-epoch must be at least 1, got {steps_per_epoch}")
    if not train_sets or len(set(train_sets)) != len(train_sets):
        raise InrkitError(f"--train: give one or more different names, got {train_sets!r}")
    base = read_inherited(Path(config).resolve()) if config else copy.deepcopy(SEED_RECIPE)
    source = str(config) if config else "seed recipe"
    sets = [training_set(name, root) for name in train_sets]
    if len({ts.run for ts in sets}) != len(sets):
        runs = ", ".join(ts.run for ts in sets)
        raise InrkitError(f"--train: two training sets would share a run folder ({runs})")
    configs = {
        ts.run: run_config(base, ts, epochs, overrides, source, steps_per_epoch) for ts in sets
    }
    # The trainer builds the validation set only after the first epoch: a bad one (or
    # scikit-image missing for the bundled photo) should fail now, not an epoch later.
    val_spec = next(iter(configs.values())).val_dataset
    if val_spec:
        make_dataset(val_spec.to_official(), f"{source}: val_dataset")
    return configs, {ts.run: ts.images for ts in sets}


def run_study(
    train_sets: list[str],
    eval_sets: list[str],
    out_dir: str | Path,
    *,
    root: str | Path | None = None,
    epochs: int = 15,
    scales: Sequence[float] = (2.0, 3.0, 4.0),
    overrides: list[str] | None = None,
    config: str | Path | None = None,
    steps_per_epoch: int | None = None,
    pretrained: dict[str, str] | None = None,
    compare: str | Path | None = None,
    force: bool = False,
    device: str = "auto",
    progress: bool | None = None,
    command: str = "",
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, Any]:
    """Train, evaluate and report; returns what ``OUT/results.json`` holds.

    Args:
        train_sets / eval_sets: Names (:data:`TRAIN_SETS`, ``EVAL_SETS``) or folders.
        out_dir: The study folder (see the module docstring).
        root: The data root (None: ``$INRKIT_DATA_ROOT``, else ``load``).
        epochs: ``epoch_max`` of every run.
        overrides: ``--set key=value`` applied to every run's config.
        config: A recipe YAML instead of :data:`SEED_RECIPE`.
        steps_per_epoch: Cap every epoch at this many steps (a CPU budget; None: whole epochs).
        pretrained: ``{row: model}``: models scored beside the trained ones, not trained here
            (e.g. ``{'div2k': 'edsr-baseline-liif'}``, the authors' DIV2K-trained weights).
        compare: A YAML of published numbers printed beside the table (see
            :func:`~inrkit.liif.study_report.read_compare`).
        force: Start runs whose recipe changed fresh instead of refusing.
        command: The command line, quoted in the report.
        log: Receives one line per step (what is skipped, trained, resumed, evaluated).
    """
    t_start = time.perf_counter()
    out, root = Path(out_dir), layouts.data_root(root).expanduser()
    scales = list(dict.fromkeys(float(s) for s in scales))
    _check_out_dir(out)
    configs, images = plan_runs(train_sets, root, epochs, overrides or [], config, steps_per_epoch)
    reference = read_compare(compare) if compare else None
    pretrained = dict(pretrained or {})
    if clash := sorted(set(pretrained) & set(configs)):
        raise InrkitError(f"--pretrained: row {clash[0]!r} is also a trained run; rename it")
    from inrkit.liif.checkpoint import resolve

    models = {run: resolve(model) for run, model in pretrained.items()}
    if not eval_sets or len(set(eval_sets)) != len(eval_sets):
        raise InrkitError(f"--eval: give one or more different names, got {eval_sets!r}")
    opened = open_eval_sets(eval_sets, root, scales)
    score_on = eval_device(device)
    for run, cfg in configs.items():  # small images or too few samples: refuse before training
        try:
            training_set_check(cfg)
        except InrkitError as e:
            raise InrkitError(f"--train {run}: {e}") from None
    (out / "runs").mkdir(parents=True, exist_ok=True)
    _settle_recipes(
        out, {r: json.loads(json.dumps(c.to_dict())) for r, c in configs.items()}, force
    )
    caches = {}
    for i, (run, cfg) in enumerate(configs.items(), 1):
        run_dir, tag = out / "runs" / run, f"[{i}/{len(configs)}] {run}"
        epoch = trained_epoch(run_dir)
        caches[run] = read_json(run_dir / "eval.json")
        if epoch >= cfg.epoch_max and is_done(caches[run], opened):
            log(f"{tag}: finished, skipped")
            continue
        if epoch < cfg.epoch_max:
            how = f"resuming after epoch {epoch}" if epoch else "training"
            log(f"{tag}: {how} ({cfg.epoch_max} epochs) in {run_dir}")
            train(cfg, run_dir, resume=epoch > 0, device=device, progress=progress)
        log(f"{tag}: evaluating on {', '.join(eval_sets)}")
        caches[run] = evaluate_run(run_dir, opened, score_on, progress)
    for run, path in models.items():
        run_dir = out / "runs" / run
        run_dir.mkdir(parents=True, exist_ok=True)
        log(f"[pretrained] {run}: evaluating {pretrained[run]} on {', '.join(eval_sets)}")
        caches[run] = evaluate_run(run_dir, opened, score_on, progress, path)
    extra = {run: {"model": pretrained[run], "path": str(p)} for run, p in models.items()}
    results = collect_results(
        out, configs, images, caches, opened, scales, command=command, pretrained=extra
    )
    results["warnings"] = below_bicubic(results)
    if reference:
        results["compare"] = reference
    results["timings"]["wall_seconds"] = round(time.perf_counter() - t_start, 3)
    write_outputs(out, results)
    return results
