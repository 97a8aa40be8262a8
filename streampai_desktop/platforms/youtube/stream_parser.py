"""Incremental reader for YouTube's server-streamed chat body. Pure: bytes in, objects out.

``liveChat/messages/stream`` answers with a sequence of ``LiveChatMessageListResponse`` objects
over one long HTTP response. Google's streaming endpoints frame them as one JSON array
(``[{…},\\n{…}]``); a proxy or a future change may send them concatenated or one per line. The
reader accepts all three, whatever the network's chunk boundaries are (inside a string, inside a
multi-byte UTF-8 character, between the comma and the next object).

Every chat message passes through here, so the common case stays in C: an object that arrived
whole (YouTube writes each response at once) is decoded by ``json``'s ``raw_decode``, which also
says where it ended. Only an object that arrived in parts is scanned for its end (braces outside
strings): the scan hops from brace to brace, whole strings skipped by one regex match, and keeps
its place between chunks, so a large response trickling in is still read in linear time.
"""

from __future__ import annotations

import codecs
import json
import re
from typing import Any

# Anything but what may separate objects in the three framings: the start of the next object.
_NOT_SEPARATOR = re.compile(r"[^ \t\r\n,\[\]]")
# What lies between two braces: anything but quotes and braces, and whole strings (escapes and
# all). One match hops from brace to brace; it stops early only at a string cut off by the chunk.
_TO_BRACE = re.compile(r'[^"{}]*(?:"[^"\\]*(?:\\.[^"\\]*)*"[^"{}]*)*', re.DOTALL)
# The rest of a string the last chunk cut off: it stops at the closing quote, or before a
# backslash that ends the chunk (what it escapes comes next).
_REST_OF_STRING = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*', re.DOTALL)
# (Both match the empty string, so their ``match`` is never None: hence the ignores below.)


class StreamFormatError(ValueError):
    """The body is not a sequence of JSON objects (an HTML error page from a proxy, say)."""


class ObjectStreamParser:
    """Feed chunks with :meth:`feed`; each call returns the objects completed by that chunk."""

    def __init__(self) -> None:
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._decoder = json.JSONDecoder()
        # An object that arrived in parts: the parts so far, from its "{" (joined once, when its
        # end comes), and where the scan for its end is in the object's structure.
        self._parts: list[str] = []
        self._depth = 0
        self._in_string = False
        self._escaped = False

    @property
    def pending(self) -> bool:
        """Whether part of an object has arrived without its end (a drop here loses it)."""
        return bool(self._parts) or bool(self._utf8.getstate()[0])

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        try:
            text = self._utf8.decode(chunk)
        except UnicodeDecodeError as exc:
            raise StreamFormatError(f"the chat stream is not UTF-8 text: {exc}") from None
        found: list[dict[str, Any]] = []
        i = 0
        if self._parts:  # an object begun in an earlier chunk
            close = self._scan(text, 0)
            if close < 0:
                self._parts.append(text)
                return found
            self._parts.append(text[:close])
            found.append(self._decode("".join(self._parts)))
            self._parts.clear()
            i = close
        while (start := _NOT_SEPARATOR.search(text, i)) is not None:
            i = start.start()
            if text[i] != "{":
                raise StreamFormatError(f"expected a JSON object, got {text[i : i + 40]!r}")
            try:
                value, i = self._decoder.raw_decode(text, i)
            except (ValueError, RecursionError):
                # Most likely the rest is still on its way; or it is not JSON. The scan finds
                # where it ends either way.
                self._depth, self._in_string, self._escaped = 0, False, False
                close = self._scan(text, i)
                if close < 0:
                    self._parts.append(text[i:])
                    return found
                found.append(self._decode(text[i:close]))
                i = close
                continue
            found.append(value)
        return found

    def _scan(self, text: str, i: int) -> int:
        """Read on from ``i`` for the end of the object: the index just past its closing brace,
        or -1 when it is not in ``text`` (the state then says where the next chunk goes on)."""
        end = len(text)
        depth = self._depth
        if self._escaped and i < end:
            i += 1  # the character after a backslash that ended the last chunk
            self._escaped = False
        while i < end:
            if self._in_string:
                i = _REST_OF_STRING.match(text, i).end()  # type: ignore[union-attr]
                if i == end:
                    break
                if text[i] == "\\":  # the chunk ends with a backslash
                    self._escaped = True
                    break
                self._in_string = False
                i += 1
            i = _TO_BRACE.match(text, i).end()  # type: ignore[union-attr]
            if i == end:
                break
            mark = text[i]
            i += 1
            if mark == '"':  # a string that goes on in the next chunk
                self._in_string = True
            elif mark == "{":
                depth += 1
            else:
                depth -= 1
                if depth == 0:
                    return i
        self._depth = depth
        return -1

    @staticmethod
    def _decode(raw: str) -> dict[str, Any]:
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise StreamFormatError(f"a streamed object is not valid JSON: {exc}") from None
        if not isinstance(value, dict):
            raise StreamFormatError("a streamed item is not a JSON object")
        return value
