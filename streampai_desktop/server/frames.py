"""Overlay WebSocket frames: JSON envelopes, serialised and framed once for the wire.

Envelope contract (DESIGN.md §4): ``{"type": ..., "id": ..., "data": ...}``.

Serialised with orjson: every chat message passes through here, and orjson writes the UTF-8 bytes
the frame carries in one step, several times faster than ``json.dumps`` + ``str.encode``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import orjson


def envelope(kind: str, data: Any, msg_id: str | None = None) -> bytes:
    """A JSON envelope, already framed for the wire."""
    return ws_frame(to_json_bytes({"type": kind, "id": msg_id or uuid.uuid4().hex, "data": data}))


def to_json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON of ``value`` for a page.

    orjson differs from ``json.dumps`` in what it refuses (dict keys that are not ``str``, ints
    beyond 64 bits, lone surrogates in strings) and in writing NaN/Infinity as ``null`` (which
    ``JSON.parse`` in the page accepts, unlike ``NaN``). What it refuses goes through
    ``json.dumps`` instead, as before: ``ensure_ascii`` there keeps a lone surrogate an escape,
    so the frame stays valid UTF-8, which a browser demands of a text frame.
    """
    try:
        return orjson.dumps(value)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(value, separators=(",", ":")).encode()


def ws_frame(payload: bytes) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2) carrying ``payload``
    (UTF-8 text)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload
