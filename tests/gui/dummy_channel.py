"""A channel for the Dashboard tests: the tests-only dummy platform (tests/fakes/dummy_platform.py),
connected the way a streamer connects one — its Connect button on the Platforms page, its
sign-in in a (consenting) browser. Once connected it goes live and sends a chat line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streampai_desktop.ui.pages.platforms import PlatformsPage
from tests.fakes.dummy_platform import (
    API_URL_ENV,
    PLATFORM_ID,
    DummyWorld,
    consenting_browser,
    dummy_platform,
)
from tests.gui.conftest import Gui, until


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[DummyWorld]:
    """The dummy platform, registered for one test (its API is never contacted)."""
    monkeypatch.setenv(API_URL_ENV, "http://127.0.0.1:9/dummy-api")
    with dummy_platform() as registered:
        yield registered


def click_connect(gui: Gui) -> None:
    """The dummy's Connect button on the Platforms page (that page opens)."""
    gui.app.platforms.open_browser = consenting_browser
    gui.window.show_page("platforms")
    page = gui.window.pages["platforms"]
    assert isinstance(page, PlatformsPage)
    page.rows[PLATFORM_ID].connect_button.click()


def go_live(gui: Gui) -> None:
    """Connect the dummy channel and wait until its stream is live on the Dashboard."""
    click_connect(gui)
    gui.run(until(lambda: gui.vm.streams.stream.live, within=10, what="the stream is live"))
    gui.run(until(lambda: gui.vm.streams.can_chat, within=10, what="chat can be sent"))
    gui.window.show_page("dashboard")
