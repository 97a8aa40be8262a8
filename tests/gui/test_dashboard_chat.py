"""The Dashboard's chat as a streamer's dashboard shows it (issue #11): names in their colours
(readable in either theme), platform icons and badges, emotes as images — as the Chat Box overlay
draws them — and a message's text only ever as text. The send box still sends.

Messages arrive the way a platform's do (the ingest path); emote images come through the app's
emote cache from a local stand-in for the platform's CDN, as the overlay's do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import web
from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QImage,
    QPalette,
    QTextDocument,
    QTextFragment,
)
from PySide6.QtWidgets import QScrollArea

from streampai_desktop.core.events import Badge, ChatMessage, Fragment, Platform, User
from streampai_desktop.ui.pages.dashboard_chat import ChatView
from streampai_desktop.ui.theme import contrast
from tests.fakes.dummy_platform import GREETING, DummyWorld
from tests.gui.conftest import Gui, until
from tests.gui.dummy_channel import go_live, world  # noqa: F401 (a fixture)

pytestmark = pytest.mark.gui

EMOTE_PNG = Path(__file__).parents[1] / "e2e" / "emote.png"
SIZES = [(1024, 640), (1600, 1000)]
# A name colour each theme cannot show as it is: navy on dark grey, pale yellow on white.
UNREADABLE = {"dark": "#1e1b4b", "light": "#fef08a"}


def fragments(view: ChatView) -> Iterator[QTextFragment]:
    block = view.document().begin()
    while block.isValid():
        for part in block:
            yield part.fragment()
        block = block.next()


def images(view: ChatView) -> list[str]:
    return [
        f.charFormat().toImageFormat().name()
        for f in fragments(view)
        if f.charFormat().isImageFormat()
    ]


def name_color(view: ChatView, name: str) -> QColor:
    found = next(f for f in fragments(view) if f.text() == name)
    return found.charFormat().foreground().color()


def background() -> QColor:
    return QGuiApplication.palette().color(QPalette.ColorRole.Base)


@asynccontextmanager
async def emote_cdn(gui: Gui) -> AsyncIterator[list[str]]:
    """A local stand-in for the platform's emote CDN; yields the emote ids it was asked for."""
    png = EMOTE_PNG.read_bytes()
    asked: list[str] = []

    async def emote(request: web.Request) -> web.Response:
        asked.append(request.match_info["id"])
        return web.Response(body=png, content_type="image/png")

    cdn = web.Application()
    cdn.router.add_get("/emoticons/{id}", emote)
    runner = web.AppRunner(cdn, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    gui.app.emotes.url_templates["twitch"] = f"http://127.0.0.1:{port}/emoticons/{{id}}"
    try:
        yield asked
    finally:
        await runner.cleanup()


def moderator(color: str | None = "#ff6b6b", name: str = "PixelPaladin") -> User:
    badges = (Badge("moderator", "1"), Badge("subscriber", "12"), Badge("sub_gifter", "5"))
    return User(id="7", login=name.lower(), display_name=name, color=color, badges=badges)


def kappa_message(user: User, message_id: str = "m1") -> ChatMessage:
    return ChatMessage(
        platform=Platform.TWITCH,
        id=message_id,
        user=user,
        text="hi Kappa",
        fragments=(Fragment("text", "hi "), Fragment("emote", "Kappa", emote_id="25")),
    )


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_names_badges_and_emotes_show_as_in_the_overlay(gui: Gui, theme: str) -> None:
    view = gui.window.dashboard.chat
    gui.run(gui.vm.set_theme(theme))
    user = moderator(UNREADABLE[theme])

    async def chat() -> list[str]:
        async with emote_cdn(gui) as asked:
            await gui.app.ingest.submit(kappa_message(user))
            await until(lambda: "emote:twitch/25" in images(view), what="the emote image")
            return asked

    assert gui.run(chat()) == ["25"], "fetched once, through the app's emote cache"
    shown = images(view)
    assert "icon:platform-twitch" in shown
    assert "icon:badge-moderator" in shown and "icon:badge-subscriber" in shown
    text = view.toPlainText()
    assert "[sub gifter]" in text, "a badge without an icon is named"
    assert "PixelPaladin: hi " in text
    assert "Kappa" not in text, "the emote is its picture, not its name"
    image = QTextDocument.ResourceType.ImageResource.value
    emote = view.loadResource(image, QUrl("emote:twitch/25"))
    assert isinstance(emote, QImage) and not emote.isNull()

    color = name_color(view, "PixelPaladin")
    original = QColor(UNREADABLE[theme])
    assert contrast(original, background()) < 4.5, "the test colour is a hard one"
    assert contrast(color, background()) >= 4.5, f"{color.name()} cannot be read in {theme}"
    assert abs(color.hslHueF() - original.hslHueF()) < 0.02, "still the viewer's colour"


def test_a_readable_name_colour_is_kept_and_a_missing_one_is_the_overlays(gui: Gui) -> None:
    view = gui.window.dashboard.chat
    gui.run(gui.vm.set_theme("dark"))

    async def chat() -> None:
        await gui.app.ingest.submit(kappa_message(moderator("#ff6b6b", "Reddish"), "a"))
        plain = User(id="42", login="nocolor", display_name="NoColor")
        text = ChatMessage(platform=Platform.TWITCH, id="b", user=plain, text="hello")
        await gui.app.ingest.submit(text)
        await until(lambda: "NoColor: hello" in view.toPlainText(), what="both messages")

    gui.run(chat())
    assert name_color(view, "Reddish").name() == "#ff6b6b"
    # What chat.js's nameColor(undefined, "42") picks: the same colour as in the overlay.
    assert name_color(view, "NoColor").name() == "#ffd43b"


def test_message_text_is_shown_as_text_never_as_html(gui: Gui) -> None:
    view = gui.window.dashboard.chat
    attack = "<img src=x onerror=alert(1)>"
    sneaky = User(id="9", login="sneaky", display_name="<b>Sneaky</b>", color="red;x:y")

    async def chat() -> None:
        await gui.app.ingest.submit(
            ChatMessage(platform=Platform.TWITCH, id="x1", user=sneaky, text=attack)
        )
        await gui.app.ingest.submit(
            ChatMessage(
                platform=Platform.TWITCH,
                id="x2",
                user=sneaky,
                text="look ../x",
                fragments=(
                    Fragment("text", "look "),
                    Fragment("emote", '"><img src=y>', emote_id="../x"),
                ),
            )
        )
        await until(lambda: view.toPlainText().count("<b>Sneaky</b>") == 2, what="both")

    gui.run(chat())
    text = view.toPlainText()
    assert f"<b>Sneaky</b>: {attack}" in text, "the characters, as typed"
    assert '<b>Sneaky</b>: look "><img src=y>' in text, "an emote with a bad id is its words"
    assert not any(name in ("x", "y") or "/x" in name for name in images(view))
    assert all(name.startswith(("icon:", "emote:")) for name in images(view))


def test_the_send_box_sends_to_the_connected_channel(
    gui: Gui,
    world: DummyWorld,  # noqa: F811 (the fixture)
) -> None:
    dashboard = gui.window.dashboard
    assert not dashboard.send_button.isEnabled(), "nothing to send to yet"
    go_live(gui)
    gui.run(until(lambda: GREETING in dashboard.chat.toPlainText(), what="the channel's chat"))
    dashboard.chat_input.setText("Hello from the app")
    dashboard.send_button.click()
    gui.run(until(lambda: world.sent_chat, what="sent"))
    assert world.sent_chat == ["Hello from the app"]
    gui.run(until(lambda: dashboard.chat_input.text() == "", what="the box empties"))


SCENE = [
    ("Moonbeam", "#9146ff", ("broadcaster",), "welcome in everyone!", ()),
    ("PixelPaladin", "#1e1b4b", ("moderator", "subscriber"), "", ("hi ", "Kappa", " good luck")),
    ("sunny_day", "#fef08a", ("vip",), "that play was clean", ()),
    ("NoColor", None, (), "", ("PogChamp", " PogChamp")),
    ("GiftGoblin", "#2e8b57", ("subscriber", "sub_gifter"), "<script>alert(1)</script> lol", ()),
]


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_live_dashboard_screenshots(
    gui: Gui,
    world: DummyWorld,  # noqa: F811 (the fixture)
    artifacts_dir: Path,
    theme: str,
    width: int,
    height: int,
) -> None:
    """test-artifacts/dashboard-live-{theme}-{w}x{h}.png: live, with the chat under the stream."""
    window, dashboard = gui.window, gui.window.dashboard
    gui.run(gui.vm.set_theme(theme))
    window.resize(width, height)
    window.show()
    go_live(gui)
    emote_ids = {"Kappa": "25", "PogChamp": "305954156"}

    async def chat() -> None:
        async with emote_cdn(gui):
            for index, (name, color, badges, text, parts) in enumerate(SCENE):
                user = User(
                    id=str(100 + index),
                    login=name.lower(),
                    display_name=name,
                    color=color,
                    badges=tuple(Badge(b) for b in badges),
                )
                pieces = tuple(
                    Fragment("emote", p, emote_id=emote_ids[p.strip()])
                    if p.strip() in emote_ids
                    else Fragment("text", p)
                    for p in parts
                )
                await gui.app.ingest.submit(
                    ChatMessage(
                        platform=Platform.TWITCH,
                        id=f"scene-{index}",
                        user=user,
                        text=text or "".join(parts),
                        fragments=pieces,
                    )
                )
            await until(lambda: images(dashboard.chat).count("emote:twitch/305954156") == 2)
            await until(lambda: "emote:twitch/25" in images(dashboard.chat))

    gui.run(chat())
    gui.run(gui.vm.tasks.wait_idle())
    assert window.grab().save(str(artifacts_dir / f"dashboard-live-{theme}-{width}x{height}.png"))
    area = dashboard.findChild(QScrollArea, "pageScroll")
    assert area is not None
    chat_top = dashboard.chat_card.mapTo(area.viewport(), dashboard.chat_card.rect().topLeft())
    assert chat_top.y() < area.viewport().height() - 100, "live, the chat is in view"
    assert dashboard.stream_card.isVisible() and dashboard.chart_card.isVisible()
    if width == SIZES[-1][0]:
        assert dashboard.chat_card.grab().save(str(artifacts_dir / f"dashboard-chat-{theme}.png"))
