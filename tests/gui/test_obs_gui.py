"""Settings → OBS and the Dashboard's OBS line against the fake OBS, in the real window: OBS asks
for a password, the streamer enters it, then streams, switches scenes and stops from the
Dashboard."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from streampai_desktop.ui.pages.obs_cards import ObsDashboardCard, ObsSettingsCard
from streampai_desktop.ui.session import GuiSession
from tests.conftest import find_free_port
from tests.fakes.obs import FakeObs
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until

pytestmark = pytest.mark.gui

PASSWORD = "hunter2-obs"


@pytest.fixture
def fake_obs(qloop: qasync.QEventLoop) -> Iterator[FakeObs]:
    fake = FakeObs(find_free_port(), password=PASSWORD, output_delay=0.05)
    qloop.run_until_complete(fake.start())
    qloop.run_until_complete(fake.add_scene("Live"))
    yield fake
    qloop.run_until_complete(fake.stop())


@pytest.fixture
def obs_gui(
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    free_port: int,
    fake_obs: FakeObs,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Gui]:
    monkeypatch.setenv("STREAMPAI_OBS_URL", fake_obs.url)
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    yield Gui(session, qloop)
    qloop.run_until_complete(session.stop())


def settings_card(gui: Gui) -> ObsSettingsCard:
    card = gui.window.pages["settings"].obs_card  # type: ignore[attr-defined]
    assert isinstance(card, ObsSettingsCard)
    return card


def dashboard_card(gui: Gui) -> ObsDashboardCard:
    card = gui.window.pages["dashboard"].obs_card  # type: ignore[attr-defined]
    assert isinstance(card, ObsDashboardCard)
    return card


def test_password_then_stream_scene_and_stop_from_the_dashboard(
    obs_gui: Gui, fake_obs: FakeObs, artifacts_dir: Path
) -> None:
    gui = obs_gui
    gui.window.resize(1024, 700)
    gui.window.show()
    line = dashboard_card(gui).line
    gui.run(until(lambda: "needs the WebSocket password" in line.text(), what="auth state"))
    assert not dashboard_card(gui).stream_button.isVisible(), "no controls while not connected"

    gui.window.show_page("settings")
    card = settings_card(gui)
    assert "Show Connect Info" in card.details.text(), "says where OBS shows the password"
    assert card.env_note is not None and "STREAMPAI_OBS_URL" in card.env_note.text()
    QTest.keyClicks(card.password_field, PASSWORD)
    QTest.mouseClick(card.connect_button, Qt.MouseButton.LeftButton)
    gui.run(gui.vm.tasks.wait_idle())
    assert card.result.text() == "Connected to OBS 30.2.3.", card.result.text()
    assert card.state.text() == (
        f"Connected to OBS 30.2.3 (obs-websocket 5.5.2) at {fake_obs.url}."
    )
    assert card.password_field.text() == "" and card.password_field.placeholderText() == "saved"
    gui.run(
        until(
            lambda: card.details.text() == "Not streaming · scene “Scene”", what="scene in details"
        )
    )
    card.grab().save(str(artifacts_dir / "obs-settings-card.png"))

    gui.window.show_page("dashboard")
    dash = dashboard_card(gui)
    gui.run(until(lambda: dash.scene_combo.count() == 2, what="scenes listed"))
    assert [dash.scene_combo.itemText(i) for i in range(2)] == ["Scene", "Live"]
    QTest.mouseClick(dash.stream_button, Qt.MouseButton.LeftButton)
    gui.run(until(lambda: "kbps" in dash.line.text(), what="streaming figures"))
    assert fake_obs.stream.active
    assert dash.line.text().startswith("OBS: streaming 00:00:0")
    assert "6,000 kbps, dropped frames 0.0%" in dash.line.text()
    assert dash.stream_button.text() == "Stop streaming"

    dash.scene_combo.setCurrentIndex(1)
    dash.scene_combo.activated.emit(1)  # what a pick from the list sends
    gui.run(until(lambda: fake_obs.current_scene == "Live", what="scene switched"))
    gui.run(until(lambda: "scene “Live”" in dash.line.text()))
    dash.grab().save(str(artifacts_dir / "obs-dashboard-line.png"))
    gui.window.grab().save(str(artifacts_dir / "obs-dashboard-1024x700.png"))

    # Stopping the stream asks first: the viewers would see the stream end.
    QTest.mouseClick(dash.stream_button, Qt.MouseButton.LeftButton)
    dialog = gui.run(until(lambda: find_dialog("confirmDialog"), what="confirm dialog"))
    button(dialog, "Stop streaming").click()
    gui.run(until(lambda: not fake_obs.stream.active, what="stream stopped"))
    gui.run(until(lambda: dash.line.text() == "OBS: not streaming · scene “Live”"))
    assert dash.stream_button.text() == "Start streaming"

    gui.run(fake_obs.stop())  # OBS quits
    gui.run(until(lambda: dash.line.text() == "OBS: not running", what="not running"))
    assert not dash.stream_button.isVisible()
