"""YouTube chat from the Dashboard's send box: what the streamer types reaches the (fake) YouTube's
``liveChatMessages.insert`` and comes back in the chat; a refusal (chat ended, not allowed to
post, slow mode, quota used up) is a sentence under the box, and the text stays to send again.

The real app talks to ``tests/fakes/youtube.py`` through the environment variables a
self-hoster would use, set before the app starts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync

from streampai_desktop.platforms.youtube.auth import TokenSet, TokenStore
from streampai_desktop.store import operations
from streampai_desktop.ui.session import GuiSession
from tests.conftest import find_free_port
from tests.fakes.youtube import CHANNEL_ID, CLIENT_ID, CLIENT_SECRET, FakeYouTube
from tests.gui.conftest import Gui, gui_options, until

pytestmark = pytest.mark.gui


@pytest.fixture
def fake_youtube(
    qloop: qasync.QEventLoop, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeYouTube]:
    fake = FakeYouTube(find_free_port())
    qloop.run_until_complete(fake.start())
    # Live before the app looks (it looks for a broadcast once a minute).
    fake.go_live(title="Cozy stream", viewers=55)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_API_URL", fake.api_url)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("STREAMPAI_YOUTUBE_CLIENT_SECRET", CLIENT_SECRET)
    yield fake
    qloop.run_until_complete(fake.stop())


@pytest.fixture
def youtube_gui(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int, fake_youtube: FakeYouTube
) -> Iterator[Gui]:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    running = Gui(session, qloop)
    running.run(connect_without_the_device_flow(running, fake_youtube))
    running.window.show_page("dashboard")
    running.run(until(lambda: running.vm.streams.can_chat, within=10, what="chat can be sent"))
    yield running
    qloop.run_until_complete(session.stop())


async def connect_without_the_device_flow(gui: Gui, fake: FakeYouTube) -> None:
    """What a finished sign-in leaves behind (tokens in the keyring, the account), faster."""
    app = gui.app
    token = fake.issue_token()
    tokens = TokenSet(token.access, token.refresh, time.time() + 3600)
    await TokenStore(app.secrets, CHANNEL_ID).save(tokens)
    account = await app.run_db(
        operations.save_account, app.db, "youtube", CHANNEL_ID, "@coolstreamer", "Cool Streamer"
    )
    await app.streams.enable(account)
    await gui.vm.streams.reload_accounts()


def inserted(fake: FakeYouTube) -> list[str]:
    return [i["snippet"]["textMessageDetails"]["messageText"] for i in fake.inserted]


def test_a_message_typed_on_the_dashboard_reaches_youtube_chat(
    youtube_gui: Gui, fake_youtube: FakeYouTube
) -> None:
    dashboard = youtube_gui.window.dashboard
    # YouTube's own limit: the box takes no more than liveChatMessages.insert accepts.
    assert dashboard.chat_input.maxLength() == 200
    dashboard.chat_input.setText("Welcome in, everyone!")
    dashboard.send_button.click()
    youtube_gui.run(until(lambda: inserted(fake_youtube), what="sent to YouTube"))
    assert inserted(fake_youtube) == ["Welcome in, everyone!"]
    youtube_gui.run(until(lambda: dashboard.chat_input.text() == "", what="the box empties"))
    assert dashboard.chat_status.text() == ""
    # YouTube sends it back as part of the chat, like everyone's: it shows in the chat view.
    youtube_gui.run(
        until(
            lambda: "Welcome in, everyone!" in dashboard.chat.toPlainText(),
            within=10,
            what="the message in the Dashboard's chat",
        )
    )


@pytest.mark.parametrize(
    ("status", "reason", "says"),
    [
        (403, "liveChatEnded", "the live chat has ended"),
        (403, "forbidden", "this account may not post in this chat"),
        (403, "rateLimitExceeded", "slow mode: wait a moment before sending again"),
        (403, "quotaExceeded", "YouTube quota used up until "),
    ],
)
def test_a_refused_message_says_why_under_the_box(
    youtube_gui: Gui, fake_youtube: FakeYouTube, status: int, reason: str, says: str
) -> None:
    dashboard = youtube_gui.window.dashboard
    fake_youtube.fail_next = [("liveChat/messages:insert", status, reason)]
    dashboard.chat_input.setText("hello chat")
    dashboard.send_button.click()
    youtube_gui.run(
        until(lambda: "Not sent" in dashboard.chat_status.text(), what="the refusal shown")
    )
    shown = dashboard.chat_status.text()
    assert shown.startswith("Not sent to YouTube (@coolstreamer): YouTube did not send the message")
    assert says in shown
    assert inserted(fake_youtube) == []
    assert dashboard.chat_input.text() == "hello chat", "kept, to send again"
    youtube_gui.run(until(lambda: dashboard.send_button.isEnabled(), what="can send again"))
