"""Small request-body validators: each raises a 400 ApiError that names the offending field."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from aiohttp import web

from streampai_cloud.errors import ApiError

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}$")
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_]{2,29}$")
# Control characters other than newline and tab never belong in names or messages.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_request", f"{field}: {message}", field=field)


async def read_object(request: web.Request) -> dict[str, Any]:
    """The JSON object body of a request, or a 400 explaining what is wrong with it."""
    try:
        body = await request.json(loads=_strict_loads)
    except ValueError:
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _strict_loads(text: str) -> Any:
    # NaN and Infinity are not JSON; PostgreSQL's jsonb refuses them too.
    def refuse(name: str) -> Any:
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


def string(
    body: dict[str, Any],
    field: str,
    *,
    min_len: int = 0,
    max_len: int,
    required: bool = True,
    controls_ok: bool = False,
) -> str | None:
    """A string field; control characters (bar newline and tab) are refused unless `controls_ok`
    (passwords are hashed, never stored or shown, so anything goes there)."""
    value = body.get(field)
    if value is None:
        if required:
            raise invalid(field, "is required")
        return None
    if not isinstance(value, str):
        raise invalid(field, "must be a string")
    if not min_len <= len(value) <= max_len:
        raise invalid(field, f"must be {min_len} to {max_len} characters")
    if not controls_ok and CONTROL_RE.search(value):
        raise invalid(field, "must not contain control characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # An unpaired surrogate (legal in JSON text, not in UTF-8) cannot be stored or hashed.
        raise invalid(field, "must be valid Unicode text") from None
    return value


def required_string(
    body: dict[str, Any], field: str, *, min_len: int = 0, max_len: int, controls_ok: bool = False
) -> str:
    value = string(body, field, min_len=min_len, max_len=max_len, controls_ok=controls_ok)
    assert value is not None
    return value


def as_int(value: Any) -> int | None:
    """`value` as an int when JSON means an integer (JSON Schema counts 3.0 as one), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def integer(body: dict[str, Any], field: str, *, minimum: int, maximum: int) -> int:
    value = as_int(body.get(field))
    if value is None:
        raise invalid(field, "must be an integer")
    if not minimum <= value <= maximum:
        raise invalid(field, f"must be between {minimum} and {maximum}")
    return value


def parse_uuid(value: Any, field: str) -> uuid.UUID:
    if not isinstance(value, str):
        raise invalid(field, "must be a UUID string")
    try:
        return uuid.UUID(value)
    except ValueError:
        raise invalid(field, "must be a UUID") from None


def query_int(request: web.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, "must be an integer") from None
    if not minimum <= value <= maximum:
        raise invalid(name, f"must be between {minimum} and {maximum}")
    return value
