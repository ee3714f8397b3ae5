"""YAML config files with ``inherit_from``, as both official code bases read them.

The official LIIF and GIRAFFE loaders read a file, first load the file its ``inherit_from``
names, and merge the file on top of it key by key (nested mappings merged, anything else
replaced). :func:`read_inherited` does that once for both methods; where the parent is looked
up, and what a file without ``inherit_from`` starts from, are the caller's. YAML is read with
``yaml.safe_load``, so tags cannot construct Python objects. Every problem is one
:class:`~inrkit.errors.InrkitError` line naming the file.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from inrkit.errors import file_error

INHERIT = "inherit_from"

# (the file, its inherit_from value) -> the parent file, or the parent's merged dict itself.
Locate = Callable[[Path, str], "Path | dict[str, Any]"]


def read_yaml(path: str | Path) -> dict[str, Any]:
    """One YAML file as a dict (``{}`` when empty); errors name the file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise file_error(path, "no such config file") from None
    except IsADirectoryError:
        raise file_error(path, "is a directory, expected a YAML config") from None
    except (OSError, UnicodeDecodeError) as e:
        raise file_error(path, f"cannot read config ({type(e).__name__})") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(e, "problem", None) or type(e).__name__
        raise file_error(path, f"not valid YAML{where} ({problem})") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise file_error(path, f"a config must be a mapping of keys, got {type(data).__name__}")
    return data


def merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Recursive dict update (``update`` wins) into a new dict, as the official loaders do."""
    out = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def beside_file(path: Path, parent: str) -> Path:
    """Where LIIF's official loader looks for ``inherit_from``: relative to the file."""
    return (path.parent / parent).resolve()


def read_inherited(
    path: str | Path,
    *,
    locate: Locate = beside_file,
    root: dict[str, Any] | None = None,
    _seen: tuple[Path, ...] = (),
) -> dict[str, Any]:
    """The merged dict of ``path`` and the chain of files it inherits from.

    Args:
        path: The YAML file.
        locate: Finds the parent of a file: a path to read (and follow in turn), or the
            parent's merged dict (e.g. a built-in preset).
        root: What a file without ``inherit_from`` is merged onto (default: nothing).

    Raises:
        InrkitError: a file cannot be read or parsed, ``inherit_from`` is not a path, or the
            chain comes back to a file already in it.
    """
    path = Path(path)
    data = read_yaml(path)
    parent = data.pop(INHERIT, None)
    if parent is None:
        return merge(root or {}, data)
    if not isinstance(parent, str):
        raise file_error(path, f"{INHERIT}: expected a path, got {parent!r}")
    seen = (*_seen, path.resolve())
    found = locate(path, parent)
    if isinstance(found, dict):
        return merge(found, data)
    if found.resolve() in seen:
        raise file_error(path, f"{INHERIT}: {parent} inherits from itself")
    return merge(read_inherited(found, locate=locate, root=root, _seen=seen), data)
