"""Official GIRAFFE YAML configs (with ``inherit_from``) to and from :class:`GiraffeConfig`.

The official loader (``im2scene.config.load_config``) reads a file, first loads the file named
by its ``inherit_from`` (else ``configs/default.yaml``), and merges the file on top, key by
key. This module does the same with ``default.yaml``'s values built in; ``inherit_from`` is
looked up beside the file, in its parent folders (the official paths are relative to the
repository root) and the working folder, and an official config's file name
(``configs/64res/cars_64.yaml``) that is not on disk falls back to the preset of that name.
Every problem is a one-line :class:`InrkitError` naming the file and the key.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from inrkit.errors import InrkitError, file_error
from inrkit.giraffe.config import (
    BoxConfig,
    DiscriminatorConfig,
    FieldConfig,
    GeneratorConfig,
    GiraffeConfig,
    NeuralRendererConfig,
)
from inrkit.giraffe.presets import PRESETS, preset_key
from inrkit.io.yaml_files import read_inherited

# Official keyword -> our field name, where the official spelling is a typo.
RENAMES = {
    "backround_rotation_range": "background_rotation_range",
    "sample_object_existance": "sample_object_existence",
    "check_collison": "check_collision",
}
_OFFICIAL_NAMES = {ours: theirs for theirs, ours in RENAMES.items()}
# Official keywords that are accepted and have no effect on the model we build.
_IGNORED = {
    "decoder_kwargs": {"positional_encoding", "gauss_dim_pos", "gauss_dim_view", "gauss_std"},
    "background_generator_kwargs": {
        "positional_encoding",
        "gauss_dim_pos",
        "gauss_dim_view",
        "gauss_std",
    },
}
_SECTIONS: dict[str, tuple[str, type]] = {
    "decoder_kwargs": ("decoder", FieldConfig),
    "background_generator_kwargs": ("background", FieldConfig),
    "bounding_box_generator_kwargs": ("boxes", BoxConfig),
    "generator_kwargs": ("generator", GeneratorConfig),
    "neural_renderer_kwargs": ("neural_renderer", NeuralRendererConfig),
    "discriminator_kwargs": ("discriminator", DiscriminatorConfig),
}
# The one kind of each part the official code offers for GIRAFFE ("dc" for the discriminator).
_KINDS = {
    "decoder": "simple",
    "generator": "simple",
    "background_generator": "simple",
    "bounding_box_generator": "simple",
    "neural_renderer": "simple",
    "discriminator": "dc",
}


def to_official(cfg: GiraffeConfig) -> dict[str, Any]:
    """The official YAML structure for ``cfg`` (the keys that shape the model, plain types)."""
    model: dict[str, Any] = {"z_dim": cfg.z_dim, "z_dim_bg": cfg.z_dim_bg, **_KINDS}
    for section, (attr, _) in _SECTIONS.items():
        values = dataclasses.asdict(getattr(cfg, attr))
        if values.get("object_existence_prior", 0) is None:
            del values["object_existence_prior"]  # ours; left out unless set, as officially
        model[section] = {_OFFICIAL_NAMES.get(k, k): _plain(v) for k, v in values.items()}
    return {
        "method": "giraffe",
        "data": {"img_size": cfg.img_size},
        "model": model,
        "training": {"learning_rate": cfg.learning_rate, "learning_rate_d": cfg.learning_rate_d},
        "test": {"take_generator_average": cfg.take_generator_average},
        "rendering": {"render_program": list(cfg.render_program)},
    }


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


DEFAULT_OFFICIAL = to_official(GiraffeConfig())
"""The official ``configs/default.yaml`` (its model-shaping keys)."""


def from_official(cfg: dict[str, Any], source: object = "config") -> GiraffeConfig:
    """Build a :class:`GiraffeConfig` from a merged official config dict.

    Keys outside the model (data paths, training schedule, ...) are ignored, as is anything
    the official code ignores; unknown model keywords, wrong types and unsupported kinds are
    errors naming ``source`` and the key.
    """
    if not isinstance(cfg, dict):
        raise file_error(source, "not a GIRAFFE config (expected a mapping at the top level)")
    method = cfg.get("method", "giraffe")
    if method != "giraffe":
        raise file_error(source, f"not a GIRAFFE config (method: {method})")
    model = _mapping(cfg.get("model", {}), "model", source)
    for part, kind in _KINDS.items():
        if model.get(part, kind) != kind:
            raise file_error(
                source, f"model.{part}: only {kind!r} is supported, got {model[part]!r}"
            )
    kwargs: dict[str, Any] = {}
    for section, (attr, cls) in _SECTIONS.items():
        values = _mapping(model.get(section) or {}, f"model.{section}", source)
        if values.get("positional_encoding", "normal") != "normal":
            raise file_error(
                source, f"model.{section}.positional_encoding: only 'normal' is supported"
            )
        kwargs[attr] = _build(cls, values, f"model.{section}", source, _IGNORED.get(section, set()))
    data = _mapping(cfg.get("data", {}), "data", source)
    training = _mapping(cfg.get("training", {}), "training", source)
    test = _mapping(cfg.get("test", {}), "test", source)
    rendering = _mapping(cfg.get("rendering", {}), "rendering", source)
    top = {
        "img_size": data.get("img_size", 64),
        "z_dim": model.get("z_dim", 256),
        "z_dim_bg": model.get("z_dim_bg", 128),
        "take_generator_average": test.get("take_generator_average", True),
        "learning_rate": training.get("learning_rate", 0.0005),
        "learning_rate_d": training.get("learning_rate_d", 0.0001),
        "render_program": rendering.get("render_program", list(GiraffeConfig.render_program)),
    }
    defaults = GiraffeConfig()
    for key, value in top.items():
        kwargs[key] = _coerce(value, getattr(defaults, key), key, source)
    try:
        return GiraffeConfig(**kwargs)
    except ValueError as e:
        raise file_error(source, str(e)) from None


def _mapping(value: Any, key: str, source: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise file_error(source, f"{key}: expected a mapping, got {type(value).__name__}")
    return value


def _build(cls: type, values: dict[str, Any], where: str, source: object, ignored: set[str]) -> Any:
    """``cls(**values)`` with official names mapped, types checked and defaults filled in."""
    defaults = cls()
    names = {f.name for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in values.items():
        name = RENAMES.get(key, key)
        if key in ignored or (key == "z_dim" and name not in names):
            continue  # the official builder passes z_dim to parts that ignore it
        if name not in names:
            known = ", ".join(sorted(_OFFICIAL_NAMES.get(n, n) for n in names))
            raise file_error(source, f"{where}.{key}: unknown key (known: {known})")
        kwargs[name] = _coerce(value, getattr(defaults, name), f"{where}.{key}", source)
    return cls(**kwargs)


def _coerce(value: Any, default: Any, key: str, source: object) -> Any:
    """``value`` converted to the type of ``default``, or a one-line error."""

    def bad(expected: str) -> InrkitError:
        return file_error(source, f"{key}: expected {expected}, got {value!r}")

    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad("a number")
        return float(value)
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple):
            raise bad("a list")
        if key.endswith("render_program"):
            if not all(isinstance(v, str) for v in value):
                raise bad("a list of names")
            return tuple(value)
        # skips is the one list of any length (of layer indices); the rest are fixed vectors.
        kind = int if key.endswith("skips") else float
        if kind is float and len(value) != len(default):
            raise bad(f"a list of {len(default)} numbers")
        items = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise bad("a list of numbers")
            if kind is int and not float(v).is_integer():
                raise bad("a list of whole numbers")
            items.append(kind(v))
        return tuple(items)
    if key.endswith("object_existence_prior"):
        if value is None:
            return None
        if not isinstance(value, list | tuple) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in value
        ):
            raise bad("a list of probabilities")
        return tuple(float(v) for v in value)
    if isinstance(default, str) or default is None:
        if value is not None and not isinstance(value, str):
            raise bad("a string")
        return value
    raise AssertionError(f"no coercion for {key}")  # pragma: no cover - a field type we lack


# ----- files --------------------------------------------------------------------------------
def load_official_dict(path: str | Path) -> dict[str, Any]:
    """The merged official config dict for ``path``, following ``inherit_from``."""
    path = Path(path)
    if not path.exists():
        raise file_error(path, "no such file")
    return read_inherited(path, locate=_find_parent, root=DEFAULT_OFFICIAL)


def _find_parent(path: Path, parent: str) -> Path | dict[str, Any]:
    # Official paths are relative to the repository root; also try the file's own folders.
    candidates = (
        [Path(parent)]
        if Path(parent).is_absolute()
        else [d / parent for d in (path.parent, *path.resolve().parent.parents, Path.cwd())]
    )
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    key = preset_key(Path(parent).stem)
    if key is not None:
        return to_official(PRESETS[key])
    raise file_error(
        path, f"inherit_from: {parent} not found (relative to the file or {Path.cwd()})"
    )


def read_config(path: str | Path) -> GiraffeConfig:
    """A :class:`GiraffeConfig` from an official YAML file (``inherit_from`` followed)."""
    return from_official(load_official_dict(path), source=path)


def resolve_config(spec: GiraffeConfig | str | Path) -> GiraffeConfig:
    """A config from itself, a preset name, or a YAML file path.

    Raises:
        InrkitError: an unknown preset name (listing the known ones) or a bad YAML file.
    """
    if isinstance(spec, GiraffeConfig):
        return spec
    text = str(spec)
    key = preset_key(text)
    if key is not None and not Path(text).is_file():
        return PRESETS[key]
    if Path(text).suffix.lower() in (".yaml", ".yml") or Path(text).is_file():
        return read_config(text)
    raise InrkitError(
        f"unknown GIRAFFE preset {text!r} (known: {', '.join(PRESETS)}; or pass a YAML file)"
    )
