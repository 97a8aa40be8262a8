"""The streamed chat body reader: any framing, split anywhere, gives the same objects."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streampai_desktop.platforms.youtube.stream_parser import ObjectStreamParser, StreamFormatError
from tests.fakes.youtube import PAYLOADS

# JSON values with the characters that trip naive readers: braces and quotes inside strings,
# backslashes, and multi-byte UTF-8 that a chunk boundary can cut in half.
_text = st.text(alphabet=st.sampled_from('ab{}[]",\\\n é🎉€'), max_size=12)
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=10,
)
_objects = st.lists(st.dictionaries(_text, _json, max_size=4), min_size=1, max_size=6)


def frame(objects: list[dict[str, Any]], framing: str) -> bytes:
    parts = [json.dumps(o, ensure_ascii=False) for o in objects]
    if framing == "concatenated":
        return "".join(parts).encode()
    if framing == "ndjson":
        return "".join(p + "\n" for p in parts).encode()
    return ("[" + ",\n".join(parts) + "]").encode()


def read_in_pieces(body: bytes, cuts: list[int]) -> list[dict[str, Any]]:
    parser = ObjectStreamParser()
    out: list[dict[str, Any]] = []
    edges = sorted({c % (len(body) + 1) for c in cuts} | {0, len(body)})
    for a, b in itertools.pairwise(edges):
        out.extend(parser.feed(body[a:b]))
    assert not parser.pending
    return out


@settings(max_examples=300, deadline=None)
@given(
    objects=_objects,
    framing=st.sampled_from(["concatenated", "ndjson", "array"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
)
def test_any_split_of_any_framing_yields_the_same_objects(
    objects: list[dict[str, Any]], framing: str, cuts: list[int]
) -> None:
    assert read_in_pieces(frame(objects, framing), cuts) == objects


def test_byte_by_byte_recorded_responses() -> None:
    items = [json.loads(p.read_text("utf-8")) for p in sorted(PAYLOADS.glob("*.json"))]
    responses = [{"nextPageToken": f"p{i}", "items": [item]} for i, item in enumerate(items)]
    body = frame(responses, "array")
    parser = ObjectStreamParser()
    out = [obj for i in range(len(body)) for obj in parser.feed(body[i : i + 1])]
    assert out == responses


def test_a_drop_mid_object_leaves_it_pending_and_yields_nothing_partial() -> None:
    parser = ObjectStreamParser()
    body = frame([{"a": 1}, {"b": "two"}], "ndjson")
    assert parser.feed(body[:-6]) == [{"a": 1}]
    assert parser.pending


@pytest.mark.parametrize("junk", [b"<html>502 Bad Gateway</html>", b'{"a": 1}\nnull'])
def test_something_that_is_not_objects_is_a_clear_error(junk: bytes) -> None:
    with pytest.raises(StreamFormatError, match="expected a JSON object"):
        ObjectStreamParser().feed(junk)
