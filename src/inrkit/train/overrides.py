"""``--set a.b.c=value`` overrides of a nested config, shared by the training commands."""

from __future__ import annotations

import copy
from typing import Any

import yaml

from inrkit.errors import InrkitError


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply ``--set a.b.c=value`` overrides; values are parsed as YAML scalars/lists."""
    data = copy.deepcopy(data)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InrkitError(f"--set {item!r}: expected key=value")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise InrkitError(f"--set {item!r}: value is not valid YAML") from None
        node = data
        parts = key.split(".")
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[parts[-1]] = value
    return data
