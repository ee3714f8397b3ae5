"""LIIF training configs: the official YAML format, parsed and checked at the edge.

An official ``train_*.yaml`` (optionally with ``inherit_from``) loads unchanged. Our
additions are optional keys with defaults: ``seed``, ``num_workers``, ``warmup_iters``,
``grad_clip``, ``steps_per_epoch`` and ``init``. Errors name the file and the key.

:func:`parse_config` turns each official block into its typed form once (the optimisation
blocks here, the model, data and normalisation blocks in :mod:`inrkit.liif.config_types`);
:meth:`TrainConfig.to_dict` gives the official structure back, which is what run folders and
checkpoints store. An optimizer without ``args`` is written back with ``args: {lr: 0.0001}``
(the default it trains with), a ``multi_step_lr`` without ``gamma`` with ``gamma: 0.1``.
"""

from __future__ import annotations

import bisect
import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError
from inrkit.io.yaml_files import read_inherited
from inrkit.liif.config_types import (
    DataNorm,
    DataSpec,
    EvalProtocol,
    ModelSpec,
    OfficialView,
    is_int,
    is_number,
    refuse_unknown,
)
from inrkit.train.overrides import apply_overrides

__all__ = [
    "LRSchedule",
    "OptimizerSpec",
    "StepDecay",
    "TrainConfig",
    "apply_overrides",
    "load_config",
    "parse_config",
]

OPTIMIZERS = ("adam", "sgd")


