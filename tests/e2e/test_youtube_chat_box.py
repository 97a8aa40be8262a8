"""The Chat Box in Chromium with a (fake) YouTube channel: a Super Chat and a Super Sticker show
as cards in YouTube's colours for their tier, and a jewel gift whose combo count rises stays one
line in chat whose count goes up."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.e2e.test_overlays import poll
from tests.e2e.test_youtube_channel import CHAT_IDS, connect_channel
from tests.e2e.test_youtube_channel import channel as channel  # the fixture
from tests.fakes.youtube import load_payload, text_message

pytestmark = pytest.mark.e2e

# What Chromium computed for a line's card (its header) and for its comment (its body).
CARD_COLOURS = """(id) => {
  const line = document.querySelector(`[data-testid=chat-message][data-event-id="${id}"]`);
  if (!line) return null;
  const body = line.querySelector('[data-testid=chat-text]');
  return {
    header: getComputedStyle(line).backgroundColor,
    body: body && getComputedStyle(body).backgroundColor,
    text: getComputedStyle(line).color,
    amount: line.querySelector('[data-testid=chat-paid-amount]').innerText,
    comment: body && body.innerText,
  };
}"""
NOTICES = """() => [...document.querySelectorAll('[data-testid=chat-message][data-kind=notice]')]
  .map((m) => [m.getAttribute('data-event-id'), m.innerText.replace(/\\s+/g, ' ').trim()])"""


def gift(combo: int) -> dict:
    item = load_payload("gift")
    item["id"] = "LCC.gift-combo"
    item["snippet"]["giftDetails"]["comboCount"] = combo
    return item


async def test_super_chats_in_tier_colours_and_a_gift_combo_as_one_rising_line(
    channel, artifacts_dir: Path
) -> None:
    stage, fake = channel
    app = stage.app
    await connect_channel(app, fake)
    config = copy.deepcopy(app.widgets["chat_box"].config)
    config["show_notices"] = True  # off by default: the gift line is a platform notice
    await app.widgets.save_config("chat_box", config)
    chat = await stage.open("chat_box", 480, 600)

    await fake.post(text_message("first!", message_id="LCC.first", author="Ann"))
    await fake.post_recorded("super_chat")  # tier 2: light blue
    red = load_payload("super_chat")
    red["id"], red["snippet"]["superChatDetails"]["tier"] = "LCC.superchat-red", 7
    red["snippet"]["superChatDetails"]["amountMicros"] = "100000000"
    await fake.post(red)
    await fake.post_recorded("super_sticker")  # tier 1: blue, the sticker's alt text

    light_blue = await poll(chat, CARD_COLOURS, "LCC.superchat-1", seconds=10)
    assert light_blue == {
        "header": "rgb(0, 184, 212)",  # #00B8D4
        "body": "rgb(0, 229, 255)",  # #00E5FF
        "text": "rgb(0, 0, 0)",
        "amount": "€5.00",
        "comment": "keep it up!",
    }
    assert await poll(chat, CARD_COLOURS, "LCC.superchat-red", seconds=10) == {
        "header": "rgb(208, 0, 0)",  # #D00000
        "body": "rgb(230, 33, 23)",  # #E62117
        "text": "rgb(255, 255, 255)",
        "amount": "€100.00",
        "comment": "keep it up!",
    }
    sticker = await poll(chat, CARD_COLOURS, "LCC.supersticker-1", seconds=10)
    assert sticker is not None
    assert (sticker["header"], sticker["amount"], sticker["comment"]) == (
        "rgb(21, 101, 192)",  # #1565C0
        "$2.00",
        "Cat eating pizza",
    )

    # A jewel gift combo: YouTube resends the message (same id) as the count rises; one line.
    await fake.post(gift(1))
    first = await poll(chat, f"() => ({NOTICES})().length && ({NOTICES})()", seconds=10)
    assert first == [["LCC.gift-combo", "Jewel Fan sent Rose"]]
    for combo in (2, 2, 3, 5):
        await fake.post(gift(combo))
    risen = await poll(
        chat, f"() => ({NOTICES})().some(([, t]) => t.endsWith('x5')) && ({NOTICES})()", seconds=10
    )
    assert risen == [["LCC.gift-combo", "Jewel Fan sent Rose x5"]]
    await fake.post(text_message("after the gift", message_id="LCC.after", author="Ann"))
    assert await poll(chat, f"() => ({CHAT_IDS})().includes('LCC.after')", seconds=10)
    assert await chat.evaluate(CHAT_IDS) == [
        "LCC.first",
        "LCC.superchat-1",
        "LCC.superchat-red",
        "LCC.supersticker-1",
        "LCC.gift-combo",
        "LCC.after",
    ]
    await chat.screenshot(path=str(artifacts_dir / "youtube_chat_box_super_chats.png"))

    # Switched off in the settings, the cards leave the chat box at once; chat stays.
    config["show_paid_messages"] = False
    await app.widgets.save_config("chat_box", config)
    gone = await poll(chat, f"() => !({CHAT_IDS})().includes('LCC.superchat-1')", seconds=10)
    assert gone, "the Super Chat is still shown with show_paid_messages off"
    assert await chat.evaluate(CHAT_IDS) == ["LCC.first", "LCC.gift-combo", "LCC.after"]
    assert not chat.errors
