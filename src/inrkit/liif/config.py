"""LIIF training configs: the official YAML format, parsed and checked at the edge.

An official ``train_*.yaml`` (optionally with ``inherit_from``) loads unchanged. Our
additions are optional keys with defaults: ``seed``, ``num_workers``, ``warmup_iters``,
``grad_clip``, ``steps_per_epoch`` and ``init``. Errors name the file and the key.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError
from inrkit.io.yaml_files import read_inherited
from inrkit.train.overrides import apply_overrides

__all__ = ["TrainConfig", "apply_overrides", "load_config", "parse_config"]


@dataclass(frozen=True)
class TrainConfig:
    """A validated LIIF training configuration (official keys, plus ours at the end)."""

    train_dataset: dict[str, Any]
    """``{'dataset', 'wrapper', 'batch_size'}`` as in the official configs."""
    model: dict[str, Any]
    """Model spec ``{'name': 'liif', 'args': {...}}``."""
    val_dataset: dict[str, Any] | None = None
    """Same structure as train_dataset; validation PSNR every ``epoch_val`` epochs."""
    data_norm: dict[str, Any] = field(
        default_factory=lambda: {
            "inp": {"sub": [0.5], "div": [0.5]},
            "gt": {"sub": [0.5], "div": [0.5]},
        }
    )
    """Input / target normalisation ``(x - sub) / div``."""
    optimizer: dict[str, Any] = field(
        default_factory=lambda: {"name": "adam", "args": {"lr": 1e-4}}
    )
    """Optimizer spec; the paper: Adam, lr 1e-4."""
    epoch_max: int = 1000
    """Epochs to train."""
    multi_step_lr: dict[str, Any] | None = None
    """``{'milestones': [...], 'gamma': g}``: lr decay at those epochs."""
    epoch_val: int | None = 1
    """Validate every this many epochs."""
    epoch_save: int | None = 100
    """Keep ``epoch-N.pth`` every this many epochs."""
    resume: str | None = None
    """Official: a checkpoint to start from."""
    eval_type: str | None = None
    """PSNR protocol for validation (None, ``benchmark-N``, ``div2k-N``)."""
    eval_bsize: int | None = None
    """Query chunk for validation (None: all at once)."""
    seed: int = 0
    """Seed for Python, NumPy and torch (ours)."""
    num_workers: int = 0
    """DataLoader worker processes (ours; the official used 8)."""
    warmup_iters: int = 0
    """Linear learning-rate warm-up over this many steps (ours; 0 = off)."""
    grad_clip: float | None = None
    """Clip the gradient norm to this value (ours; None = off)."""
    steps_per_epoch: int | None = None
    """Stop each epoch after this many optimizer steps (ours; None = the whole data set): a CPU
    budget that keeps the epoch count and schedule of a recipe while shortening it."""
    init: str | None = None
    """Start of a fresh run (ours): None = PyTorch's random init (official), ``interpolating``
    = the model starts as bilinear interpolation (see :mod:`inrkit.liif.init`)."""

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, to save beside the run and inside checkpoints."""
        return {k: copy.deepcopy(getattr(self, k)) for k in self.__dataclass_fields__}


_POSITIVE_INTS = ("epoch_max",)
_OPTIONAL_POSITIVE_INTS = ("epoch_val", "epoch_save", "eval_bsize", "steps_per_epoch")


def parse_config(data: dict[str, Any], source: str = "config") -> TrainConfig:
    """Validate plain data into a :class:`TrainConfig`; errors name ``source`` and the key."""
    known = set(TrainConfig.__dataclass_fields__)
    unknown = sorted(set(data) - known)
    if unknown:
        raise InrkitError(f"{source}: unknown key(s) {', '.join(unknown)}")
    for key in ("train_dataset", "model"):
        if key not in data:
            raise InrkitError(f"{source}: missing required key '{key}'")
    for key in ("train_dataset", "model", "data_norm", "optimizer"):
        if key in data and not isinstance(data[key], dict):
            raise InrkitError(f"{source}: '{key}' must be a mapping")
    batch = data["train_dataset"].get("batch_size")
    if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
        raise InrkitError(
            f"{source}: train_dataset.batch_size must be a positive integer, got {batch!r}"
        )
    for key in _POSITIVE_INTS + _OPTIONAL_POSITIVE_INTS:
        value = data.get(key)
        if value is None and key in _OPTIONAL_POSITIVE_INTS:
            continue
        if key in data and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise InrkitError(f"{source}: '{key}' must be a positive integer, got {value!r}")
    opt = data.get("optimizer", {"name": "adam"})
    if opt.get("name") not in ("adam", "sgd"):
        raise InrkitError(f"{source}: optimizer.name must be adam or sgd, got {opt.get('name')!r}")
    lr = (opt.get("args") or {}).get("lr", 1e-4)
    if not isinstance(lr, int | float) or isinstance(lr, bool) or not lr > 0:
        raise InrkitError(f"{source}: optimizer.args.lr must be a positive number, got {lr!r}")
    init = data.get("init")
    if init is not None:
        from inrkit.liif.init import INITS

        if init not in INITS:
            raise InrkitError(f"{source}: init must be one of {', '.join(INITS)}, got {init!r}")
    msl = data.get("multi_step_lr")
    if msl is not None and (
        not isinstance(msl, dict) or not isinstance(msl.get("milestones"), list)
    ):
        raise InrkitError(f"{source}: multi_step_lr must have a 'milestones' list and a 'gamma'")
    return TrainConfig(**data)


def load_config(path: str | Path, overrides: list[str] | None = None) -> TrainConfig:
    """Read an official (or our) YAML training config, apply ``--set`` overrides, validate."""
    path = Path(path)
    data = apply_overrides(read_inherited(path.resolve()), overrides or [])
    config = parse_config(data, str(path))
    check_specs(config, str(path))
    return config


def check_specs(config: TrainConfig, source: str) -> None:
    """Refuse bad model and data set specs now, naming ``source``, not hours into a run."""
    import torch

    from inrkit.data.specs import check_dataset_spec
    from inrkit.liif.spec import SpecError, make_model

    for key in ("train_dataset", "val_dataset"):
        if getattr(config, key) is not None:
            check_dataset_spec(getattr(config, key), f"{source}: {key}")
    from inrkit.liif.init import INITS

    try:
        with torch.device("meta"):  # build the modules without allocating their weights
            model = make_model(config.model)
    except SpecError as e:
        raise InrkitError(f"{source}: {e}") from None
    if config.init is not None:
        try:
            INITS[config.init](model)  # runs on meta tensors: checks the model fits the init
        except InrkitError as e:
            raise InrkitError(f"{source}: {e}") from None
