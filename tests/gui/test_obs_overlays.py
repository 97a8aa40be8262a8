"""The overlays in OBS, in the window, against the fake OBS: "Add to OBS" on the Widgets page puts
a browser source in OBS and the line turns into "In OBS: scene …"; regenerating the overlay token
offers to update OBS's browser sources (once asked, "Always" is remembered) and reports what
changed; sources left on an old URL while OBS was closed are offered the fix when OBS connects."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from streampai_desktop.secrets import OVERLAY_TOKEN
from streampai_desktop.ui.session import GuiSession
from tests.conftest import find_free_port
from tests.fakes.obs import FakeObs
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until, widgets_page

pytestmark = pytest.mark.gui

OTHER_APP = "http://127.0.0.1:8911/widgets/alerts?token=x"


@pytest.fixture
def fake_obs(qloop: qasync.QEventLoop, free_port: int) -> Iterator[FakeObs]:
    obs = FakeObs(find_free_port())
    qloop.run_until_complete(obs.start())
    qloop.run_until_complete(obs.add_scene("Live"))
    qloop.run_until_complete(obs.switch_scene("Live"))
    yield obs
    qloop.run_until_complete(obs.stop())


def start_gui(
    qloop: qasync.QEventLoop, data_dir: Path, port: int, obs: FakeObs, mp: pytest.MonkeyPatch
) -> Gui:
    mp.setenv("STREAMPAI_OBS_URL", obs.url)
    session = GuiSession(gui_options(data_dir, port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    return Gui(session, qloop)


@pytest.fixture
def gui_with_obs(
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    free_port: int,
    fake_obs: FakeObs,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Gui]:
    gui = start_gui(qloop, tmp_path / "data", free_port, fake_obs, monkeypatch)
    yield gui
    qloop.run_until_complete(gui.session.stop())


def test_add_to_obs_puts_the_widget_in_the_current_scene(
    gui_with_obs: Gui, fake_obs: FakeObs, artifacts_dir: Path
) -> None:
    gui = gui_with_obs
    gui.window.resize(1024, 700)
    gui.window.show_page("widgets")
    page = widgets_page(gui)
    editor = page.select("alert_box")
    line = editor.obs_line

    async def added() -> None:
        await until(lambda: line.add_button.isVisible(), what="OBS connected")
        assert not line.where.isVisible()

    gui.run(added())
    assert gui.window.grab().save(str(artifacts_dir / "widgets-add-to-obs-1024x700.png"))
    QTest.mouseClick(line.add_button, Qt.MouseButton.LeftButton)

    async def in_obs() -> None:
        await until(lambda: "In OBS" in line.where.text(), what="the line after adding")

    gui.run(in_obs())
    source = fake_obs.input("Alert Box")
    assert source.kind == "browser_source"
    assert source.settings == {
        "url": gui.app.overlay_urls()["alert_box"],
        "width": 800,
        "height": 600,
        "shutdown": False,
        "restart_when_active": False,
    }
    assert [i.source_name for i in fake_obs.scene("Live").items] == ["Alert Box"]
    assert line.where.text() == "In OBS: scene “Live”"
    assert not line.add_button.isVisible()
    assert "Added “Alert Box” to the scene “Live” in OBS." in editor.feedback.text()

    # The chat box into another scene, picked from the button's menu (current one marked).
    chat = page.select("chat_box").obs_line
    gui.run(until(lambda: chat.add_button.isVisible(), what="chat box not in OBS"))
    chat.scene_menu.aboutToShow.emit()
    actions = {a.text(): a for a in chat.scene_menu.actions()}
    assert list(actions) == ["Scene", "Live (current)"]
    actions["Scene"].trigger()
    gui.run(until(lambda: chat.where.text() == "In OBS: scene “Scene”", what="chat in OBS"))
    assert fake_obs.input("Chat Box").settings["width"] == 400  # the chat box's own size
    # The streamer puts it in "Live" too, in OBS: the line follows OBS's events.
    gui.run(fake_obs.add_scene_item("Live", "Chat Box"))
    gui.run(until(lambda: chat.where.text() == "In OBS: scenes “Scene”, “Live”", what="both"))

    page.select("alert_box")
    gui.run(until(lambda: editor.isVisible()))
    assert gui.window.grab().save(str(artifacts_dir / "widgets-in-obs-1024x700.png"))


def test_a_new_overlay_token_or_port_updates_obs_after_asking_once(
    gui_with_obs: Gui, fake_obs: FakeObs, artifacts_dir: Path, free_port: int
) -> None:
    gui = gui_with_obs
    settings = gui.window.pages["settings"]
    old_url = gui.app.overlay_urls()["alert_box"]
    gui.run(fake_obs.add_browser_source("Live", "Alerts", old_url))
    gui.run(fake_obs.add_scene_item("Scene", "Alerts"))
    gui.run(fake_obs.add_browser_source("Live", "Other bot", OTHER_APP))
    gui.window.resize(1024, 700)
    gui.window.show_page("settings")
    gui.run(until(lambda: gui.vm.obs_overlays.connected, what="OBS connected"))

    async def regenerate(answer: str) -> None:
        before = gui.app.overlay_urls()["alert_box"]
        settings.token_buttons[OVERLAY_TOKEN].click()  # type: ignore[attr-defined]
        box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
        button(box, "Regenerate").click()
        if answer:
            ask = await until(lambda: find_dialog("obsRepairDialog"), what="the OBS question")
            assert "“Alerts”" in ask.text() and "Other bot" not in ask.text()
            assert ask.grab().save(str(artifacts_dir / "obs-repair-question.png"))
            button(ask, answer).click()
        await until(lambda: gui.app.overlay_urls()["alert_box"] != before, what="new token")
        await until(lambda: "Updated" in settings.token_status.text(), what="the report")  # type: ignore[attr-defined]

    gui.run(regenerate("Always update OBS"))
    first_new = gui.app.overlay_urls()["alert_box"]
    assert first_new != old_url
    assert fake_obs.input("Alerts").settings["url"] == first_new
    assert fake_obs.input("Other bot").settings["url"] == OTHER_APP
    report = settings.token_status.text()  # type: ignore[attr-defined]
    assert report == (
        "New overlay token made. Updated 1 browser source in OBS: “Alerts” (scenes Scene, "
        "Live): new token."
    )
    assert gui.window.grab().save(str(artifacts_dir / "obs-repair-report.png"))
    assert gui.app.settings.get("obs_always_update_sources") is True
    always = settings.obs_card.always_update  # type: ignore[attr-defined]
    assert always.isChecked(), "Settings → OBS shows the choice made in the question"

    # "Always": the next new token updates OBS without a question.
    gui.run(regenerate(""))
    assert find_dialog("obsRepairDialog") is None
    assert fake_obs.input("Alerts").settings["url"] == gui.app.overlay_urls()["alert_box"]
    assert gui.app.overlay_urls()["alert_box"] != first_new

    # Moving the overlay server to another port updates OBS the same way.
    new_port = find_free_port()
    settings.port_spin.setValue(new_port)  # type: ignore[attr-defined]
    settings.port_apply.click()  # type: ignore[attr-defined]
    gui.run(until(lambda: "Updated" in settings.port_status.text(), what="port report"))  # type: ignore[attr-defined]
    assert fake_obs.input("Alerts").settings["url"] == gui.app.overlay_urls()["alert_box"]
    assert f":{new_port}/overlay/alert_box" in fake_obs.input("Alerts").settings["url"]
    assert f"port {free_port} → {new_port}" in settings.port_status.text()  # type: ignore[attr-defined]

    # Taken back in Settings → OBS: the next new token asks again.
    always.setChecked(False)
    gui.run(until(lambda: gui.app.settings.get("obs_always_update_sources") is False, what="off"))
    gui.run(regenerate("Update OBS"))
    assert fake_obs.input("Alerts").settings["url"] == gui.app.overlay_urls()["alert_box"]


def test_sources_left_on_an_old_url_are_offered_the_fix_when_obs_connects(
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    free_port: int,
    fake_obs: FakeObs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A URL of this app with a port and token from before (the app moved while OBS was closed).
    stale = f"http://127.0.0.1:{free_port - 1}/overlay/chat_box?token=old"
    qloop.run_until_complete(fake_obs.add_browser_source("Live", "Chat", stale))
    gui = start_gui(qloop, tmp_path / "data", free_port, fake_obs, monkeypatch)
    try:
        settings = gui.window.pages["settings"]

        async def offered() -> None:
            ask = await until(lambda: find_dialog("obsRepairDialog"), what="the OBS question")
            button(ask, "Not now").click()
            await until(lambda: "old URLs" in settings.token_status.text())  # type: ignore[attr-defined]
            assert fake_obs.input("Chat").settings["url"] == stale
            # Asked again later (OBS restarted): this time, yes.
            await fake_obs.restart()
            ask = await until(lambda: find_dialog("obsRepairDialog"), within=15, what="again")
            button(ask, "Update OBS").click()
            await until(lambda: "Updated" in settings.token_status.text())  # type: ignore[attr-defined]

        gui.run(offered())
        assert fake_obs.input("Chat").settings["url"] == gui.app.overlay_urls()["chat_box"]
        assert "port" in settings.token_status.text()  # type: ignore[attr-defined]
        assert gui.app.settings.get("obs_always_update_sources") is False
    finally:
        qloop.run_until_complete(gui.session.stop())
