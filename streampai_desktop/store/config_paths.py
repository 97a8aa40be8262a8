"""A widget config as per-setting sync sees it: one value per key path.

Each leaf of the config object is one synced field named ``config.<key path>``
(``config.font_size``, ``config.types.follow.duration_ms``); a list is one leaf (``muted_users``
syncs whole: a list merged by index would surprise) and so is an empty object. A setting that
was removed is sent as ``None`` ("no value": the widget's default applies), which is why a
config never stores ``None`` itself. The service applies each field on its own, so edits to
different settings of one widget on two computers both survive.
"""

from __future__ import annotations

import copy
from typing import Any

PREFIX = "config"


def flatten(config: dict[str, Any], prefix: str = PREFIX) -> dict[str, Any]:
    """``{config.key.path: leaf}`` for every leaf of ``config``."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """The fields that turn ``old`` into ``new``: changed and added leaves, and ``None`` for a
    leaf that is gone."""
    before, after = flatten(old), flatten(new)
    out = {path: value for path, value in after.items() if before.get(path, _GONE) != value}
    out.update({path: None for path in before if path not in after})
    return out


def is_setting(name: str) -> bool:
    return name.startswith(PREFIX + ".")


def apply(
    config: dict[str, Any], fields: dict[str, Any], stamps: dict[str, str] | None = None
) -> dict[str, Any]:
    """``config`` with the setting fields in ``fields`` applied (a copy; other fields ignored).
    Removals go first, so a setting that became an object (or stopped being one) lands right
    whatever order its fields come in; then the values, the later-stamped last (where two
    computers disagreed on a setting's shape, the later edit shapes it)."""
    out = copy.deepcopy(config)
    stamps = stamps or {}
    settings = sorted(
        ((name, value) for name, value in fields.items() if is_setting(name)),
        key=lambda item: (stamps.get(item[0], ""), item[0]),
    )
    for name, value in settings:
        if value is None:
            _remove(out, name.split(".")[1:])
    for name, value in settings:
        if value is not None:
            _set(out, name.split(".")[1:], copy.deepcopy(value))
    return out


def value_at(config: dict[str, Any], name: str) -> Any:
    """The value of setting ``name`` (``config.a.b``) in ``config``; None when it has none."""
    node: Any = config
    for key in name.split(".")[1:]:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


_GONE: Any = object()


def _set(node: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        if not isinstance(node.get(key), dict):
            node[key] = {}
        node = node[key]
    node[keys[-1]] = value


def _remove(node: dict[str, Any], keys: list[str]) -> None:
    for key in keys[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            return
        node = child
    node.pop(keys[-1], None)
