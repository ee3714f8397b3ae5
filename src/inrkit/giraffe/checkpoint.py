"""GIRAFFE checkpoints: the official structure, read safely, written atomically.

The official trainer saves ``{'model': state dict of the whole GIRAFFE module (generator.*,
generator_test.*, discriminator.*), 'optimizer', 'optimizer_d', 'epoch_it', 'it',
'loss_val_best'}``. We read it with ``torch.load(weights_only=True)`` (plus NumPy scalars, which
the official trainer stores for ``loss_val_best``), so a hostile file cannot run code, and load
the weights with ``strict=True``. We write the same structure, plus an ``'inrkit'`` entry with
the config in the official YAML layout, so that our files rebuild themselves and the official
code (which ignores extra keys) still reads them.

The official pretrained models are named by their preset (``cars_64``, ``ffhq_256``, ...) and
fetched once into ``<cache>/giraffe/`` by :func:`inrkit.weights.fetch`. Every problem is a
one-line :class:`InrkitError`.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch

from inrkit.errors import InrkitError, file_error
from inrkit.giraffe.config import GiraffeConfig
from inrkit.giraffe.model import Giraffe, GiraffeModel
from inrkit.giraffe.official_config import from_official, resolve_config, to_official
from inrkit.giraffe.presets import PRESETS, PRETRAINED, preset_key
from inrkit.io.cache import local_file
from inrkit.io.checkpoints import (
    TORCH_MAGIC,
    atomic_torch_save,
    cpu_copy,
    file_head,
    load_weights_only,
)
from inrkit.weights import CATALOGUE, fetch

FORMAT = "giraffe-v1"
DEFAULT_NAME = "default"
DEFAULT_MODEL_PATH = CATALOGUE["giraffe-default"].bundled
"""The bundled default model (64x64 toy cars; ``training/giraffe-cars64``)."""
SMALL_NAME = "default32"
SMALL_MODEL_PATH = CATALOGUE["giraffe-default32"].bundled
"""The earlier 32x32 default (``training/giraffe-cars32``): fast tests and previews."""
_EXISTS = "already exists (pass overwrite=True to replace it)"


# ----- finding the file ---------------------------------------------------------------------
def pretrained_name(name: str) -> str | None:
    """The preset key of an official pretrained model name (``cars64``, ``cars_64_pretrained``)."""
    key = preset_key(re.sub(r"[-_]?pretrained$", "", name.strip(), flags=re.IGNORECASE))
    return key if key in PRETRAINED else None


def resolve(path_or_name: str | Path, *, download: bool = True) -> tuple[Path, str | None]:
    """The checkpoint file for a path or a model name, and the preset the name implies.

    Raises:
        InrkitError: a folder, an unknown name, or an official model that is not cached and
            cannot be fetched (the message names every source tried and ``--from-file``).
    """
    path = local_file(path_or_name)
    if path is not None:
        return path, None
    name = str(path_or_name)
    bundled = {DEFAULT_NAME: DEFAULT_MODEL_PATH, SMALL_NAME: SMALL_MODEL_PATH}
    if name in bundled:
        path = bundled[name]
        if path is not None and path.is_file():
            return path, None
        raise InrkitError(
            f"no {name!r} GIRAFFE model is bundled with this build; pass --model with a "
            f"checkpoint file or an official model name ({', '.join(PRETRAINED)})"
        )
    key = pretrained_name(name)
    if key is None:
        known = ", ".join([*bundled, *PRETRAINED])
        raise file_error(name, f"no such file, and not an official model name (known: {known})")
    return fetch(key, download=download), key


# ----- reading ------------------------------------------------------------------------------
def _numpy_scalar_globals() -> list[Any]:
    """What unpickling NumPy scalars needs: the scalar constructor under its numpy 1 and 2
    names, and dtypes. It rebuilds a number from bytes and cannot run other code."""
    core = getattr(np, "_core", None) or np.core
    # np.core is numpy 1's name (numpy 2 has _core); numpy 2's stub of np.core has no multiarray.
    scalar = core.multiarray.scalar  # pyright: ignore[reportAttributeAccessIssue]
    dtypes = [type(np.dtype(c)) for c in ("f8", "f4", "f2", "i8", "i4", "i2", "u1", "b1")]
    return [
        (scalar, "numpy.core.multiarray.scalar"),
        (scalar, "numpy._core.multiarray.scalar"),
        np.dtype,
        *dtypes,
    ]


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The unpickled checkpoint dict; refuses pickled code and reports corrupt files."""
    if not file_head(path, 4).startswith(TORCH_MAGIC):
        raise file_error(path, "truncated or corrupt checkpoint (not a PyTorch file)")
    ckpt = load_weights_only(path, _numpy_scalar_globals())
    if not isinstance(ckpt, dict):
        raise file_error(
            path, f"not a GIRAFFE checkpoint (a {type(ckpt).__name__}, expected a dict)"
        )
    return ckpt


