"""The typed blocks of LIIF's official YAML configs (the recipe of LIIF, Sec. 4.1).

The official configs nest ``{'name': ..., 'args': {...}}`` specs and small dicts (``model``,
``train_dataset``, ``data_norm``). Each block is parsed once, at the edge, by its ``parse``
classmethod into a frozen dataclass; code reads attributes (``config.train_dataset.batch_size``)
and ``to_official()`` gives the official plain-data form back, which is what run folders and
checkpoints store. Errors name the source file and the dotted key. Here are the blocks that
training and test configs share; the optimisation blocks (``optimizer``, ``multi_step_lr``)
sit beside :class:`~inrkit.liif.config.TrainConfig`.

Keys the official format leaves optional are written back with their defaults (a data set
without ``batch_size`` gets ``batch_size: 1``); arguments we do not model (an encoder's
``n_feats``, a wrapper's ``sample_q``) are kept as given, in their order.

Every block also reads like its official dict (``spec["args"]``, ``spec.get("batch_size")``),
a read-only view of ``to_official()`` kept for code written against the dict fields. Nothing
here imports torch: the CLI reads configs before it pays for that import.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from inrkit.errors import InrkitError

__all__ = [
    "DataNorm",
    "DataSpec",
    "EvalProtocol",
    "ImnetSpec",
    "ModelSpec",
    "NamedSpec",
    "Normalisation",
    "OfficialView",
]

EVAL_TYPE = re.compile(r"^(div2k|benchmark)-([1-9]\d*)$")


def is_int(value: Any) -> TypeGuard[int]:
    """An int, not a bool (YAML's ``true`` is one in Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[int | float]:
    """An int or a float, not a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def refuse_unknown(data: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    """Raise InrkitError naming the keys of ``data`` that are not ``known``."""
    unknown = [str(k) for k in data if k not in known]
    if unknown:
        raise InrkitError(
            f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(known)})"
        )


class OfficialView:
    """Read-only dict-style access to ``to_official()``, for code written against the dicts."""

    def to_official(self) -> dict[str, Any]:
        """The official plain-data form (a fresh copy)."""
        raise NotImplementedError

    def __getitem__(self, key: str) -> Any:
        return self.to_official()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.to_official()

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_official())

    def get(self, key: str, default: Any = None) -> Any:
        """``to_official().get(key, default)``."""
        return self.to_official().get(key, default)

    def keys(self) -> KeysView[str]:
        """The keys of the official form (``dict(spec)`` and ``{**spec}`` work)."""
        return self.to_official().keys()


# ----- {name, args} specs -------------------------------------------------------------------
@dataclass(frozen=True)
class NamedSpec(OfficialView):
    """An official ``{'name': ..., 'args': {...}}`` spec: what to build, with which arguments."""

    name: str
    """The official name (``edsr-baseline``, ``image-folder``, ``sr-implicit-downsampled``)."""
    args: dict[str, Any] = field(default_factory=dict)
    """Keyword arguments of the constructor, as given."""

    @classmethod
    def parse(cls, data: Any, where: str) -> NamedSpec:
        """Check the structure (names are checked where they are built); ``where`` prefixes
        errors, e.g. ``train.yaml: train_dataset.wrapper``."""
        if not isinstance(data, Mapping) or "name" not in data:
            raise InrkitError(f"{where} must be a mapping with a 'name'")
        refuse_unknown(data, ("name", "args"), where)
        args = data.get("args")
        if args is not None and not isinstance(args, Mapping):
            raise InrkitError(f"{where}.args must be a mapping")
        return cls(str(data["name"]), copy.deepcopy(dict(args or {})))

    def to_official(self) -> dict[str, Any]:
        """``{'name', 'args'}``."""
        return {"name": self.name, "args": copy.deepcopy(self.args)}


@dataclass(frozen=True)
class ImnetSpec(OfficialView):
    """LIIF's decoder ``imnet_spec``: an MLP from latent codes (and coords, cells) to RGB."""

    hidden_list: tuple[int, ...]
    """Hidden layer widths; the paper: four of 256."""
    name: str = "mlp"
    """The official name; ``mlp`` is the only decoder."""
    out_dim: int = 3
    """Output channels (RGB)."""
    args: dict[str, Any] = field(default_factory=dict)
    """Any other arguments, as given (the model injects ``in_dim`` itself)."""

    @classmethod
    def parse(cls, data: Any, where: str) -> ImnetSpec:
        """Parse ``{'name': 'mlp', 'args': {'out_dim': 3, 'hidden_list': [...]}}``."""
        spec = NamedSpec.parse(data, where)
        args = dict(spec.args)
        hidden = args.pop("hidden_list", [])
        if not isinstance(hidden, list | tuple) or not all(is_int(h) and h > 0 for h in hidden):
            raise InrkitError(
                f"{where}.args.hidden_list must be a list of positive integers, got {hidden!r}"
            )
        out_dim = args.pop("out_dim", 3)
        if not is_int(out_dim) or out_dim < 1:
            raise InrkitError(f"{where}.args.out_dim must be a positive integer, got {out_dim!r}")
        return cls(tuple(hidden), spec.name, out_dim, args)

    def to_official(self) -> dict[str, Any]:
        """``{'name', 'args': {'out_dim', 'hidden_list', ...}}``."""
        args = {"out_dim": self.out_dim, "hidden_list": list(self.hidden_list)}
        return {"name": self.name, "args": {**args, **copy.deepcopy(self.args)}}


def _paper_encoder() -> NamedSpec:
    return NamedSpec("edsr-baseline", {"no_upsampling": True})


def _paper_imnet() -> ImnetSpec:
    return ImnetSpec((256, 256, 256, 256))


@dataclass(frozen=True)
class ModelSpec(OfficialView):
    """The ``model`` spec: ``liif`` / ``metasr`` (an encoder and a decoder) or a bare encoder.

    Defaults: the paper's EDSR-baseline-LIIF.
    """

    name: str = "liif"
    """``liif``, ``metasr`` or an encoder name (checked by :func:`inrkit.liif.spec.make_model`)."""
    encoder: NamedSpec | None = field(default_factory=_paper_encoder)
    """``args.encoder_spec``: the feature encoder (None: not given)."""
    imnet: ImnetSpec | None = field(default_factory=_paper_imnet)
    """``args.imnet_spec``: LIIF's decoder (None: not given)."""
    args: dict[str, Any] = field(default_factory=dict)
    """The other arguments, as given (``local_ensemble``, ``feat_unfold``, ``cell_decode``;
    a bare encoder's own arguments)."""

    @classmethod
    def parse(cls, data: Any, where: str) -> ModelSpec:
        """Parse an official model spec; ``where`` prefixes errors (``train.yaml: model``)."""
        spec = NamedSpec.parse(data, where)
        args = dict(spec.args)
        encoder, imnet = args.pop("encoder_spec", None), args.pop("imnet_spec", None)
        return cls(
            spec.name,
            None if encoder is None else NamedSpec.parse(encoder, f"{where}.args.encoder_spec"),
            None if imnet is None else ImnetSpec.parse(imnet, f"{where}.args.imnet_spec"),
            args,
        )

    def to_official(self) -> dict[str, Any]:
        """``{'name', 'args': {'encoder_spec', 'imnet_spec', ...}}``, as ``make_model`` takes."""
        args: dict[str, Any] = {}
        if self.encoder is not None:
            args["encoder_spec"] = self.encoder.to_official()
        if self.imnet is not None:
            args["imnet_spec"] = self.imnet.to_official()
        return {"name": self.name, "args": {**args, **copy.deepcopy(self.args)}}


# ----- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Normalisation(OfficialView):
    """One side of ``data_norm``: values are mapped to ``(x - sub) / div`` per channel."""

    sub: tuple[float, ...] = (0.5,)
    """Subtracted (one value, or one per RGB channel)."""
    div: tuple[float, ...] = (0.5,)
    """Divided by (never 0)."""

    def to_official(self) -> dict[str, Any]:
        """``{'sub': [...], 'div': [...]}``."""
        return {"sub": list(self.sub), "div": list(self.div)}


@dataclass(frozen=True)
class DataNorm(OfficialView):
    """``data_norm``: how LR inputs and HR targets are normalised; the paper maps [0, 1] to
    [-1, 1] on both sides."""

    inp: Normalisation = field(default_factory=Normalisation)
    """The LR input of the encoder."""
    gt: Normalisation = field(default_factory=Normalisation)
    """The predicted / target RGB values."""

    @classmethod
    def identity(cls) -> DataNorm:
        """No normalisation (sub 0, div 1): the official default of test configs."""
        return cls(Normalisation((0,), (1,)), Normalisation((0,), (1,)))

    @classmethod
    def parse(cls, data: Any, where: str) -> DataNorm:
        """Parse ``{'inp': {'sub', 'div'}, 'gt': {'sub', 'div'}}``; ``where`` ends in data_norm."""
        if isinstance(data, Mapping):
            refuse_unknown(data, ("inp", "gt"), where)
        sides = {}
        for key in ("inp", "gt"):
            part = data.get(key) if isinstance(data, Mapping) else None
            if isinstance(part, Mapping):
                refuse_unknown(part, ("sub", "div"), f"{where}.{key}")
            values = {}
            for op in ("sub", "div"):
                got = part.get(op) if isinstance(part, Mapping) else None
                if not isinstance(got, list | tuple) or not got or not all(map(is_number, got)):
                    raise InrkitError(f"{where}.{key}.{op} must be a list of numbers")
                if op == "div" and any(v == 0 for v in got):
                    raise InrkitError(f"{where}.{key}.div must not contain 0")
                values[op] = tuple(got)
            sides[key] = Normalisation(**values)
        return cls(**sides)

    def to_official(self) -> dict[str, Any]:
        """``{'inp': {'sub', 'div'}, 'gt': {'sub', 'div'}}``."""
        return {"inp": self.inp.to_official(), "gt": self.gt.to_official()}


@dataclass(frozen=True)
class DataSpec(OfficialView):
    """A data set block (``train_dataset``, ``val_dataset``, ``test_dataset``)."""

    dataset: NamedSpec | None = None
    """The images: ``{'name': 'image-folder', 'args': {'root_path', ...}}`` (None: not given;
    a config must name it before anything is built)."""
    wrapper: NamedSpec | None = None
    """What turns images into samples (``sr-implicit-downsampled``); None: the images as is."""
    batch_size: int = 1
    """Samples per batch, over all processes."""

    @classmethod
    def parse(cls, data: Any, where: str, *, batch_required: bool = False) -> DataSpec:
        """Parse ``{'dataset', 'wrapper', 'batch_size'}``; names are checked where they are
        built (:func:`inrkit.data.specs.check_dataset_spec`)."""
        if not isinstance(data, Mapping):
            raise InrkitError(f"{where} must be a mapping with 'dataset' (and usually 'wrapper')")
        batch = data.get("batch_size") if batch_required else data.get("batch_size", 1)
        if not is_int(batch) or batch < 1:
            raise InrkitError(f"{where}.batch_size must be a positive integer, got {batch!r}")
        refuse_unknown(data, ("dataset", "wrapper", "batch_size"), where)
        parts = {
            key: NamedSpec.parse(data[key], f"{where}.{key}")
            for key in ("dataset", "wrapper")
            if data.get(key) is not None
        }
        return cls(**parts, batch_size=batch)

    def to_official(self) -> dict[str, Any]:
        """``{'dataset', 'wrapper', 'batch_size'}`` (without the parts that are None)."""
        out: dict[str, Any] = {}
        if self.dataset is not None:
            out["dataset"] = self.dataset.to_official()
        if self.wrapper is not None:
            out["wrapper"] = self.wrapper.to_official()
        return {**out, "batch_size": self.batch_size}


# ----- evaluation ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EvalProtocol(OfficialView):
    """How validation / test PSNR is computed (top-level ``eval_type`` and ``eval_bsize``)."""

    eval_type: str | None = None
    """None: RGB PSNR on every pixel; ``div2k-N``: RGB, shave N + 6; ``benchmark-N``: Y, shave N."""
    eval_bsize: int | None = None
    """Queries per decoder call (None: all at once)."""

    @classmethod
    def parse(cls, data: Mapping[str, Any], source: str) -> EvalProtocol:
        """Read the two top-level keys of a config; errors name ``source`` and the key."""
        eval_type, bsize = data.get("eval_type"), data.get("eval_bsize")
        if eval_type is not None and not (
            isinstance(eval_type, str) and EVAL_TYPE.match(eval_type)
        ):
            raise InrkitError(
                f"{source}: eval_type must be div2k-N or benchmark-N, got {eval_type!r}"
            )
        if bsize is not None and (not is_int(bsize) or bsize < 1):
            raise InrkitError(f"{source}: eval_bsize must be a positive integer, got {bsize!r}")
        return cls(eval_type, bsize)

    @property
    def dataset(self) -> str | None:
        """The PSNR protocol: ``div2k``, ``benchmark`` or None (plain RGB)."""
        return None if self.eval_type is None else self.eval_type.partition("-")[0]

    @property
    def scale(self) -> int | None:
        """The scale whose border is shaved (None: no shave)."""
        return None if self.eval_type is None else int(self.eval_type.partition("-")[2])

    def to_official(self) -> dict[str, Any]:
        """The top-level keys: ``{'eval_type', 'eval_bsize'}``."""
        return {"eval_type": self.eval_type, "eval_bsize": self.eval_bsize}
