"""Apply a suggestion's `usage_patch` to a usage file's data, so its saving can be checked (and its
change made) on the file itself."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def apply_patch(usage: Mapping[str, Any], patch: list[dict[str, Any]]) -> dict[str, Any]:
    """A copy of `usage` with each {"op": "set"|"remove", "path": "a.b.c", "value": ...} applied."""
    out: dict[str, Any] = copy.deepcopy(dict(usage))
    for step in patch:
        *parents, leaf = str(step["path"]).split(".")
        node: Any = out
        for key in parents:
            node = node.setdefault(key, {})
        if step.get("op", "set") == "remove":
            node.pop(leaf, None)
        else:
            node[leaf] = step["value"]
    return out