def _model_state(path: Path, ckpt: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The 'model' state dict, accepting a bare one and DataParallel's ``module.`` names."""
    state = ckpt.get("model")
    if state is None and ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        state = ckpt
    if not isinstance(state, dict) or not state:
        keys = ", ".join(map(str, list(ckpt)[:6]))
        raise file_error(path, f"not a GIRAFFE checkpoint (no 'model' state dict; keys: {keys})")
    out = {}
    for key, value in state.items():
        if not isinstance(key, str) or not isinstance(value, torch.Tensor):
            raise file_error(
                path, f"not a GIRAFFE checkpoint (model entry {key!r} is not a tensor)"
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise file_error(path, f"refusing to load: weight {key!r} has NaN or infinite values")
        out[re.sub(r"^(\w+)\.module\.", r"\1.", key)] = value
    if not any(k.startswith("generator.") for k in out):
        raise file_error(path, "not a GIRAFFE checkpoint (no generator.* weights)")
    return out


@lru_cache(maxsize=64)
def expected_shapes(cfg: GiraffeConfig) -> dict[str, tuple[int, ...]]:
    """State-dict key -> shape of a model built from ``cfg`` (built on the meta device)."""
    with torch.device("meta"):
        net = Giraffe(cfg)
    return {k: tuple(v.shape) for k, v in net.state_dict().items()}


def mismatch(state: dict[str, torch.Tensor], cfg: GiraffeConfig) -> str | None:
    """None when ``state`` fits ``cfg`` exactly, else a summary of the differences."""
    expected = expected_shapes(cfg)
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and tuple(state[k].shape) != expected[k]]
    if not (missing or unexpected or reshaped):
        return None
    examples = [f"{k!r} {tuple(state[k].shape)} vs {expected[k]}" for k in reshaped[:2]]
    examples += [f"missing {k!r}" for k in missing[:2]] + [
        f"unexpected {k!r}" for k in unexpected[:2]
    ]
    return (
        f"{len(missing)} missing, {len(unexpected)} unexpected, {len(reshaped)} with other "
        f"shapes (file vs config), e.g. {'; '.join(examples[:3])}"
    )


def fitting_presets(state: dict[str, torch.Tensor]) -> list[str]:
    """The presets whose models have exactly the keys and shapes of ``state``."""
    has_test = any(k.startswith("generator_test.") for k in state)
    return [
        name
        for name, cfg in PRESETS.items()
        if mismatch(state, replace(cfg, take_generator_average=has_test)) is None
    ]


def _config_for(
    path: Path,
    ckpt: dict[str, Any],
    state: dict[str, torch.Tensor],
    config: GiraffeConfig | str | Path | None,
    implied: str | None,
) -> tuple[GiraffeConfig, str]:
    """(config, how to name it in messages): given > stored in the file > implied by name."""
    if config is not None:
        label = f"preset {preset_key(str(config))}" if preset_key(str(config)) else str(config)
        if isinstance(config, GiraffeConfig):
            label = "the given config"
        return resolve_config(config), label
    stored = ckpt.get("inrkit")
    if isinstance(stored, dict) and isinstance(stored.get("config"), dict):
        return from_official(
            stored["config"], source=f"{path} (stored config)"
        ), "its stored config"
    if implied is not None:
        return PRESETS[implied], f"preset {implied}"
    fits = fitting_presets(state)
    hint = (
        f"presets that fit its weights: {', '.join(fits)}" if fits else "no preset fits its weights"
    )
    raise file_error(
        path,
        f"official checkpoint without a config; pass config= (--config) a "
        f"preset or official YAML file ({hint})",
    )


def load(
    path_or_name: str | Path,
    config: GiraffeConfig | str | Path | None = None,
    *,
    device: str | torch.device = "cpu",
    download: bool = True,
) -> GiraffeModel:
    """Load an official GIRAFFE checkpoint (or one of ours) by path or official model name.

    Args:
        path_or_name: A checkpoint file, an official pretrained model (``"cars_64"``),
            ``"default"`` (64x64) or ``"default32"`` (the smaller, earlier default).
        config: A preset name, an official YAML file or a :class:`GiraffeConfig`; needed for
            official checkpoint files (they hold no config), optional otherwise.
        device: Where to put the weights.
        download: Fetch an official model that is not cached yet.

    Returns:
        The model in eval mode; ``.render_generator`` is the averaged generator.

    Raises:
        InrkitError: one line naming the file: unreadable, corrupt, pickled code, not GIRAFFE,
            or weights that do not fit the config (with the presets that would fit).
    """
    path, implied = resolve(path_or_name, download=download)
    ckpt = read_checkpoint(path)
    state = _model_state(path, ckpt)
    cfg, label = _config_for(path, ckpt, state, config, implied)
    # The averaged generator is optional in the official format; follow the file.
    cfg = replace(cfg, take_generator_average=any(k.startswith("generator_test.") for k in state))
    problem = mismatch(state, cfg)
    if problem is not None:
        fits = fitting_presets(state)
        hint = f"presets that fit: {', '.join(fits)}" if fits else "no preset fits"
        raise file_error(path, f"weights do not fit {label}: {problem}; {hint}")
    network = Giraffe(cfg)
    network.load_state_dict(state, strict=True)
    extras = {k: _plain_scalar(v) for k, v in ckpt.items() if k not in ("model", "inrkit")}
    return GiraffeModel(network=network, config=cfg, extras=extras).to(device).eval()


def _plain_scalar(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


# ----- writing ------------------------------------------------------------------------------
def save(
    model: GiraffeModel,
    path: str | Path,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    optimizer_d: torch.optim.Optimizer | None = None,
    epoch_it: int | None = None,
    it: int | None = None,
    loss_val_best: float | None = None,
    overwrite: bool = True,
    training_state: dict[str, Any] | None = None,
) -> Path:
    """Write ``model`` atomically in the official structure and return the path.

    Optimizer states and counters default to those loaded with the model, else to a fresh
    RMSprop state (the official optimizer) and 0, 0, inf. ``training_state`` (the trainer's
    RNG state and position) is kept under ``inrkit``, which the official loader ignores.

    Raises:
        InrkitError: ``overwrite=False`` and the file exists.
    """
    path = Path(path)
    if not overwrite and path.exists():  # before copying the weights
        raise file_error(path, _EXISTS)
    net, cfg, extras = model.network, model.config, model.extras
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in net.state_dict().items()}

    def optimizer_state(
        given: torch.optim.Optimizer | None, key: str, module: torch.nn.Module, lr: float
    ) -> dict[str, Any]:
        if given is not None:
            return cpu_copy(given.state_dict())
        if isinstance(extras.get(key), dict):
            return extras[key]
        return torch.optim.RMSprop(module.parameters(), lr=lr).state_dict()

    ckpt = {
        "model": state,
        "optimizer": optimizer_state(optimizer, "optimizer", net.generator, cfg.learning_rate),
        "optimizer_d": optimizer_state(
            optimizer_d, "optimizer_d", net.discriminator, cfg.learning_rate_d
        ),
        "epoch_it": int(epoch_it if epoch_it is not None else extras.get("epoch_it", 0)),
        "it": int(it if it is not None else extras.get("it", 0)),
        "loss_val_best": float(
            loss_val_best if loss_val_best is not None else extras.get("loss_val_best", math.inf)
        ),
        "inrkit": {"format": FORMAT, "config": to_official(cfg), **(training_state or {})},
    }

    return atomic_torch_save(
        ckpt,
        path,
        overwrite=overwrite,
        exists_message=_EXISTS,
        make_folders=True,
        os_error="cannot write",
    )
