"""The Widgets page: instances and their URLs, Copy, live connected-page counts, test buttons,
preview."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtGui import QGuiApplication

from streampai_desktop.core.bus import TOPIC_EVENTS
from streampai_desktop.core.events import Event
from streampai_desktop.ui import sound
from streampai_desktop.ui.pages import common, widget_editor
from streampai_desktop.ui.pages.widget_form import ColorEditor, MediaEditor
from streampai_desktop.widgets.alert_box import KIND_TITLES
from streampai_desktop.widgets.media import BUILTIN_DIR
from tests.gui.conftest import Gui, button, find_dialog, until, widgets_page

pytestmark = pytest.mark.gui


def test_shows_the_real_url_and_copy_puts_it_on_the_clipboard(gui: Gui) -> None:
    page = widgets_page(gui)
    urls = gui.app.overlay_urls()
    card = page.editor("alert_box")
    token = gui.app.tokens.overlay
    assert token not in card.url_field.text(), "hidden until asked: the window may be on stream"
    card.show_button.click()
    assert card.url_field.text() == urls["alert_box"]
    assert (
        card.url_field.text() == f"http://127.0.0.1:{gui.app.port}/overlay/alert_box?token={token}"
    )
    QGuiApplication.clipboard().clear()
    page.editor("chat_box").copy_button.click()
    assert QGuiApplication.clipboard().text() == urls["chat_box"]


def test_status_bar_and_page_count_connected_overlays(gui: Gui) -> None:
    status = gui.window.status
    card = widgets_page(gui).editor("alert_box")
    assert status.overlays.text() == "No overlays connected"
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"

    async def connect_an_overlay() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await until(lambda: status.overlays.text() == "1 overlay connected", what="count")
            assert card.connected.text() == "1 page connected"
            assert gui.window.dashboard.overlays_stat.value.text() == "1"
        await until(lambda: status.overlays.text() == "No overlays connected", what="drop")

    gui.run(connect_an_overlay())


def test_another_chat_box_gets_its_own_url_and_can_be_renamed_and_deleted(gui: Gui) -> None:
    page = widgets_page(gui)
    gui.window.show_page("widgets")
    page.add_buttons["chat_box"].click()
    gui.run(gui.vm.tasks.wait_idle())
    (new_id,) = set(gui.app.widgets) - {"alert_box", "chat_box"}
    assert gui.app.widgets[new_id].name == "Chat Box 2"
    editor = page.editors[new_id]
    assert page.selected_id() == new_id and page.stack.currentWidget() is editor
    assert editor.url == gui.app.overlay_urls()[new_id]
    assert f"/overlay/{new_id}?token=" in editor.url
    assert editor.delete_button.isEnabled()
    assert not page.editor("chat_box").delete_button.isEnabled(), "the first one stays"

    editor.name_edit.setText("Just chatting")
    editor.name_edit.editingFinished.emit()
    gui.run(gui.vm.tasks.wait_idle())
    assert gui.app.widgets[new_id].name == "Just chatting"
    item = page.tree.currentItem()
    assert item is not None and item.text(0) == "Just chatting"

    async def fetch(url: str) -> int:
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            return resp.status

    url = editor.url
    assert gui.run(fetch(url)) == 200

    async def delete() -> None:
        editor.delete_button.click()
        box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
        assert "URL stops working" in box.text()
        button(box, "Delete").click()
        await gui.vm.tasks.wait_idle()

    gui.run(delete())
    assert new_id not in gui.app.widgets
    assert new_id not in page.editors
    assert page.selected_id() in ("alert_box", "chat_box")
    assert gui.run(fetch(url)) == 404


def test_test_buttons_post_through_the_local_api(gui: Gui) -> None:
    events = gui.app.bus.subscribe([TOPIC_EVENTS], name="test-events")
    page = widgets_page(gui)
    gui.window.show_page("widgets")
    alerts = page.select("alert_box")
    assert set(alerts.test_buttons) == set(KIND_TITLES)

    async def next_event() -> Event:
        message = await asyncio.wait_for(events.get(), 5)
        assert isinstance(message.payload, Event)
        return message.payload

    for kind in ("cheer", "super_chat", "membership"):
        alerts.test_buttons[kind].click()
        event = gui.run(next_event())
        assert (event.kind, event.test) == (kind, True)
        gui.run(gui.vm.tasks.wait_idle())
    assert "Sent a test Membership alert" in alerts.test_status.text()

    assert alerts.types is not None
    raid = alerts.types.select("raid")
    raid.test_button.click()
    event = gui.run(next_event())
    assert (event.kind, event.test) == ("raid", True)
    gui.run(gui.vm.tasks.wait_idle())
    assert raid.test_status.text().startswith("Sent a test Raid alert")

    chat = page.select("chat_box")
    chat.test_buttons["chat_message"].click()
    event = gui.run(next_event())
    assert (event.kind, event.test) == ("chat_message", True)
    events.close()


def test_preview_opens_the_overlay_page_and_sends_fake_events(
    gui: Gui, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preview page shows the draft and fake events; the overlay in OBS gets none of it, and
    nothing goes through the alert queue."""
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(widget_editor, "open_url", open_url)
    events = gui.app.bus.subscribe([TOPIC_EVENTS], name="test-events")
    gui.window.show_page("widgets")
    alerts = widgets_page(gui).select("alert_box")
    assert alerts.types is not None
    follow = alerts.types.select("follow")
    color = follow.form.editor("text_color")
    assert isinstance(color, ColorEditor)
    base = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"

    async def connect(http: aiohttp.ClientSession, data: dict) -> aiohttp.ClientWebSocketResponse:
        ws = await http.ws_connect(base)
        await ws.send_json({"type": "subscribe", "id": "1", "data": data})
        return ws

    async def frame(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict:
        while True:
            body = json.loads((await ws.receive(timeout=8)).data)
            if body["type"] == kind:
                return body["data"]

    async def session() -> None:
        async with aiohttp.ClientSession() as http:
            obs = await connect(http, {"widget": "alert_box"})  # the Browser source in OBS
            await frame(obs, "config")
            await until(lambda: alerts.connected.text() == "1 page connected", what="OBS")

            color.edit.setText("#ff0000")  # an unsaved change
            color.edit.textEdited.emit("#ff0000")
            assert alerts.dirty
            alerts.preview_button.click()
            assert len(opened) == 1 and alerts.preview.running
            url = opened[0]
            assert url.startswith(gui.app.overlay_urls()["alert_box"] + "&preview=")
            assert alerts.preview_button.text() == "Stop preview"
            assert alerts.feedback.text() == widget_editor.PREVIEWING_TEXT
            preview_id = url.rsplit("&preview=", 1)[1]
            page = await connect(http, {"widget": "alert_box", "preview": preview_id})
            config = await frame(page, "config")
            assert config["config"]["types"]["follow"]["text_color"] == "#ff0000", "the draft"
            alert = await frame(page, "alert")
            assert alert["event"]["kind"] == "follow" and alert["event"]["test"]
            assert alert["settings"]["text_color"] == "#ff0000"

            # Edits reach the preview as they are typed; a test in the preview shows at once.
            color.edit.setText("#00ff00")
            color.edit.textEdited.emit("#00ff00")
            config = await frame(page, "config")
            assert config["config"]["types"]["follow"]["text_color"] == "#00ff00"
            alerts.preview_test_buttons["raid"].click()
            raid = await frame(page, "alert")
            assert raid["event"]["kind"] == "raid"
            assert "in the preview" in alerts.test_status.text()

            # Nothing of it reached the overlay in OBS, nor the alert queue, nor the counts.
            with pytest.raises(asyncio.TimeoutError):
                await obs.receive(timeout=0.5)
            assert events.get_nowait() is None
            assert alerts.connected.text() == "1 page connected"
            assert gui.app.widgets["alert_box"].config["types"]["follow"]["text_color"] == (
                "#ffffff"
            ), "nothing was saved"

            alerts.preview_button.click()  # Stop preview
            await frame(page, "preview_end")
            assert not alerts.preview.running
            assert alerts.preview_button.text() == "Preview"
            assert not alerts.preview_button.isChecked()
            assert not alerts.feedback.isVisible(), "'Previewing…' is gone"
            await obs.close()

    gui.run(session())
    gui.run(gui.vm.tasks.wait_idle())
    events.close()


def test_a_test_on_stream_with_unsaved_changes_says_it_uses_the_saved_settings(gui: Gui) -> None:
    gui.window.show_page("widgets")
    chat = widgets_page(gui).select("chat_box")
    assert not chat.unsaved_test_note.isVisible()
    font_size = chat.form.editor("font_size")
    font_size.spin.setValue(30)  # type: ignore[attr-defined]
    chat.tabs.setCurrentWidget(chat.tests_tab)
    assert chat.unsaved_test_note.isVisible()
    assert "saved settings" in chat.test_buttons["chat_message"].toolTip()
    chat.test_buttons["chat_message"].click()
    gui.run(gui.vm.tasks.wait_idle())
    assert "uses the saved settings, not your unsaved changes" in chat.test_status.text()


def test_passing_confirmations_clear_themselves(gui: Gui) -> None:
    assert common.FLASH_MS <= 10_000, "a few seconds"
    gui.window.show_page("widgets")
    chat = widgets_page(gui).select("chat_box")
    chat.feedback.flash("Copied.", 50)
    assert chat.feedback.isVisible()
    gui.run(until(lambda: not chat.feedback.isVisible(), what="the line clears"))
    chat.feedback.error("Could not open a browser; use Copy instead.")
    gui.run(asyncio.sleep(0.15))
    assert chat.feedback.isVisible(), "a problem stays until it is replaced"


def test_play_plays_the_chosen_alert_sound(gui: Gui, monkeypatch: pytest.MonkeyPatch) -> None:
    played: list[tuple[Path, int]] = []

    def play(self: sound.SoundPlayer, path: Path, volume: int = 100) -> str:
        played.append((path, volume))
        return sound.PLAYED

    monkeypatch.setattr(sound.SoundPlayer, "play", play)
    gui.window.show_page("widgets")
    alerts = widgets_page(gui).select("alert_box")
    assert alerts.types is not None
    pane = alerts.types.select("cheer")
    editor = pane.form.editor("sound")
    assert isinstance(editor, MediaEditor) and editor.play_button is not None
    pane.form.editor("volume").spin.setValue(35)  # type: ignore[attr-defined]
    editor.play_button.click()
    assert played == [(BUILTIN_DIR / "coins.wav", 35)]
    editor.combo.setCurrentIndex(editor.combo.findData(""))
    assert not editor.play_button.isEnabled(), "nothing to play"
    image = pane.form.editor("image")
    assert isinstance(image, MediaEditor) and image.play_button is None


def test_the_sound_opens_in_the_default_player_without_a_command_line_player(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    opened: list[Path] = []
    monkeypatch.setattr(sound, "find_player", lambda ext: None)
    monkeypatch.setattr(sound.sys, "platform", "linux")
    monkeypatch.setattr(sound, "open_in_default_player", lambda path: opened.append(path) or True)
    wav = tmp_path / "ding.wav"
    wav.write_bytes(b"RIFF")
    assert sound.SoundPlayer().play(wav, 50) == sound.OPENED
    assert opened == [wav]


def test_a_command_line_player_plays_the_sound_without_a_window(
    qapp: object, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "args.txt"
    script = f"import sys; open({str(out)!r}, 'w').write(' '.join(sys.argv[1:]))"

    def command(path: str, volume: float) -> list[str]:
        return ["-c", script, f"{volume:.2f}", path]

    monkeypatch.setattr(sound, "find_player", lambda ext: (sys.executable, command))
    monkeypatch.setattr(sound.sys, "platform", "linux")
    wav = tmp_path / "ding.wav"
    wav.write_bytes(b"RIFF")
    player = sound.SoundPlayer()
    assert player.play(wav, 40) == sound.PLAYED
    process = player._process
    assert process is not None and process.waitForFinished(10_000)
    assert out.read_text() == f"0.40 {wav}"
    player.stop()