# ----- the optimisation blocks --------------------------------------------------------------
@dataclass(frozen=True)
class OptimizerSpec(OfficialView):
    """The ``optimizer`` spec; the paper: Adam, lr 1e-4."""

    name: str = "adam"
    """``adam`` or ``sgd``."""
    lr: float = 1e-4
    """Base learning rate (``args.lr``)."""
    args: dict[str, Any] = field(default_factory=dict)
    """The optimizer's other keyword arguments (``betas``, ``weight_decay``), as given."""

    @classmethod
    def parse(cls, data: Any, where: str) -> OptimizerSpec:
        """Parse ``{'name', 'args': {'lr', ...}}``; ``where`` is e.g. ``train.yaml: optimizer``."""
        if not isinstance(data, Mapping):
            raise InrkitError(f"{where} must be a mapping")
        refuse_unknown(data, ("name", "args"), where)
        if data.get("name") not in OPTIMIZERS:
            raise InrkitError(f"{where}.name must be adam or sgd, got {data.get('name')!r}")
        args = data.get("args") or {}
        if not isinstance(args, Mapping):
            raise InrkitError(f"{where}.args must be a mapping")
        args = copy.deepcopy(dict(args))
        lr = args.pop("lr", 1e-4)
        if not is_number(lr) or not lr > 0:
            raise InrkitError(f"{where}.args.lr must be a positive number, got {lr!r}")
        return cls(data["name"], lr, args)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the torch optimizer: ``lr`` and the others."""
        return {"lr": self.lr, **copy.deepcopy(self.args)}

    def to_official(self) -> dict[str, Any]:
        """``{'name', 'args': {'lr', ...}}``."""
        return {"name": self.name, "args": self.kwargs()}


@dataclass(frozen=True)
class StepDecay(OfficialView):
    """``multi_step_lr``: multiply the lr by ``gamma`` after each milestone epoch."""

    milestones: tuple[int, ...]
    """Epochs after which the lr decays, as given (the paper: 200, 400, 600, 800)."""
    gamma: float = 0.1
    """Decay factor (the paper: 0.5; torch's MultiStepLR default: 0.1)."""

    @classmethod
    def parse(cls, data: Any, where: str) -> StepDecay:
        """Parse ``{'milestones': [...], 'gamma': g}``; ``where`` ends in multi_step_lr."""
        if not isinstance(data, Mapping) or not isinstance(data.get("milestones"), list):
            raise InrkitError(f"{where} must have a 'milestones' list and a 'gamma'")
        refuse_unknown(data, ("milestones", "gamma"), where)
        milestones = data["milestones"]
        if not all(is_int(m) and m >= 0 for m in milestones):
            raise InrkitError(f"{where}.milestones must be epoch numbers, got {milestones!r}")
        gamma = data.get("gamma", 0.1)
        if not is_number(gamma) or not gamma > 0:
            raise InrkitError(f"{where}.gamma must be a positive number, got {gamma!r}")
        return cls(tuple(milestones), gamma)

    def to_official(self) -> dict[str, Any]:
        """``{'milestones', 'gamma'}``."""
        return {"milestones": list(self.milestones), "gamma": self.gamma}


@dataclass(frozen=True)
class LRSchedule(OfficialView):
    """The learning rate over training: step decay per epoch times a linear warm-up (ours)."""

    lr: float = 1e-4
    """Base learning rate (``optimizer.args.lr``; not part of :meth:`to_official`)."""
    decay: StepDecay | None = None
    """``multi_step_lr`` (None: constant, as in the seed's recipe)."""
    warmup_iters: int = 0
    """Linear warm-up over this many steps (ours; 0 = off)."""

    def at(self, epoch: int, step: int) -> float:
        """lr at 1-based ``epoch`` and global ``step``."""
        lr = self.lr
        if self.decay is not None:
            # MultiStepLR stepped once per finished epoch: decays count milestones <= epoch - 1.
            passed = bisect.bisect_right(sorted(self.decay.milestones), epoch - 1)
            lr *= self.decay.gamma**passed
        if self.warmup_iters and step < self.warmup_iters:
            lr *= (step + 1) / self.warmup_iters
        return lr

    def to_official(self) -> dict[str, Any]:
        """The top-level keys it stands for: ``{'multi_step_lr', 'warmup_iters'}``."""
        decay = None if self.decay is None else self.decay.to_official()
        return {"multi_step_lr": decay, "warmup_iters": self.warmup_iters}


@dataclass(frozen=True)
class TrainConfig:
    """A validated LIIF training configuration (official keys, plus ours at the end).

    The blocks are typed (:mod:`inrkit.liif.config_types`); an official dict given to the
    constructor or to ``dataclasses.replace`` is parsed into its block.
    """

    train_dataset: DataSpec
    """``{'dataset', 'wrapper', 'batch_size'}`` as in the official configs."""
    model: ModelSpec
    """Model spec ``{'name': 'liif', 'args': {...}}``."""
    val_dataset: DataSpec | None = None
    """Same structure as train_dataset; validation PSNR every ``epoch_val`` epochs."""
    data_norm: DataNorm = field(default_factory=DataNorm)
    """Input / target normalisation ``(x - sub) / div``; the paper: 0.5 and 0.5."""
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    """Optimizer spec; the paper: Adam, lr 1e-4."""
    epoch_max: int = 1000
    """Epochs to train."""
    multi_step_lr: StepDecay | None = None
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

    def __post_init__(self) -> None:
        for key, parse in _BLOCKS.items():
            value = getattr(self, key)
            if isinstance(value, Mapping):  # typed blocks are views, not Mappings
                object.__setattr__(self, key, parse(value, f"TrainConfig.{key}"))

    @property
    def lr_schedule(self) -> LRSchedule:
        """The learning rate per epoch and step: base lr, ``multi_step_lr`` and warm-up."""
        return LRSchedule(self.optimizer.lr, self.multi_step_lr, self.warmup_iters)

    @property
    def eval_protocol(self) -> EvalProtocol:
        """How validation PSNR is computed (``eval_type``, ``eval_bsize``)."""
        return EvalProtocol(self.eval_type, self.eval_bsize)

    def to_official(self) -> dict[str, Any]:
        """The config in the official structure, as plain data (fresh copies)."""
        return {
            key: value.to_official() if isinstance(value, OfficialView) else value
            for key, value in ((k, getattr(self, k)) for k in self.__dataclass_fields__)
        }

    def to_dict(self) -> dict[str, Any]:
        """The config as plain data, to save beside the run and inside checkpoints."""
        return self.to_official()


# Typed blocks: key -> parser of its official form (``where`` names the file and the key).
_BLOCKS: dict[str, Callable[[Any, str], Any]] = {
    "train_dataset": lambda data, where: DataSpec.parse(data, where, batch_required=True),
    "model": ModelSpec.parse,
    "val_dataset": DataSpec.parse,
    "data_norm": DataNorm.parse,
    "optimizer": OptimizerSpec.parse,
    "multi_step_lr": StepDecay.parse,
}
_POSITIVE_INTS = ("epoch_max",)
_OPTIONAL_POSITIVE_INTS = ("epoch_val", "epoch_save", "eval_bsize", "steps_per_epoch")


def parse_config(data: dict[str, Any], source: str = "config") -> TrainConfig:
    """Validate plain data into a :class:`TrainConfig`; errors name ``source`` and the key.

    Model and data set names are checked by :func:`load_config` (that needs torch).
    """
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
    blocks = {
        "train_dataset": _BLOCKS["train_dataset"](data["train_dataset"], f"{source}: train_dataset")
    }
    for key in _POSITIVE_INTS + _OPTIONAL_POSITIVE_INTS:
        value = data.get(key)
        if value is None and key in _OPTIONAL_POSITIVE_INTS:
            continue
        if key in data and (not is_int(value) or value < 1):
            raise InrkitError(f"{source}: '{key}' must be a positive integer, got {value!r}")
    if "optimizer" in data:
        blocks["optimizer"] = OptimizerSpec.parse(data["optimizer"], f"{source}: optimizer")
    init = data.get("init")
    if init is not None:
        from inrkit.liif.init import INITS

        if init not in INITS:
            raise InrkitError(f"{source}: init must be one of {', '.join(INITS)}, got {init!r}")
    EvalProtocol.parse(data, source)
    for key in ("multi_step_lr", "model", "val_dataset", "data_norm"):
        if data.get(key) is not None:  # None: no decay, no validation set
            blocks[key] = _BLOCKS[key](data[key], f"{source}: {key}")
    return TrainConfig(**{**data, **blocks})


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
            check_dataset_spec(getattr(config, key).to_official(), f"{source}: {key}")
    from inrkit.liif.init import INITS

    try:
        with torch.device("meta"):  # build the modules without allocating their weights
            model = make_model(config.model.to_official())
    except SpecError as e:
        raise InrkitError(f"{source}: {e}") from None
    if config.init is not None:
        try:
            INITS[config.init](model)  # runs on meta tensors: checks the model fits the init
        except InrkitError as e:
            raise InrkitError(f"{source}: {e}") from None
