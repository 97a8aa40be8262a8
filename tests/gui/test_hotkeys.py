"""Hotkeys for the alert queue, set on the Settings page.

Offscreen, hotkeys are application-wide shortcuts (what Wayland, Windows and macOS get); under a
real X server (Xvfb) they are global: a test program holds the keyboard focus, as OBS would,
while XTest types the hotkey, and the real alert queue pauses, resumes and skips.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from Xlib import XK, X, display
from Xlib.ext import xtest

from streampai_desktop.core.events import Follow, Platform, User
from streampai_desktop.store import operations as ops
from streampai_desktop.ui.hotkeys import GLOBAL_NOTE, LOCAL_NOTE
from streampai_desktop.ui.pages.hotkeys_card import HotkeysCard
from tests.gui.conftest import Gui, until

pytestmark = pytest.mark.gui

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
CTRL_ALT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier


def hotkeys_card(gui: Gui) -> HotkeysCard:
    gui.window.show_page("settings")
    card = gui.window.pages["settings"].hotkeys_card  # type: ignore[attr-defined]
    assert isinstance(card, HotkeysCard)
    return card


def record(gui: Gui, action: str, key: Qt.Key, modifiers: Qt.KeyboardModifier) -> HotkeysCard:
    """Click the action's hotkey box and press the keys, as the streamer does."""
    card = hotkeys_card(gui)
    edit = card.edits[action]
    gui.window.activateWindow()
    QTest.mouseClick(edit, Qt.MouseButton.LeftButton)
    edit.setFocus()  # the offscreen platform does not always move focus on a synthetic click
    QTest.keyClick(edit, key, modifiers)
    gui.run(gui.vm.tasks.wait_idle())
    return card


def saved_preferences(gui: Gui) -> dict[str, object]:
    return gui.run(gui.app.run_db(ops.load_preferences, gui.app.db))


# --- application-wide (offscreen) ---------------------------------------------------------------


def test_a_recorded_hotkey_is_saved_and_pauses_and_resumes_alerts(gui: Gui) -> None:
    card = record(gui, "pause", Qt.Key.Key_F10, CTRL_SHIFT)
    assert card.edits["pause"].text() == "Ctrl+Shift+F10"
    assert "Saved: Ctrl+Shift+F10" in card.statuses["pause"].text()
    assert saved_preferences(gui)["hotkey_pause_alerts"] == "Ctrl+Shift+F10"
    assert card.scope.text() == LOCAL_NOTE, "offscreen: only while the app is focused, and said"
    assert card.clear_buttons["pause"].isEnabled()

    QTest.keyClick(gui.window, Qt.Key.Key_F10, CTRL_SHIFT)
    assert gui.app.alerts.paused
    QTest.keyClick(gui.window, Qt.Key.Key_F10, CTRL_SHIFT)
    assert not gui.app.alerts.paused

    record(gui, "pause", Qt.Key.Key_P, CTRL_ALT)  # another key: the old one stops working
    assert saved_preferences(gui)["hotkey_pause_alerts"] == "Ctrl+Alt+P"
    QTest.keyClick(gui.window, Qt.Key.Key_F10, CTRL_SHIFT)
    assert not gui.app.alerts.paused
    QTest.keyClick(gui.window, Qt.Key.Key_P, CTRL_ALT)
    assert gui.app.alerts.paused
    QTest.keyClick(gui.window, Qt.Key.Key_P, CTRL_ALT)
    assert not gui.app.alerts.paused

    card.clear_buttons["pause"].click()
    gui.run(gui.vm.tasks.wait_idle())
    assert card.edits["pause"].text() == ""
    assert saved_preferences(gui)["hotkey_pause_alerts"] == ""
    QTest.keyClick(gui.window, Qt.Key.Key_P, CTRL_ALT)
    assert not gui.app.alerts.paused, "a cleared hotkey does nothing"


