"""GIRAFFE training configs: the official YAML (``data`` / ``model`` / ``training``) checked once.

An official config (``configs/64res/cars_64.yaml``, with ``inherit_from``) loads unchanged: the
model part becomes a :class:`~inrkit.giraffe.config.GiraffeConfig`, the ``data`` and
``training`` parts a :class:`TrainSettings` whose defaults are the official ``default.yaml``.
Our additions are optional ``training`` keys: ``max_iters``, ``seed``, ``r1_weight``,
``ema_beta``, ``inception_weights`` and ``eval_batch_size``. Errors name the file and the key.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError
from inrkit.giraffe.config import GiraffeConfig
from inrkit.giraffe.official_config import from_official, load_official_dict
from inrkit.train.overrides import apply_overrides

METRICS = ("swd", "fid_score", "kid")
"""Validation metrics: SWD needs no downloaded weights; FID and KID need Inception weights."""


@dataclass(frozen=True)
class TrainSettings:
    """The official ``data`` and ``training`` keys (official defaults), then ours."""

    path: str = "data/comprehensive_cars/images/*.jpg"
    """Training images: a glob (official) or a folder."""
    dataset_name: str = "images"
    """Only ``images``; LSUN's lmdb files are not read (convert them to a folder)."""
    random_crop: bool = False
    celebA_center_crop: bool = False  # noqa: N815 - the official key
    use_tanh_range: bool = False
    fid_file: str | None = None
    """Reference FID statistics (.npz with mu and sigma) of the training set."""
    out_dir: str = "out/00"
    batch_size: int = 32
    print_every: int = 10
    checkpoint_every: int = 500
    visualize_every: int = 1000
    validate_every: int = 10000
    backup_every: int = 1000000
    model_selection_metric: str = "fid_score"
    model_selection_mode: str = "minimize"
    n_workers: int = 8
    optimizer: str = "RMSprop"
    optimizer_kwargs: dict[str, Any] = field(default_factory=dict)
    n_eval_images: int = 10000
    overwrite_visualization: bool = False
    # ----- ours ---------------------------------------------------------------------------
    max_iters: int | None = None
    """Stop after this many iterations (the official trains until killed)."""
    seed: int = 0
    """Seed of weights, latent codes, cameras and data order."""
    r1_weight: float = 10.0
    """Weight of the R1 penalty on real images (the official hard-codes 10)."""
    ema_beta: float = 0.999
    """Decay of the averaged generator (the official hard-codes 0.999)."""
    inception_weights: str | None = None
    """FID Inception weights file (else the cache) for ``fid_score`` / ``kid``."""
    eval_batch_size: int = 32
    """Fakes rendered per forward pass during validation."""


@dataclass(frozen=True)
class GiraffeTrainConfig:
    """A checked training config: the model and the settings."""

    model: GiraffeConfig
    settings: TrainSettings
    raw: dict[str, Any]
    """The merged official dict (saved beside the run)."""

    def to_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)


_DATA_KEYS = {"path", "dataset_name", "random_crop", "celebA_center_crop", "use_tanh_range"}
_DATA_KEYS |= {"fid_file", "img_size", "classes"}
_IGNORED_TRAINING = {"logfile", "multi_gpu", "learning_rate", "learning_rate_d"}
_OPTIONAL = {"fid_file", "max_iters", "inception_weights"}


def _check(value: Any, default: Any, key: str, source: str) -> Any:
    def bad(expected: str) -> InrkitError:
        return InrkitError(f"{source}: {key}: expected {expected}, got {value!r}")

    if value is None and key.split(".")[-1] in _OPTIONAL:
        return None
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
    elif isinstance(default, int) or key.endswith("max_iters"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
    elif isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number")
        value = float(value)
    elif isinstance(default, dict):
        if not isinstance(value, dict):
            raise bad("a mapping")
    elif (isinstance(default, str) or default is None) and not isinstance(value, str):
        raise bad("a string")
    return value


def parse_train_config(raw: dict[str, Any], source: str = "config") -> GiraffeTrainConfig:
    """Check a merged official dict; every problem is one line naming ``source`` and the key."""
    model = from_official(raw, source=source)
    data = raw.get("data") or {}
    training = raw.get("training") or {}
    for section, value in (("data", data), ("training", training)):
        if not isinstance(value, dict):
            raise InrkitError(f"{source}: {section}: expected a mapping")
    fields = {f.name: f for f in dataclasses.fields(TrainSettings)}
    defaults = TrainSettings()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key not in _DATA_KEYS:
            raise InrkitError(f"{source}: data.{key}: unknown key")
        if key in fields:
            values[key] = _check(value, getattr(defaults, key), f"data.{key}", source)
    for key, value in training.items():
        if key in _IGNORED_TRAINING:
            continue
        if key not in fields or key in _DATA_KEYS:
            raise InrkitError(f"{source}: training.{key}: unknown key")
        values[key] = _check(value, getattr(defaults, key), f"training.{key}", source)
    settings = TrainSettings(**values)
    if settings.dataset_name != "images":
        raise InrkitError(
            f"{source}: data.dataset_name: only 'images' is supported, got "
            f"{settings.dataset_name!r} (convert LSUN to an image folder)"
        )
    if data.get("classes"):
        raise InrkitError(f"{source}: data.classes: only used by LSUN, which is not supported")
    for key in ("batch_size", "print_every", "n_eval_images", "eval_batch_size"):
        if getattr(settings, key) < 1:
            raise InrkitError(f"{source}: training.{key} must be >= 1")
    for key in ("checkpoint_every", "visualize_every", "validate_every", "backup_every"):
        if getattr(settings, key) < 0:
            raise InrkitError(f"{source}: training.{key} must be >= 0 (0 = never)")
    if settings.max_iters is not None and settings.max_iters < 1:
        raise InrkitError(f"{source}: training.max_iters must be >= 1")
    if settings.model_selection_metric not in METRICS:
        raise InrkitError(
            f"{source}: training.model_selection_metric must be one of {', '.join(METRICS)}, "
            f"got {settings.model_selection_metric!r}"
        )
    if settings.model_selection_mode not in ("minimize", "maximize"):
        raise InrkitError(f"{source}: training.model_selection_mode must be minimize or maximize")
    if settings.optimizer not in ("RMSprop", "Adam"):
        raise InrkitError(f"{source}: training.optimizer must be RMSprop or Adam")
    if not 0 <= settings.ema_beta < 1:
        raise InrkitError(f"{source}: training.ema_beta must be in [0, 1)")
    if settings.r1_weight < 0:
        raise InrkitError(f"{source}: training.r1_weight must be >= 0")
    if settings.random_crop and settings.celebA_center_crop:
        raise InrkitError(f"{source}: data: random_crop and celebA_center_crop exclude each other")
    return GiraffeTrainConfig(model=model, settings=settings, raw=copy.deepcopy(raw))


def load_train_config(path: str | Path, overrides: list[str] | None = None) -> GiraffeTrainConfig:
    """Read an official (or our) GIRAFFE YAML, apply ``--set`` overrides, check everything."""
    raw = apply_overrides(load_official_dict(path), overrides or [])
    return parse_train_config(raw, str(path))
