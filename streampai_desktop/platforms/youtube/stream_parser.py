"""Incremental reader for YouTube's server-streamed chat body. Pure: bytes in, objects out.

``liveChat/messages/stream`` answers with a sequence of ``LiveChatMessageListResponse`` objects
over one long HTTP response. Google's streaming endpoints frame them as one JSON array
(``[{…},\\n{…}]``); a proxy or a future change may send them concatenated or one per line. The
reader accepts all three, whatever the network's chunk boundaries are (inside a string, inside a
multi-byte UTF-8 character, between the comma and the next object): it scans for the end of each
top-level object (braces outside strings) and decodes that slice only, so each byte is scanned
once.
"""

from __future__ import annotations

import json
from typing import Any

_SEPARATORS = frozenset(b" \t\r\n,[]")
_OPEN, _CLOSE, _QUOTE, _BACKSLASH = ord("{"), ord("}"), ord('"'), ord("\\")


class StreamFormatError(ValueError):
    """The body is not a sequence of JSON objects (an HTML error page from a proxy, say)."""


class ObjectStreamParser:
    """Feed chunks with :meth:`feed`; each call returns the objects completed by that chunk."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pos = 0  # next byte to scan
        self._start = -1  # where the current object began; -1 between objects
        self._depth = 0
        self._in_string = False
        self._escaped = False

    @property
    def pending(self) -> bool:
        """Whether part of an object has arrived without its end (a drop here loses it)."""
        return self._start >= 0

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        self._buffer += chunk
        found: list[dict[str, Any]] = []
        buf = self._buffer
        i = self._pos
        end = len(buf)
        while i < end:
            byte = buf[i]
            if self._start < 0:
                if byte == _OPEN:
                    self._start, self._depth = i, 1
                elif byte not in _SEPARATORS:
                    raise StreamFormatError(
                        f"expected a JSON object, got {bytes(buf[i : i + 40])!r}"
                    )
            elif self._in_string:
                if self._escaped:
                    self._escaped = False
                elif byte == _BACKSLASH:
                    self._escaped = True
                elif byte == _QUOTE:
                    self._in_string = False
            elif byte == _QUOTE:
                self._in_string = True
            elif byte == _OPEN:
                self._depth += 1
            elif byte == _CLOSE:
                self._depth -= 1
                if self._depth == 0:
                    found.append(self._decode(bytes(buf[self._start : i + 1])))
                    self._start = -1
            i += 1
        # Drop what is consumed, keep the unfinished object (its offsets move with it).
        keep_from = self._start if self._start >= 0 else end
        del buf[:keep_from]
        if self._start >= 0:
            self._start = 0
        self._pos = end - keep_from
        return found

    @staticmethod
    def _decode(raw: bytes) -> dict[str, Any]:
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise StreamFormatError(f"a streamed object is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise StreamFormatError("a streamed item is not a JSON object")
        return value
