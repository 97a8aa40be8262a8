"""Overlay WebSocket frames: JSON envelopes, serialised and framed once for the wire.

Envelope contract (DESIGN.md §4): ``{"type": ..., "id": ..., "data": ...}``.
"""

from __future__ import annotations

import json
import uuid
from typing import Any


def envelope(kind: str, data: Any, msg_id: str | None = None) -> bytes:
    """A JSON envelope, already framed for the wire."""
    return ws_text_frame(
        json.dumps(
            {"type": kind, "id": msg_id or uuid.uuid4().hex, "data": data},
            separators=(",", ":"),
            ensure_ascii=False,
        )
    )


def ws_text_frame(text: str) -> bytes:
    """One unmasked, uncompressed WebSocket text frame (RFC 6455 §5.2) carrying ``text``."""
    payload = text.encode()
    n = len(payload)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + payload
