"""What can be synced: a table of entities and their known fields, each with a value check.

A widget's config syncs per setting: each leaf of the config object is its own field, named by
its key path (``config.font_size``, ``config.types.follow.duration_ms``), with its own version
and stamp, so edits to different settings never overwrite each other. A list is one leaf (a
list merged by index would surprise: ``muted_users`` syncs as a whole). An old client's whole
``config`` object is split into such fields on arrival (:func:`expand_patch`).

Known fields are validated (a wrong type is a permanently invalid mutation). Fields this server
does not know are kept and returned as they came, so a newer app's fields survive an older
service; only their names and sizes are checked. Secrets never sync: the app sends an allow-list
of fields, and as a second line the service refuses names that look like credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streampai_cloud.validation import MAX_VALUE_DEPTH, value_depth

PLATFORMS = ("twitch", "youtube", "kick", "facebook")


@dataclass(frozen=True)
class Field:
    """One known field: a check and the words used when it fails."""

    check: Callable[[Any], bool]
    expects: str


def _text(max_len: int, min_len: int = 0) -> Field:
    return Field(
        lambda v: isinstance(v, str) and min_len <= len(v) <= max_len,
        f"a string of {min_len}-{max_len} characters",
    )


_BOOL = Field(lambda v: isinstance(v, bool), "true or false")
_INT = Field(
    lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
    "a 32-bit integer",
)
_OBJECT = Field(lambda v: isinstance(v, dict), "a JSON object")
_ANY = Field(lambda v: True, "any JSON value")
_PLATFORM = Field(lambda v: v in PLATFORMS, f"one of {', '.join(PLATFORMS)}")

ENTITIES: dict[str, dict[str, Field]] = {
    # One configured widget instance (alert box, chat box, ...): what its overlay page shows.
    "widget_config": {
        "widget_type": _text(64, 1),
        "name": _text(200),
        "config": _OBJECT,
        "enabled": _BOOL,
        "sort_order": _INT,
    },
    # A connected platform account's non-secret settings (tokens stay in the OS keyring).
    "account_settings": {
        "platform": _PLATFORM,
        "enabled": _BOOL,
        "login": _text(100),
        "display_name": _text(100),
        "channel_id": _text(100),
        "options": _OBJECT,
    },
    # One app preference as a key/value pair.
    "preference": {
        "key": _text(200, 1),
        "value": _ANY,
    },
}

FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# A setting inside an object field: `config.types.follow.duration_ms` (at most 16 levels).
FIELD_PATH = re.compile(r"^[a-z][a-z0-9_]{0,63}(\.[A-Za-z0-9_-]{1,64}){1,16}$")
MAX_PATH_LENGTH = 300
# Fields whose object value syncs per key path (see the module docstring).
PATH_FIELDS = {"widget_config": ("config",)}
SECRET_NAME = re.compile(r"(token|secret|password|passwd|stream_key|api_key|private_key)")
MAX_FIELDS = 500  # a new alert box is about 200 settings
MAX_PATCH_BYTES = 64 * 1024


def patch_problem(entity: str, patch: Any, patch_size: int) -> str | None:
    """Why `patch` can never be applied to `entity` (None when it can)."""
    known = ENTITIES.get(entity)
    if known is None:
        return f"unknown entity {entity[:64]!r}; expected one of {', '.join(ENTITIES)}"
    if not isinstance(patch, dict):
        return "patch must be a JSON object of field -> value"
    if len(patch) > MAX_FIELDS:
        return f"patch has more than {MAX_FIELDS} fields"
    if patch_size > MAX_PATCH_BYTES:
        return f"patch is larger than {MAX_PATCH_BYTES} bytes"
    for name, value in patch.items():
        if "." in name:
            if name.partition(".")[0] not in PATH_FIELDS.get(entity, ()):
                return f"field {name[:64]!r}: only {entity}'s object fields sync per key path"
            if len(name) > MAX_PATH_LENGTH or not FIELD_PATH.fullmatch(name):
                return (
                    f"field path {name[:64]!r} must be dot-separated keys (letters, digits, _ "
                    f"and -), at most 16 levels and {MAX_PATH_LENGTH} characters"
                )
        elif not FIELD_NAME.fullmatch(name):
            return f"field name {name[:64]!r} must be lower_snake_case, at most 64 characters"
        if SECRET_NAME.search(name):
            return f"field {name!r} looks like a secret; secrets never sync"
        spec = known.get(name)
        if spec is not None and value is not None and not spec.check(value):
            return f"{entity}.{name} must be {spec.expects}"
        if value_depth(value) > MAX_VALUE_DEPTH:
            return f"{entity}.{name} is nested more than {MAX_VALUE_DEPTH} levels deep"
    return None


def flatten(prefix: str, value: Any) -> dict[str, Any]:
    """`{prefix.key.path: leaf}` for every leaf of a JSON object (an empty object is a leaf, so
    it is kept; a list is a leaf)."""
    if not isinstance(value, dict) or not value:
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, item in value.items():
        out.update(flatten(f"{prefix}.{key}", item))
    return out


def expand_patch(entity: str, patch: dict[str, Any]) -> dict[str, Any]:
    """An old client's whole object (`config: {...}`) as the per-setting fields it stands for."""
    objects = PATH_FIELDS.get(entity, ())
    if not any(name in objects and isinstance(v, dict) for name, v in patch.items()):
        return patch
    out: dict[str, Any] = {}
    for name, value in patch.items():
        if name in objects and isinstance(value, dict):
            out.update(flatten(name, value) if value else {})
        else:
            out[name] = value
    return out
