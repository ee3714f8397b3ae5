"""LIIF checkpoints: the official training format and ours, read safely, written atomically.

Two formats are read:

* the official one written by ``train_liif.py``: ``{'model': {'name', 'args', 'sd'},
  'optimizer': {'name', 'args', 'sd'}, 'epoch'}``, unpickled with ``weights_only=True`` so a
  hostile file cannot run code;
* ``.safetensors`` with the model spec as JSON under the metadata key ``"inrkit.spec"``.

Official pretrained models are named (``"edsr-baseline-liif"``, ``"rdn-liif"``) and fetched
once into the cache by :func:`inrkit.weights.fetch`, checksum verified. Every problem with a
file is a one-line :class:`InrkitError`.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save as safetensors_bytes
from torch import nn

from inrkit.errors import InrkitError, file_error
from inrkit.io.cache import local_file
from inrkit.io.checkpoints import (
    TORCH_MAGIC,
    atomic_torch_save,
    cpu_copy,
    file_head,
    load_weights_only,
)
from inrkit.io.files import atomic_write
from inrkit.liif.spec import SpecError, make_model
from inrkit.weights import CATALOGUE, WeightsFile, fetch

FORMAT = "liif-v1"
_LIIF_NAMES = ("liif", "metasr")
_EXISTS = "already exists (pass overwrite=True to replace it)"


# The official pretrained models, by the names users pass; their files, checksums and sources
# are in the catalogue of named weights, which also fetches them.
OFFICIAL_MODELS: dict[str, WeightsFile] = {
    name: CATALOGUE[name] for name in ("edsr-baseline-liif", "rdn-liif")
}

# The trained default model ships inside the package (see the LIIF training issue).
DEFAULT_NAME = "default"
DEFAULT_MODEL_PATH = CATALOGUE["liif-default"].bundled


def resolve(path_or_name: str | Path, *, download: bool = True) -> Path:
    """The checkpoint file for a path or an official model name, fetching it if needed.

    Raises:
        InrkitError: a folder, an unknown name, or an official model that is not cached and
            cannot be fetched (the message names every source tried and ``--from-file``).
    """
    path = local_file(path_or_name)
    if path is not None:
        return path
    name = str(path_or_name)
    if name == DEFAULT_NAME:
        if DEFAULT_MODEL_PATH is not None and DEFAULT_MODEL_PATH.is_file():
            return DEFAULT_MODEL_PATH
        known = ", ".join(OFFICIAL_MODELS)
        raise InrkitError(
            "no default LIIF model is bundled with this build yet; pass --model with a "
            f"checkpoint file or an official model name ({known})"
        )
    if name not in OFFICIAL_MODELS:
        known = ", ".join(OFFICIAL_MODELS)
        raise file_error(name, f"no such file, and not an official model name (known: {known})")
    return fetch(name, download=download)


# ----- reading ------------------------------------------------------------------------------
def load(
    path_or_name: str | Path, *, device: str | torch.device = "cpu", download: bool = True
) -> nn.Module:
    """Rebuild a LIIF (or MetaSR) model from a checkpoint file or an official model name.

    Returns:
        The model with its weights, in eval mode on ``device``; ``model.spec`` holds the spec.

    Raises:
        InrkitError: one line naming the file: unreadable, truncated or corrupt, pickled code,
            not a LIIF checkpoint, a bad spec, or weights that do not fit the spec.
    """
    path = resolve(path_or_name, download=download)
    spec, state = _read(path)
    try:
        model = make_model(spec)
    except SpecError as e:
        raise file_error(path, str(e)) from None
    except (TypeError, ValueError, KeyError) as e:
        raise file_error(path, f"invalid model spec ({e})") from None
    _load_weights(path, model, state)
    return model.to(device).eval()


def _read(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """(spec, state dict) from either format; the format is sniffed, not taken from the name."""
    head = file_head(path, 9)
    # safetensors: 8-byte little-endian header length, then the JSON header.
    if head[8:9] == b"{" or path.suffix == ".safetensors":
        return _read_safetensors(path)
    if not head.startswith(TORCH_MAGIC):
        raise file_error(
            path, "truncated or corrupt checkpoint (not a PyTorch or safetensors file)"
        )
    return _read_official(path)


def _read_official(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    ckpt = load_weights_only(path)
    if not isinstance(ckpt, dict):
        raise file_error(path, f"not a LIIF checkpoint (a {type(ckpt).__name__}, expected a dict)")
    entry = ckpt.get("model")
    if entry is None:
        if ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
            why = "a bare state dict, without the model spec (name, args) to rebuild it"
        else:
            why = f"no 'model' entry; top-level keys: {', '.join(map(str, list(ckpt)[:6]))}"
        raise file_error(path, f"not a LIIF checkpoint ({why})")
    if not isinstance(entry, dict) or not isinstance(entry.get("sd"), dict):
        raise file_error(path, "not a LIIF checkpoint ('model' has no 'name', 'args' and 'sd')")
    if entry.get("name") not in _LIIF_NAMES:
        raise file_error(
            path,
            f"not a LIIF checkpoint (model.name is {entry.get('name')!r}, "
            f"expected one of {', '.join(_LIIF_NAMES)})",
        )
    spec = {"name": entry["name"], "args": entry.get("args") or {}}
    return spec, entry["sd"]


def _read_safetensors(path: Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = f.metadata() or {}
            state = {key: f.get_tensor(key) for key in f.keys()}
    except Exception:  # SafetensorError, OSError, header JSON errors
        raise file_error(path, "truncated or corrupt checkpoint") from None
    if "inrkit.spec" not in meta:
        raise file_error(path, "not a LIIF checkpoint (no 'inrkit.spec' in the metadata)")
    if meta.get("inrkit.format", FORMAT) != FORMAT:
        raise file_error(path, f"unsupported format {meta['inrkit.format']!r} (expected {FORMAT})")
    try:
        spec = json.loads(meta["inrkit.spec"])
    except json.JSONDecodeError:
        raise file_error(path, "truncated or corrupt checkpoint (bad 'inrkit.spec')") from None
    if not isinstance(spec, dict) or spec.get("name") not in _LIIF_NAMES:
        name = spec.get("name") if isinstance(spec, dict) else spec
        raise file_error(path, f"not a LIIF checkpoint (model name {name!r})")
    return spec, state


def _load_weights(path: Path, model: nn.Module, state: dict[str, Any]) -> None:
    """``load_state_dict(strict=True)`` with a message that says what does not fit."""
    if state and all(isinstance(k, str) and k.startswith("module.") for k in state):
        state = {k[len("module.") :]: v for k, v in state.items()}  # saved from DataParallel
    for key, value in state.items():
        if not isinstance(value, torch.Tensor):
            raise file_error(path, f"not a LIIF checkpoint (weight {key!r} is not a tensor)")
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise file_error(path, f"refusing to load: weight {key!r} has NaN or infinite values")
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    reshaped = [k for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or reshaped:
        if reshaped:
            k = reshaped[0]
            example = f"{k!r} {tuple(state[k].shape)} vs {tuple(expected[k].shape)}"
        else:
            example = f"missing {missing[0]!r}" if missing else f"unexpected {unexpected[0]!r}"
        raise file_error(
            path,
            f"weights do not match the model spec: {len(missing)} missing, "
            f"{len(unexpected)} unexpected, {len(reshaped)} with other shapes "
            f"(file vs spec), e.g. {example}",
        )
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as e:  # e.g. a dtype that cannot be copied
        raise file_error(path, f"weights do not match the model spec ({e})") from None


# ----- writing ------------------------------------------------------------------------------
def save(
    model: nn.Module,
    path: str | Path,
    *,
    optimizer: torch.optim.Optimizer | None = None,
    epoch: int | None = None,
    overwrite: bool = True,
) -> Path:
    """Write ``model`` (built by ``make_model``) to ``path`` atomically and return the path.

    ``*.safetensors`` gets our format (spec in the metadata, no optimizer); any other name gets
    the official structure, which the official code reads with
    ``models.make(torch.load(path)['model'], load_sd=True)``.

    Raises:
        ValueError: the model has no ``.spec``, or an optimizer with a ``.safetensors`` path.
        InrkitError: ``overwrite=False`` and the file exists.
    """
    spec = getattr(model, "spec", None)
    if not isinstance(spec, dict):
        raise ValueError("model has no .spec; build it with inrkit.liif.make_model(spec)")
    path = Path(path)
    if not overwrite and path.exists():  # before copying the weights
        raise file_error(path, _EXISTS)
    if path.suffix == ".safetensors" and optimizer is not None:
        raise ValueError("optimizer state cannot be stored in .safetensors; use a .pth path")
    # Clones on the CPU: contiguous, no shared storage (safetensors refuses it), and loadable
    # by the official scripts, which call torch.load without map_location.
    state = {k: v.detach().to("cpu").contiguous().clone() for k, v in model.state_dict().items()}
    spec = {"name": spec["name"], "args": copy.deepcopy(spec.get("args") or {})}
    if path.suffix == ".safetensors":
        meta = {"inrkit.format": FORMAT, "inrkit.spec": json.dumps(spec)}
        if epoch is not None:
            meta["inrkit.epoch"] = str(epoch)
        return atomic_write(
            path,
            # Bytes written by Python: safetensors' own save_file creates files mode 0600,
            # which other users (a shared install, a web server) then cannot read.
            lambda tmp: tmp.write_bytes(safetensors_bytes(state, metadata=meta)),
            overwrite=overwrite,
            exists_message=_EXISTS,
            make_folders=True,
        )
    ckpt: dict[str, Any] = {"model": {**spec, "sd": state}}
    if optimizer is not None:
        lr = optimizer.param_groups[0]["lr"]
        ckpt["optimizer"] = {
            "name": type(optimizer).__name__.lower(),
            "args": {"lr": float(lr)},
            "sd": cpu_copy(optimizer.state_dict()),
        }
    ckpt["epoch"] = epoch
    return atomic_torch_save(
        ckpt, path, overwrite=overwrite, exists_message=_EXISTS, make_folders=True, os_error=None
    )
