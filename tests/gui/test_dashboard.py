"""The dashboard: demo toggle, counters, warnings."""

from __future__ import annotations

import pytest

from streampai_desktop.core.events import Follow, Platform
from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui


def test_demo_events_can_be_started_and_stopped(gui: Gui) -> None:
    dashboard = gui.window.dashboard
    demo_button = dashboard.demo_banner.button
    assert demo_button is not None
    assert gui.app.demo is None
    assert demo_button.text() == "Start demo events"
    assert gui.window.status.demo.isHidden()

    demo_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert gui.app.demo is not None
    assert demo_button.text() == "Stop demo events"
    assert not gui.window.status.demo.isHidden()

    demo_button.click()
    gui.run(gui.vm.tasks.wait_idle())
    assert gui.app.demo is None
    assert gui.window.status.demo.isHidden()


def test_counters_count_this_sessions_events(gui: Gui) -> None:
    dashboard = gui.window.dashboard

    async def follow() -> None:
        await gui.app.submit_event(Follow(platform=Platform.TWITCH))
        await until(lambda: dashboard.events_stat.value.text() == "1", what="counter")

    gui.run(follow())
    assert dashboard.alerts_stat.value.text() == "1"
    assert dashboard.chat_stat.value.text() == "0"
    assert "followed" in dashboard.activity.item(0).text()
