"""A platform the app has never heard of, declared in the tests only
(tests/fakes/dummy_platform.py), appears everywhere a platform should — Platforms page, settings,
diagnostics, the dashboard's chat limit — and connects through the generic browser + PKCE
sign-in, with no change to the app.

(Its events reaching an overlay in Chromium: tests/e2e/test_dummy_platform_overlay.py.)
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync

from streampai_desktop import diagnostics
from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.ui.pages.platforms import PlatformsPage
from streampai_desktop.ui.session import GuiSession
from tests.fakes.dummy_platform import (
    API_URL_ENV,
    API_URL_KEY,
    CHAT_LIMIT,
    PLATFORM_ID,
    DummyWorld,
    consenting_browser,
    dummy_platform,
)
from tests.gui.conftest import Gui, gui_options, until

pytestmark = pytest.mark.gui

SELF_HOSTED = "http://127.0.0.1:9/dummy-api"  # never contacted: the dummy has no real server


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[DummyWorld]:
    monkeypatch.setenv(API_URL_ENV, SELF_HOSTED)
    with dummy_platform() as registered:
        yield registered


@pytest.fixture
def dummy_gui(
    qloop: qasync.QEventLoop, tmp_path: Path, free_port: int, world: DummyWorld
) -> Iterator[Gui]:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    yield Gui(session, qloop)
    qloop.run_until_complete(session.stop())


def test_a_registered_platform_shows_up_everywhere_and_connects(
    dummy_gui: Gui, world: DummyWorld, tmp_path: Path
) -> None:
    gui = dummy_gui
    page = gui.window.pages["platforms"]
    assert isinstance(page, PlatformsPage)
    row = page.rows[PLATFORM_ID]
    assert row.connect_button.isEnabled(), "a platform with a connector can be connected"
    assert "browser" in row.note.text().lower(), "the note describes its sign-in flow"

    # Settings: its endpoint, its value from the environment, and the variable's name.
    settings_page = gui.window.pages["settings"]
    value = settings_page.endpoint_rows[API_URL_KEY]  # type: ignore[attr-defined]
    assert value.text() == SELF_HOSTED

    # Connect: the generic browser flow opens the consent page; the "browser" approves.
    gui.app.platforms.open_browser = consenting_browser
    row.connect_button.click()

    async def connected() -> None:
        await until(lambda: row.lines, what="the dummy account line")
        [account_id] = row.lines
        await until(
            lambda: (
                (s := gui.vm.streams.status_of(account_id)) is not None
                and s.state is ConnectorState.CONNECTED
            ),
            what="connected",
        )
        await until(lambda: not row.signing_in, what="sign-in finished")

    gui.run(connected())
    [consent] = world.consent_urls
    assert consent.startswith(f"{SELF_HOSTED}/authorize?") and "code_challenge=" in consent
    assert world.exchanged[0]["code"] == "dummy-code", "the loopback redirect brought the code"
    assert world.settings_seen == [SELF_HOSTED], "the connector got the platform's own settings"
    assert "dummy_streamer" in row.status.text()
    [line] = row.lines.values()
    assert "Dummy_Streamer" in line.channel.text()

    # The dashboard's chat box takes the platform's own limit.
    dashboard = gui.window.pages["dashboard"]
    gui.run(until(lambda: dashboard.chat_input.maxLength() == CHAT_LIMIT, what="chat limit"))

    # Diagnostics name the platform, its sign-in kind and where its endpoint points.
    target = gui.run(gui.app.run_db(diagnostics.export_from_app, gui.app, tmp_path / "d.zip"))
    with zipfile.ZipFile(target) as archive:
        report = json.loads(archive.read("streampai-diagnostics/platforms.json"))
    endpoint = report[PLATFORM_ID]["endpoints"][API_URL_KEY]
    assert report[PLATFORM_ID]["sign_in"] == "browser_pkce" and report[PLATFORM_ID]["available"]
    assert endpoint == {"value": SELF_HOSTED, "source": "environment", "env": API_URL_ENV}
