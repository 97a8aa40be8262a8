"""A Twitch account signed in before hype trains, polls & co keeps working, and the Platforms
page says what a new sign-in adds, with a Sign in again button that brings it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.twitch.auth import TokenStore
from streampai_desktop.platforms.twitch.client import TokenPair
from streampai_desktop.store import operations
from tests.fakes.twitch import FakeTwitch
from tests.gui.conftest import Gui, until
from tests.gui.test_twitch import (  # noqa: F401 - fixtures
    USER_ID,
    fake_twitch,
    twitch_gui,
    twitch_row,
)
from tests.platforms.test_twitch_connector_channel import NEW_FEATURES, OLD_SCOPES

pytestmark = pytest.mark.gui


def test_an_old_sign_in_is_asked_to_sign_in_again_and_gets_everything(
    twitch_gui: Gui,  # noqa: F811
    fake_twitch: FakeTwitch,  # noqa: F811
) -> None:
    gui = twitch_gui
    app = gui.app

    async def signed_in_last_year() -> str:
        token = fake_twitch.issue_token(USER_ID, OLD_SCOPES)
        await TokenStore(app.secrets, USER_ID).save(TokenPair(token.access, token.refresh))
        account = await app.run_db(
            operations.save_account, app.db, "twitch", USER_ID, "cool_streamer", "cool_streamer"
        )
        await app.streams.enable(account)
        await gui.vm.streams.reload_accounts()
        return account.id

    account_id = gui.run(signed_in_last_year())
    gui.window.show_page("platforms")
    row = twitch_row(gui)

    def line_text() -> str:
        line = row.lines.get(account_id)
        return line.detail.text() if line is not None else ""

    gui.run(until(lambda: "Sign in again" in line_text(), within=10, what="the prompt"))
    line = row.lines[account_id]
    assert line_text() == f"Sign in again to allow: {NEW_FEATURES}."
    assert line.badge.text() == "Connected"
    assert line.sign_in_again.isVisible(), "a button right beside the sentence"

    QTest.mouseClick(line.sign_in_again, Qt.MouseButton.LeftButton)

    async def approve() -> None:
        panel = row.code_panel
        await until(lambda: panel.isVisible() and panel.code.text(), what="the code")
        fake_twitch.approve_device(panel.code.text(), USER_ID)
        await until(
            lambda: {s.type for s in fake_twitch.subs.values()} >= {"channel.hype_train.begin"},
            within=15,
            what="the new subscriptions",
        )
        await until(
            lambda: app.streams.states()[account_id].state is ConnectorState.CONNECTED,
            within=15,
            what="connected again",
        )

    gui.run(approve())
    status = app.streams.states()[account_id]
    assert status.state is ConnectorState.CONNECTED and status.reason == ""
    assert line_text() == "" and not line.sign_in_again.isVisible()
