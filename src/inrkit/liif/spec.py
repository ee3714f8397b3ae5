"""Build models from the official model specs ``{'name': ..., 'args': {...}}``.

The official code keeps a registry filled by decorators; one literal table is all we need.
Specs are validated here, at the edge, with messages that name the offending key.
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from torch import nn

from inrkit.liif.encoders import ENCODERS
from inrkit.liif.metasr import MetaSR
from inrkit.liif.model import LIIF

MODEL_NAMES = ("liif", "metasr", *ENCODERS)


class SpecError(ValueError):
    """A model spec that cannot be built; the message names the key."""


def _checked_args(ctor: Any, args: Any, where: str) -> dict[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, dict):
        raise SpecError(f"{where}.args must be a mapping, got {type(args).__name__}")
    params = inspect.signature(ctor).parameters
    unknown = sorted(set(args) - set(params))
    if unknown:
        raise SpecError(f"{where}.args: unknown argument(s) {', '.join(map(str, unknown))}")
    for key, value in args.items():
        default = params[key].default
        if isinstance(default, bool) and not isinstance(value, bool):
            raise SpecError(f"{where}.args.{key} must be true or false, got {value!r}")
        if isinstance(default, int | float) and not isinstance(default, bool):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SpecError(f"{where}.args.{key} must be a number, got {value!r}")
            if value <= 0 and key != "res_scale":
                raise SpecError(f"{where}.args.{key} must be positive, got {value!r}")
    return dict(args)


def _name(spec: Any, where: str) -> str:
    if not isinstance(spec, dict) or "name" not in spec:
        raise SpecError(f"{where} must be a mapping with a 'name'")
    return str(spec["name"])


def make_encoder(spec: Any, where: str = "encoder_spec") -> nn.Module:
    """Build an encoder from ``{'name': 'edsr-baseline' | 'edsr' | 'rdn' | 'rcan', 'args'}``.

    ``spec`` comes from a config file and is checked here: anything else raises SpecError.
    """
    name = _name(spec, where)
    if name not in ENCODERS:
        raise SpecError(f"{where}.name: unknown encoder {name!r} (known: {', '.join(ENCODERS)})")
    args = _checked_args(ENCODERS[name], spec.get("args"), where)
    try:
        return ENCODERS[name](**args)
    except ValueError as e:
        raise SpecError(f"{where}: {e}") from None


def _imnet_hidden(spec: Any) -> list[int] | None:
    if spec is None:
        return None
    name = _name(spec, "imnet_spec")
    if name != "mlp":
        raise SpecError(f"imnet_spec.name: unknown decoder {name!r} (known: mlp)")
    args = spec.get("args") or {}
    hidden = args.get("hidden_list", [])
    ok = isinstance(hidden, list) and all(isinstance(h, int) and h > 0 for h in hidden)
    if not ok:
        raise SpecError(
            f"imnet_spec.args.hidden_list must be a list of positive integers, got {hidden!r}"
        )
    if args.get("out_dim", 3) != 3:
        raise SpecError("imnet_spec.args.out_dim must be 3 (RGB)")
    return hidden


def make_model(spec: dict[str, Any]) -> nn.Module:
    """Build ``liif``, ``metasr`` or a bare encoder from an official model spec.

    The returned module carries the cleaned spec as ``model.spec`` so that it can be saved in
    the official checkpoint format and rebuilt from the file alone.
    """
    model = _build(spec)
    # nn.Module.__setattr__ is typed for tensors and modules; a plain attribute works as well.
    model.spec = clean_spec(spec)  # pyright: ignore[reportArgumentType]
    return model


def _build(spec: dict[str, Any]) -> nn.Module:
    name = _name(spec, "model")
    args = spec.get("args") or {}
    if not isinstance(args, dict):
        raise SpecError("model.args must be a mapping")
    if name == "liif":
        extra = sorted(
            set(args)
            - {"encoder_spec", "imnet_spec", "local_ensemble", "feat_unfold", "cell_decode"}
        )
        if extra:
            raise SpecError(f"model.args: unknown argument(s) {', '.join(extra)}")
        flags = {k: args.get(k, True) for k in ("local_ensemble", "feat_unfold", "cell_decode")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise SpecError(f"model.args.{key} must be true or false, got {value!r}")
        encoder = make_encoder(args.get("encoder_spec"))
        return LIIF(encoder, _imnet_hidden(args.get("imnet_spec")), **flags)
    if name == "metasr":
        extra = sorted(set(args) - {"encoder_spec"})
        if extra:
            raise SpecError(f"model.args: unknown argument(s) for metasr {', '.join(extra)}")
        return MetaSR(make_encoder(args.get("encoder_spec")))
    if name in ENCODERS:
        return make_encoder(spec, "model")
    raise SpecError(f"model.name: unknown model {name!r} (known: {', '.join(MODEL_NAMES)})")


def clean_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of a spec without runtime-only keys (e.g. the MLP's injected in_dim)."""
    spec = copy.deepcopy(spec)
    imnet = (spec.get("args") or {}).get("imnet_spec")
    if isinstance(imnet, dict) and isinstance(imnet.get("args"), dict):
        imnet["args"].pop("in_dim", None)
    return spec