def test_one_key_for_both_actions_is_refused_with_a_clear_message(gui: Gui) -> None:
    record(gui, "skip", Qt.Key.Key_F9, CTRL_SHIFT)
    card = record(gui, "pause", Qt.Key.Key_F9, CTRL_SHIFT)
    status = card.statuses["pause"]
    assert status.objectName() == "inlineError"
    assert status.text() == (
        "Not saved: Ctrl+Shift+F9 is already the hotkey for “Skip the alert on screen”."
    )
    assert card.edits["pause"].text() == "", "the box shows what is saved, not the refused key"
    assert gui.vm.hotkeys.bindings() == {"skip": "Ctrl+Shift+F9", "pause": ""}

    QTest.keyClick(gui.window, Qt.Key.Key_F9, CTRL_SHIFT)
    assert not gui.app.alerts.paused, "the key skips (nothing on screen); it does not pause"


def test_a_key_that_would_stop_typing_elsewhere_is_refused(gui: Gui) -> None:
    card = record(gui, "skip", Qt.Key.Key_S, Qt.KeyboardModifier.ShiftModifier)
    assert "add Ctrl, Alt or Meta" in card.statuses["skip"].text()
    assert gui.vm.hotkeys.bindings()["skip"] == ""


def test_tab_moves_on_from_a_hotkey_box_instead_of_being_recorded(gui: Gui) -> None:
    card = hotkeys_card(gui)
    edit = card.edits["skip"]
    gui.window.activateWindow()
    edit.setFocus()
    assert edit.hasFocus()
    QTest.keyClick(edit, Qt.Key.Key_Tab)
    gui.run(gui.vm.tasks.wait_idle())
    assert not edit.hasFocus(), "Tab leaves the box, as on every other control"
    assert edit.text() == "" and gui.vm.hotkeys.bindings()["skip"] == ""
    edit.setFocus()
    QTest.keyClick(edit, Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert not edit.hasFocus(), "Shift+Tab leaves it backwards"
    assert gui.vm.hotkeys.bindings()["skip"] == ""


# --- global, on a real X server ------------------------------------------------------------------

# Another program with the keyboard focus, as OBS would have it mid-stream; it prints the id of
# its window, then every key that reaches it.
FOCUS_HOLDER = """
import sys
from Xlib import X, display
conn = display.Display(sys.argv[1])
screen = conn.screen()
window = screen.root.create_window(0, 0, 640, 480, 0, screen.root_depth,
                                   event_mask=X.KeyPressMask)
window.set_wm_name("OBS stand-in")
window.map()
window.set_input_focus(X.RevertToParent, X.CurrentTime)
conn.sync()
print(window.id, flush=True)
while True:
    event = conn.next_event()
    if event.type == X.KeyPress:
        print("key", event.detail, flush=True)
"""


@dataclass
class OtherProgram:
    """The focus holder, plus an X connection of the test's own to type with (XTest)."""

    proc: subprocess.Popen[str]
    conn: display.Display

    def keycode(self, name: str) -> int:
        return int(self.conn.keysym_to_keycode(XK.string_to_keysym(name)))

    def type(self, *names: str) -> None:
        """Press the keys in order and release them in reverse, like fingers on a keyboard."""
        codes = [self.keycode(name) for name in names]
        for code in codes:
            xtest.fake_input(self.conn, X.KeyPress, code)
        for code in reversed(codes):
            xtest.fake_input(self.conn, X.KeyRelease, code)
        self.conn.sync()

    def keys_it_got(self) -> list[int]:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        return [int(line.split()[1]) for line in out.splitlines() if line.startswith("key ")]


@pytest.fixture
def other_program(xvfb_display: str) -> Iterator[OtherProgram]:
    proc = subprocess.Popen(
        [sys.executable, "-c", FOCUS_HOLDER, xvfb_display],
        stdout=subprocess.PIPE,
        text=True,
    )
    conn = display.Display(xvfb_display)
    try:
        assert proc.stdout is not None
        window_id = int(proc.stdout.readline())
        assert conn.get_input_focus().focus.id == window_id, "the other program has focus"
        yield OtherProgram(proc, conn)
    finally:
        proc.kill()
        proc.communicate(timeout=10)  # reaps it and closes its pipe
        conn.close()


def test_global_hotkeys_skip_and_pause_while_another_program_has_focus(
    xvfb_display: str, other_program: OtherProgram, gui: Gui
) -> None:
    assert gui.vm.hotkeys.use_x11(xvfb_display)
    record(gui, "skip", Qt.Key.Key_F9, CTRL_SHIFT)
    card = record(gui, "pause", Qt.Key.Key_F10, CTRL_SHIFT)
    assert card.scope.text() == GLOBAL_NOTE
    assert gui.vm.hotkeys.problems == {}
    queue = gui.app.alerts
    ws_url = f"http://127.0.0.1:{gui.app.port}/overlay/ws?token={gui.app.tokens.overlay}"
    viewer = User(id="7", login="pixelpaladin", display_name="PixelPaladin")

    async def with_an_alert_box_open() -> None:
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url) as ws:
            subscribe = {"type": "subscribe", "id": "1", "data": {"widget": "alert_box"}}
            await ws.send_str(json.dumps(subscribe))
            await gui.app.ingest.submit(Follow(platform=Platform.TWITCH, user=viewer))
            await until(lambda: queue.state()["now"] is not None, what="an alert on screen")

            other_program.type("Control_L", "Shift_L", "F9")
            await until(lambda: queue.state()["now"] is None, what="the alert skipped")

            other_program.type("Control_L", "Shift_L", "F10")
            await until(lambda: queue.paused, what="alerts paused")
            other_program.type("Control_L", "Shift_L", "F10")
            await until(lambda: not queue.paused, what="alerts resumed")

    gui.run(with_an_alert_box_open())
    got = other_program.keys_it_got()
    assert other_program.keycode("Control_L") in got, "the other program did have the focus"
    assert other_program.keycode("F9") not in got and other_program.keycode("F10") not in got, (
        "a hotkey goes to Streampai Desktop only, not also to the program in front"
    )


