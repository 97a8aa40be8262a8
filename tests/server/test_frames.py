"""Overlay frames (server/frames.py): what a page reads is the JSON the app meant to send.

Frames are serialised with orjson; these pin what the pages rely on: the same JSON meaning as
``json.dumps`` gave, strict JSON a browser's ``JSON.parse`` accepts, valid UTF-8 text frames, and
the frame lengths of RFC 6455 for small, medium and large messages.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from streampai_desktop.core.events import ChatMessage, Fragment, Platform, User
from streampai_desktop.server.frames import envelope

from .conftest import RunningServer
from .test_websocket import receive, subscribe


def _refuse(constant: str) -> Any:
    raise AssertionError(f"{constant} is not JSON: a page's JSON.parse refuses it")


def read_frame(frame: bytes) -> Any:
    """The envelope a page gets from ``frame``: checks the header, the UTF-8, the JSON."""
    assert frame[0] == 0x81, "one final text frame"
    size, start = frame[1], 2
    if size == 126:
        size, start = int.from_bytes(frame[2:4], "big"), 4
    elif size == 127:
        size, start = int.from_bytes(frame[2:10], "big"), 10
    payload = frame[start:]
    assert len(payload) == size
    return json.loads(payload.decode("utf-8"), parse_constant=_refuse)


def test_a_chat_message_reads_as_it_did_with_the_standard_library() -> None:
    event = ChatMessage(
        platform=Platform.TWITCH,
        id="m1",
        user=User("1", "zoë", "Zoë 🌸", "#FF00FF"),
        text="こんにちは 👋 <b>not html</b>",
        fragments=(Fragment("text", "こんにちは 👋 "), Fragment("emote", "Kappa", emote_id="25")),
        bits=100,
    )
    data = {"topic": "chat", "event": event.to_json()}
    assert read_frame(envelope("event", data, event.id)) == {
        "type": "event",
        "id": "m1",
        "data": json.loads(json.dumps(data)),
    }


@pytest.mark.parametrize(
    ("data", "page_reads"),
    [
        # orjson refuses these; they still reach the page as json.dumps wrote them.
        ({1: "a", None: "b"}, {"1": "a", "null": "b"}),
        ({"big": 2**70}, {"big": 2**70}),
        ({"text": "half an emoji \ud83d"}, {"text": "half an emoji \ud83d"}),
        # NaN would be a page's JSON.parse error (json.dumps wrote NaN): it arrives as null.
        ({"ratio": float("nan")}, {"ratio": None}),
    ],
)
def test_data_orjson_refuses_still_reaches_the_page(data: Any, page_reads: Any) -> None:
    assert read_frame(envelope("config", data, "c1"))["data"] == page_reads


@pytest.mark.parametrize("text_size", [10, 200, 70_000])
def test_frame_lengths_for_small_medium_and_large_messages(text_size: int) -> None:
    assert read_frame(envelope("event", {"text": "é" * text_size}))["data"]["text"] == (
        "é" * text_size
    )


async def test_a_long_chat_message_with_a_broken_emoji_reaches_the_chat_box(
    running: RunningServer,
) -> None:
    """Through the real server and a real WebSocket client: the 8-byte length form and a lone
    surrogate (half an emoji, which a chat client can send) arrive intact."""
    chat_box = await subscribe(running, "chat_box")
    await receive(chat_box), await receive(chat_box)  # hello, config
    text = "long " * 20_000 + "\ud83d"
    await running.ingest.submit(ChatMessage(platform=Platform.TWITCH, id="c1", text=text))
    message = await receive(chat_box)
    assert message["data"]["event"]["text"] == text
    await chat_box.close()
