"""Widget config schemas declared as data: each field's kind, label, default and limits.

One table per widget drives three things: validation (a clear message per bad value), the
generated settings form in the app, and defaults for new instances and for stored configs that
fail validation (a bad stored value falls back to its default with a warning; the overlay is never
left blank).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
COLOR_ALPHA = re.compile(r"^#[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$")
MEDIA_REF = re.compile(
    r"^(builtin/[a-z0-9_-]{1,60}\.[a-z0-9]{2,5}|user/[0-9a-f]{64}\.[a-z0-9]{2,5})$"
)
LOGIN = re.compile(r"^[A-Za-z0-9_.-]{1,50}$")
MAX_TEXT = 500
# Control characters (other than tab and newline) cannot be shown, and PostgreSQL's JSON type
# cannot store NUL, so a synced config with one would be refused by the account service.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def clean_name(name: str, max_len: int = 200) -> str:
    """A display name safe to show and to sync: no control characters, trimmed, bounded."""
    return CONTROL.sub("", name).strip()[:max_len]


FONTS = ("Inter", "Roboto", "Montserrat", "Bangers", "Press Start 2P", "Permanent Marker")


@dataclass(frozen=True, slots=True)
class Field:
    """One setting. ``kind`` picks the validator and the form editor."""

    key: str
    label: str
    kind: str  # bool | int | choice | color | color_alpha | text | template | media | logins
    default: Any
    minimum: int | None = None
    maximum: int | None = None
    choices: tuple[str, ...] = ()
    choice_labels: tuple[str, ...] = ()
    media_kinds: tuple[str, ...] = ()  # for media: "image", "video", "sound"
    help: str = ""
    suffix: str = ""  # the stored unit, e.g. "ms", "px", "bits"
    # How the form shows an int (the stored value never changes): "" as stored, with ``suffix``;
    # "seconds" for a duration stored in ms (6000 is shown as "6 s"); "money" for an amount in
    # minor units (500 is shown as "$5.00" in the streamer's currency).
    display: str = ""

    def describe(self, value: int) -> str:
        """``value`` (as stored) the way the streamer reads it: "6 s", "5.00", "500 bits"."""
        if self.display == "seconds":
            return f"{format_seconds(value)} s"
        if self.display == "money":
            return f"{value / 100:,.2f}"
        unit = self.suffix
        return f"{value:,}{unit}" if unit == "%" else f"{value:,}{unit and ' ' + unit}"


def format_seconds(ms: int | float) -> str:
    """Milliseconds as seconds for people: 6000 → "6", 2500 → "2.5", 1250 → "1.25"."""
    return f"{ms / 1000:.3f}".rstrip("0").rstrip(".")


class ConfigError(ValueError):
    """A config value the widget cannot use; ``problems`` maps field path → message."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))


def check_value(f: Field, value: Any) -> Any:
    """The cleaned value, or ValueError with a message for the streamer."""
    kind = f.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be on or off")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a number (not NaN or Infinity)")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("must be a whole number")
            value = int(value)
        if f.minimum is not None and value < f.minimum:
            raise ValueError(f"must be at least {f.describe(f.minimum)}")
        if f.maximum is not None and value > f.maximum:
            raise ValueError(f"must be at most {f.describe(f.maximum)}")
        return value
    if kind == "choice":
        if value not in f.choices:
            raise ValueError(f"must be one of: {', '.join(f.choices)}")
        return value
    if kind in ("color", "color_alpha"):
        pattern = COLOR if kind == "color" else COLOR_ALPHA
        if not isinstance(value, str) or not (pattern.match(value) or value in f.choices):
            extra = f" or {', '.join(f.choices)}" if f.choices else ""
            raise ValueError(f"must be a colour like #ff8800{extra}")
        return value.lower()
    if kind in ("text", "template"):
        if not isinstance(value, str):
            raise ValueError("must be text")
        if len(value) > MAX_TEXT:
            raise ValueError(f"must be at most {MAX_TEXT} characters")
        if CONTROL.search(value):
            raise ValueError("must not contain control characters")
        if kind == "template" and not value.strip():
            raise ValueError("must not be empty")
        return value
    if kind == "media":
        if value == "":
            return value
        if not isinstance(value, str) or not MEDIA_REF.match(value):
            raise ValueError("must be a file picked in the app")
        return value
    if kind == "logins":
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of names")
        cleaned = []
        for name in value:
            name = name.strip().lstrip("@").lower()
            if not name:
                continue
            if not LOGIN.match(name):
                raise ValueError(f"{name!r} is not a valid user name")
            if name not in cleaned:
                cleaned.append(name)
        return cleaned
    raise AssertionError(f"unknown field kind {kind}")


def defaults_of(fields: Sequence[Field]) -> dict[str, Any]:
    return {f.key: (list(f.default) if isinstance(f.default, list) else f.default) for f in fields}


def validate_fields(
    fields: Sequence[Field], values: Mapping[str, Any], *, path: str = "", partial: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """(cleaned values, problems). Missing and bad values take defaults unless ``partial``; unknown
    keys are kept (a newer version's setting survives a round trip through an older one)."""
    cleaned: dict[str, Any] = {}
    problems: dict[str, str] = {}
    known = {f.key for f in fields}
    for f in fields:
        if f.key not in values:
            if not partial:
                cleaned[f.key] = defaults_of([f])[f.key]
            continue
        try:
            cleaned[f.key] = check_value(f, values[f.key])
        except ValueError as exc:
            problems[f"{path}{f.key}"] = f"{f.label} {exc}"
            if not partial:  # the default stands in, so a bad value never blanks the overlay
                cleaned[f.key] = defaults_of([f])[f.key]
    for key, value in values.items():
        if key not in known:
            if has_non_finite(value):  # not JSON: nothing could save or sync it
                problems[f"{path}{key}"] = f"{key} must not hold NaN or Infinity"
                continue
            cleaned[key] = value
    return cleaned, problems


def has_non_finite(value: Any) -> bool:
    """Whether ``value`` holds NaN or ±Infinity anywhere (numbers JSON does not have)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, Mapping):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


# How a generated form groups its fields: (section title, field keys). Keys not listed land in a
# last "More" section, so a newly added field shows up even before it is placed.
Sections = tuple[tuple[str, tuple[str, ...]], ...]
