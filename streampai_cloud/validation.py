"""Reading request input safely, and small validators that name the offending field.

`read_object` is the one JSON body reader every endpoint uses (and `loads` the one parser the
live socket uses): whatever a careless client or an attacker sends, it answers with a 4xx in the
API's error shape or returns a plain JSON object within the limits below. Nothing it returns can
crash a handler later (a RecursionError on a deep value, PostgreSQL refusing a non-finite
number, a huge int that Python refuses to print).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from typing import Any

from aiohttp import web

from streampai_cloud.errors import ApiError

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{1,63}$")
HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9_]{2,29}$")
# Control characters other than newline and tab never belong in names or messages.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Hard limits on every JSON body (and live-socket message). Stated in the OpenAPI document.
MAX_BODY_BYTES = 2 * 1024 * 1024  # a full push batch of 500 small patches fits comfortably
MAX_DEPTH = 64  # nesting of arrays and objects, the outermost object counting as 1
# Longer than any field may be (sync patches are at most 64 KiB serialised), so a string that
# only breaks a field's own limit is still judged by that field (a sync mutation is then
# `rejected` and consumes its seq instead of blocking the device's outbox with a 400).
MAX_STRING_CHARS = 256 * 1024  # each string and object key, in characters
# Integers: any size a JSON value may sensibly have (fields that go into a bigint column check
# their own range). The cap keeps int() cheap and every value printable again: Python refuses
# to turn ints of more than 4300 digits into text, which would fail the answer, not the request.
MAX_INT_DIGITS = 100
# A synced value (one field of a patch) may nest this deep; deeper is a `rejected` mutation.
MAX_VALUE_DEPTH = 32
# JSON is UTF-8 (RFC 8259 §8.1); ASCII is a subset. Anything else is refused, not guessed at.
UTF8_CHARSETS = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})

LIMITS = {
    "max_body_bytes": MAX_BODY_BYTES,
    "max_depth": MAX_DEPTH,
    "max_string_chars": MAX_STRING_CHARS,
    "max_integer_digits": MAX_INT_DIGITS,
    "numbers": "finite (no NaN, Infinity or literals that overflow to infinity, e.g. 1e400)",
    "charset": "utf-8",
    "max_sync_value_depth": MAX_VALUE_DEPTH,
}


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid_request", f"{field}: {message}", field=field)


def _number_error(what: str) -> ApiError:
    return ApiError(
        400,
        "invalid_number",
        f"{what} is out of range: numbers must be finite, and integers at most "
        f"{MAX_INT_DIGITS} digits long.",
    )


def _number_text(text: str) -> str:
    return f"The number {text if len(text) <= 40 else f'{text[:20]}... ({len(text)} digits)'}"


class _Refused(Exception):
    """Raised inside the parser; carries the error the reader answers with."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


def _parse_constant(text: str) -> Any:
    # NaN, Infinity and -Infinity are not JSON, though Python's parser takes them by default.
    raise _Refused(_number_error(_number_text(text)))


_INT_LIMIT = 10**MAX_INT_DIGITS


def _check_shape(value: Any) -> None:
    """Depth, string lengths and numbers, checked level by level without recursion (the value
    may nest ~1000 deep). Numbers are checked here rather than in the parser's hooks, which
    would cost a Python call per number: this walk is cheaper (≈0.1 s for a 2 MiB body of
    nothing but small numbers)."""
    level: list[Any] = [[value]]  # a wrapper at depth 0, so a bare scalar is checked too
    children: Any
    depth = 0
    while level:
        if depth > MAX_DEPTH:
            raise _too_deep()
        deeper = []
        for item in level:
            if type(item) is dict:
                for key in item:
                    if len(key) > MAX_STRING_CHARS:
                        raise _too_long()
                children = item.values()
            else:
                children = item
            for child in children:
                kind = type(child)
                if kind is str:
                    if len(child) > MAX_STRING_CHARS:
                        raise _too_long()
                elif kind is dict or kind is list:
                    deeper.append(child)
                elif kind is float:
                    if child in _INFINITIES:  # a literal such as 1e400 overflowed
                        raise _number_error("A number that overflows to infinity (like 1e400)")
                elif kind is int and not -_INT_LIMIT < child < _INT_LIMIT:
                    raise _number_error(_number_text(str(child)))
        level = deeper
        depth += 1


_INFINITIES = (math.inf, -math.inf)


def _too_long() -> ApiError:
    return ApiError(
        400,
        "string_too_long",
        f"A string in the body is longer than {MAX_STRING_CHARS} characters.",
    )


def _too_deep() -> ApiError:
    return ApiError(400, "json_too_deep", f"The JSON is nested more than {MAX_DEPTH} levels deep.")


def loads(text: str) -> Any:
    """Parse JSON text within the limits above, or raise the ApiError that says why not."""
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte order mark may be ignored (RFC 8259 §8.1)
    try:
        value = json.loads(text, parse_constant=_parse_constant)
    except _Refused as exc:
        raise exc.error from None
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            # Python refuses to read ints of more than 4300 digits at all.
            raise _number_error("An integer of thousands of digits") from None
        raise ApiError(400, "invalid_json", "The request body is not valid JSON.") from None
    _check_shape(value)
    return value


def value_depth(value: Any) -> int:
    """How deeply `value` nests arrays and objects (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            stack.extend(
                (c, depth + 1) for c in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def _refuse_charset(request: web.Request) -> None:
    charset = request.charset
    if charset is not None and charset.strip().strip('"').lower() not in UTF8_CHARSETS:
        raise ApiError(
            415,
            "unsupported_charset",
            "Send the JSON body as UTF-8 (charset=utf-8 or no charset).",
        )


async def read_object(request: web.Request) -> dict[str, Any]:
    """The JSON object body of a request, or a 4xx explaining what is wrong with it."""
    _refuse_charset(request)
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise _too_large()
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large() from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "The request body is not valid UTF-8.") from None
    if not text.strip():
        raise ApiError(400, "invalid_json", "The request body is empty; send a JSON object.")
    body = loads(text)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _too_large() -> ApiError:
    return ApiError(
        413, "payload_too_large", f"The request body is larger than {MAX_BODY_BYTES} bytes."
    )


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


_QUERY_INT = re.compile(r"-?[0-9]{1,20}")


def query_int(request: web.Request, name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    # ASCII digits only: int() would also take "1_0", " 5 " and other scripts' digits.
    if not _QUERY_INT.fullmatch(raw):
        raise invalid(name, "must be an integer")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise invalid(name, f"must be between {minimum} and {maximum}")
    return value