def test_a_hotkey_another_program_holds_is_reported_and_the_other_still_works(
    xvfb_display: str, other_program: OtherProgram, gui: Gui, artifacts_dir: Path
) -> None:
    holder = other_program.conn
    f11 = other_program.keycode("F11")
    holder.screen().root.grab_key(
        f11, X.ControlMask | X.Mod1Mask, False, X.GrabModeAsync, X.GrabModeAsync
    )
    holder.sync()
    assert gui.vm.hotkeys.use_x11(xvfb_display)

    card = record(gui, "skip", Qt.Key.Key_F11, CTRL_ALT)
    status = card.statuses["skip"]
    assert status.objectName() == "inlineError" and status.isVisible()
    assert status.text() == (
        "Ctrl+Alt+F11 is taken by another program, so it does nothing here. Choose another "
        "key, or free it in that program."
    )
    assert card.edits["skip"].text() == "Ctrl+Alt+F11", "kept: it works once that program quits"

    record(gui, "pause", Qt.Key.Key_F10, CTRL_SHIFT)
    assert card.statuses["skip"].text().startswith("Ctrl+Alt+F11 is taken"), "still shown"
    assert card.grab().save(str(artifacts_dir / "settings-hotkey-taken.png"))
    other_program.type("Control_L", "Shift_L", "F10")
    gui.run(until(lambda: gui.app.alerts.paused, what="alerts paused"))

    # Once the other program lets go, choosing the key again takes it.
    holder.screen().root.ungrab_key(f11, X.ControlMask | X.Mod1Mask)
    holder.sync()
    card.clear_buttons["skip"].click()
    gui.run(gui.vm.tasks.wait_idle())
    record(gui, "skip", Qt.Key.Key_F11, CTRL_ALT)
    assert gui.vm.hotkeys.problems == {}
    assert card.statuses["skip"].objectName() == "inlineOk"


# python-xlib 0.33 does not close the socket of a connection that failed (unix_connect.py); the
# warning comes when the garbage collector frees it, not from our code.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_no_x_display_means_app_wide_hotkeys_and_says_why(gui: Gui) -> None:
    assert not gui.vm.hotkeys.use_x11(":987")  # nothing listens there
    card = hotkeys_card(gui)
    assert card.scope.text().startswith("Could not reach the X display")
    assert card.scope.text().endswith("work only while Streampai Desktop is focused.")
    record(gui, "pause", Qt.Key.Key_F10, CTRL_SHIFT)
    QTest.keyClick(gui.window, Qt.Key.Key_F10, CTRL_SHIFT)
    assert gui.app.alerts.paused
