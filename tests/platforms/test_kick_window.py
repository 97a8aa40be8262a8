"""The window's Kick row: connecting Kick goes through the Streampai account, and without one the
row says what to do instead of opening a browser."""

from __future__ import annotations

import pytest

from streampai_desktop.platforms.kick.auth import ACCOUNT_NEEDED
from streampai_desktop.ui.pages.platforms import PlatformsPage
from tests.gui.conftest import Gui, gui, qloop, until  # noqa: F401  (fixtures)

pytestmark = pytest.mark.gui


def test_connecting_kick_without_a_streampai_account_says_to_sign_in_first(
    gui: Gui,  # noqa: F811
) -> None:
    opened: list[str] = []
    gui.app.platforms.open_browser = lambda url: bool(opened.append(url))
    gui.window.show_page("platforms")
    page = gui.window.pages["platforms"]
    assert isinstance(page, PlatformsPage)
    row = page.rows["kick"]
    assert row.connect_button.isEnabled()
    assert "connects through your Streampai account" in row.note.text()
    row.connect_button.click()
    gui.run(until(lambda: ACCOUNT_NEEDED in row.status.text(), within=10, what="the reason"))
    assert opened == [] and row.connect_button.isEnabled()
