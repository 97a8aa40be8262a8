"""Twitch in the window: connect with the device code, a live dashboard, chat, disconnect.

The real app talks to the repo's fake Twitch (``tests/fakes/twitch.py``) through the same
environment variables a self-hoster would use, set before the app starts.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.twitch.auth import SCOPES, TokenStore, token_key
from streampai_desktop.platforms.twitch.client import TokenPair
from streampai_desktop.platforms.twitch.connector import TwitchOptions
from streampai_desktop.store import operations
from streampai_desktop.ui.pages.platforms import PlatformRow, PlatformsPage
from streampai_desktop.ui.session import GuiSession
from tests.conftest import MemoryKeyring, find_free_port
from tests.fakes.twitch import CLIENT_ID, FakeTwitch, load_payload
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until

pytestmark = pytest.mark.gui

USER_ID = "1337"


@pytest.fixture
def fake_twitch(qloop: qasync.QEventLoop, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTwitch]:
    fake = FakeTwitch(find_free_port(), keepalive_s=5)
    fake.add_user(USER_ID, "cool_streamer", display_name="Cool_Streamer", followers=42)
    qloop.run_until_complete(fake.start())
    # Read by the app at start: set before the session starts.
    monkeypatch.setenv("STREAMPAI_TWITCH_EVENTSUB_URL", fake.eventsub_url)
    monkeypatch.setenv("STREAMPAI_TWITCH_API_URL", fake.api_url)
    monkeypatch.setenv("STREAMPAI_TWITCH_AUTH_URL", fake.auth_url)
    monkeypatch.setenv("STREAMPAI_TWITCH_CLIENT_ID", CLIENT_ID)
    yield fake
    qloop.run_until_complete(fake.stop())


@pytest.fixture
def twitch_gui(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int, fake_twitch: FakeTwitch
) -> Iterator[Gui]:
    # Demo on at start, as for a streamer with no account yet.
    session = GuiSession(gui_options(tmp_path / "data", free_port, demo=None), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    running = Gui(session, qloop)
    yield running
    qloop.run_until_complete(session.stop())


async def sign_in_without_the_device_flow(gui: Gui, fake: FakeTwitch) -> str:
    """What a finished sign-in leaves behind (tokens in the keyring, the account), faster."""
    app = gui.app
    token = fake.issue_token(USER_ID, list(SCOPES))
    await TokenStore(app.secrets, USER_ID).save(TokenPair(token.access, token.refresh))
    account = await app.run_db(
        operations.save_account, app.db, "twitch", USER_ID, "cool_streamer", "cool_streamer"
    )
    await app.streams.enable(account)
    await gui.vm.streams.reload_accounts()
    return account.id


def twitch_row(gui: Gui) -> PlatformRow:
    page = gui.window.pages["platforms"]
    assert isinstance(page, PlatformsPage)
    return page.rows["twitch"]


def test_connect_shows_the_code_and_ends_connected_to_the_channel(
    twitch_gui: Gui, fake_twitch: FakeTwitch
) -> None:
    gui = twitch_gui
    row = twitch_row(gui)
    assert gui.app.demo.on
    assert row.connect_button.isVisible() is False or row.connect_button.isEnabled()
    gui.window.show_page("platforms")
    QTest.mouseClick(row.connect_button, Qt.MouseButton.LeftButton)

    async def connect() -> None:
        panel = row.code_panel
        await until(lambda: panel.isVisible() and panel.code.text(), what="the code")
        code = panel.code.text()
        assert [d["user_code"] for d in fake_twitch.devices.values()] == [code]
        assert panel.open_button.text() == "Open twitch.tv/activate"
        assert "expires in 29:" in panel.waiting.text() or "expires in 30:" in panel.waiting.text()
        fake_twitch.approve_device(code, USER_ID)
        await until(lambda: row.lines, within=10, what="the signed-in channel")
        line = next(iter(row.lines.values()))
        await until(lambda: line.badge.text() == "Connected", within=10, what="connected")
        assert "cool_streamer" in line.channel.text()
        assert not panel.isVisible()
        assert not row.connect_button.isVisible()
        assert "Connected to cool_streamer" in row.status.text()

    gui.run(connect())
    assert not gui.app.demo.on, "a connected channel replaces the demo events"
    assert gui.window.status.platforms.text() == "Twitch: connected"
    assert gui.window.status.demo.isHidden()


def test_cancelling_the_sign_in_leaves_nothing_behind(
    twitch_gui: Gui, fake_twitch: FakeTwitch
) -> None:
    gui = twitch_gui
    row = twitch_row(gui)
    gui.window.show_page("platforms")
    row.connect_button.click()

    async def cancel() -> None:
        await until(lambda: row.code_panel.isVisible(), what="the code panel")
        row.code_panel.cancel_button.click()
        await until(lambda: not row.signing_in, what="the sign-in to stop")

    gui.run(cancel())
    assert not row.code_panel.isVisible()
    assert row.connect_button.isEnabled() and row.connect_button.isVisible()
    assert row.lines == {}
    assert gui.app.demo.on


def test_dashboard_shows_the_live_stream_events_and_sends_chat(
    twitch_gui: Gui, fake_twitch: FakeTwitch
) -> None:
    gui = twitch_gui
    dashboard = gui.window.dashboard
    card = dashboard.stream_card
    assert card.badge.text() == "OFFLINE"
    assert not dashboard.send_button.isEnabled(), "nothing to send to yet"
    # Poll the viewer count often (every minute in real use).
    gui.app.streams._options["options"] = TwitchOptions(poll_interval_s=0.2)

    async def live() -> None:
        await sign_in_without_the_device_flow(gui, fake_twitch)
        await until(lambda: dashboard.send_button.isEnabled(), within=10, what="connected")
        assert card.badge.text() == "OFFLINE"
        assert card.followers.text() == "42"
        fake_twitch.go_live(USER_ID, viewers=27)
        online = copy.deepcopy(load_payload("stream_online")["payload"]["event"])
        online["started_at"] = fake_twitch.users[USER_ID].started_at
        await fake_twitch.push("stream.online", online)
        await until(lambda: card.badge.text() == "LIVE", within=10, what="live")
        await until(lambda: card.viewers.text() == "27", within=10, what="the viewer count")
        assert card.viewers.text() == "27"
        assert card.followers.text() == "42"
        assert card.title.text() == "Just chatting with you"
        assert card.category.text() == "Just Chatting"
        assert card.uptime.text().startswith("0:00:")
        await until(lambda: dashboard.chart.points, what="a point on the viewer chart")
        assert dashboard.chart.points[-1][1] == 27

        await fake_twitch.push_recorded("follow")
        await until(
            lambda: "Cool_User followed" in dashboard.activity.item(0).text(),
            within=10,
            what="the follow in the latest events",
        )

        dashboard.chat_input.setText("Hello from the app")
        dashboard.send_button.click()
        await until(lambda: fake_twitch.sent_chat, within=10, what="the fake to get the chat")
        await gui.vm.tasks.wait_idle()

    gui.run(live())
    sent = fake_twitch.sent_chat[-1]
    assert sent["message"] == "Hello from the app"
    assert sent["broadcaster_id"] == USER_ID
    assert dashboard.chat_input.text() == ""
    assert dashboard.chat_status.isHidden()


def test_a_send_that_fails_says_why_next_to_the_box(
    twitch_gui: Gui, fake_twitch: FakeTwitch
) -> None:
    gui = twitch_gui
    dashboard = gui.window.dashboard

    async def refused() -> None:
        await sign_in_without_the_device_flow(gui, fake_twitch)
        await until(lambda: dashboard.send_button.isEnabled(), within=10, what="chat enabled")
        # Twitch stops accepting the token: the send is refused with a sentence to show.
        for token in fake_twitch.tokens.values():
            token.valid = False
        fake_twitch.refresh_index.clear()
        dashboard.chat_input.setText("anyone there?")
        dashboard.send_button.click()
        await until(lambda: dashboard.chat_status.isVisible(), within=10, what="the error")
        await gui.vm.tasks.wait_idle()

    gui.run(refused())
    assert dashboard.chat_status.objectName() == "inlineError"
    assert dashboard.chat_status.text().startswith("Not sent to Twitch (cool_streamer)")
    assert dashboard.chat_input.text() == "anyone there?", "kept for another try"
    assert fake_twitch.sent_chat == []


def test_revoked_access_asks_to_sign_in_again(twitch_gui: Gui, fake_twitch: FakeTwitch) -> None:
    gui = twitch_gui
    row = twitch_row(gui)

    async def revoked() -> None:
        await sign_in_without_the_device_flow(gui, fake_twitch)
        line = await until(lambda: next(iter(row.lines.values()), None))
        await until(lambda: line.badge.text() == "Connected", within=10, what="connected")
        assert line.sign_in_again.isHidden()
        fake_twitch.revoke_user(USER_ID)
        await fake_twitch.revoke("authorization_revoked")
        await until(lambda: line.badge.text() == "Needs sign-in", within=10, what="sign-in")
        assert "revoked" in line.detail.text()
        assert not line.sign_in_again.isHidden()

    gui.run(revoked())
    assert gui.window.status.platforms.text() == "Twitch: needs sign-in"


def test_disconnect_asks_first_then_forgets_the_account(
    twitch_gui: Gui, fake_twitch: FakeTwitch
) -> None:
    gui = twitch_gui
    row = twitch_row(gui)

    async def disconnect() -> None:
        account_id = await sign_in_without_the_device_flow(gui, fake_twitch)
        line = await until(lambda: row.lines.get(account_id))
        await until(lambda: line.badge.text() == "Connected", within=10, what="connected")
        line.disconnect_button.click()
        box = await until(lambda: find_dialog("confirmDialog"), what="the confirmation")
        assert "cool_streamer" in box.text()
        button(box, "Disconnect").click()
        await until(lambda: not row.lines, within=10, what="the account to go")
        await gui.vm.tasks.wait_idle()
        assert await gui.app.run_db(operations.load_accounts, gui.app.db) == []

    gui.run(disconnect())
    assert not row.connect_button.isHidden()
    assert gui.app.streams.states() == {}
    assert gui.window.status.platforms.text().endswith("not connected")
    assert "Disconnected cool_streamer" in row.status.text()
    assert ConnectorState.CONNECTED not in [s.state for s in gui.vm.streams.statuses.values()]


def test_disconnect_deletes_the_sign_in_from_the_keyring(
    twitch_gui: Gui, fake_twitch: FakeTwitch, memory_keyring: MemoryKeyring
) -> None:
    gui = twitch_gui

    async def disconnect() -> None:
        account_id = await sign_in_without_the_device_flow(gui, fake_twitch)
        await until(lambda: gui.vm.streams.can_chat, within=10, what="connected")
        await gui.vm.streams.disconnect_account(account_id)
        await asyncio.sleep(0.3)  # let the connector's session finish closing

    gui.run(disconnect())
    assert not [key for _service, key in memory_keyring.entries if key == token_key(USER_ID)]
