"""The hotkeys for the alert queue: skip the alert on screen, pause or resume alerts.

On an X11 desktop they are global (``x11_hotkeys``): they work while OBS or a game has focus,
which is the point mid-stream. Where a program cannot take keys from the others (Wayland) or no
global way is built yet (Windows, macOS), they fall back to application-wide shortcuts, and
:attr:`Hotkeys.scope_note` says so for the Settings page.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from streampai_desktop.core.alerts import AlertQueue
from streampai_desktop.core.hotkeys import Hotkey, parse_hotkey
from streampai_desktop.preferences import Preferences

if TYPE_CHECKING:
    from streampai_desktop.ui.x11_hotkeys import X11Hotkeys

log = logging.getLogger(__name__)

GLOBAL_NOTE = "These work in every program, also while OBS or a game is in front."
WAYLAND_NOTE = (
    "Wayland does not let programs take keys from other programs, so these work only while "
    "Streampai Desktop is focused."
)
LOCAL_NOTE = "On this system these work only while Streampai Desktop is focused."


def global_unavailable(platform: str, environ: Mapping[str, str]) -> str | None:
    """None when global (X11) hotkeys can be used here, else what the Settings page says."""
    wayland = bool(environ.get("WAYLAND_DISPLAY")) or environ.get("XDG_SESSION_TYPE") == "wayland"
    if platform == "wayland" or (platform == "xcb" and wayland):
        # Under XWayland a grab only sees keys while another X11 window has focus, and OBS
        # usually runs natively: a hotkey that works sometimes is worse than an honest one.
        return WAYLAND_NOTE
    if platform == "xcb" and environ.get("DISPLAY"):
        return None
    return LOCAL_NOTE


class Hotkeys(QObject):
    """Registers the saved hotkeys, re-registers them on change, and acts on a press."""

    changed = Signal()  # bindings, problems or scope changed: the Settings page refreshes
    triggered = Signal(str)  # an action id, after acting on a press
    _pressed = Signal(str)  # from the X11 reader thread; queued onto this object's thread

    def __init__(
        self, preferences: Preferences, alerts: AlertQueue, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._preferences = preferences
        self._alerts = alerts
        self._actions: dict[str, Callable[[], None]] = {
            "skip": alerts.skip,
            "pause": self._toggle_pause,
        }
        self._x11: X11Hotkeys | None = None  # while global hotkeys are in use
        self._x11_display: str | None = None  # the X display to grab keys on, once one is set
        self._host: QWidget | None = None
        self._shortcuts: list[QShortcut] = []
        self._suspended = False
        self.scope_note = LOCAL_NOTE
        self.problems: dict[str, str] = {}  # action id → why its hotkey does nothing
        self._pressed.connect(self._trigger, Qt.ConnectionType.QueuedConnection)

    @property
    def is_global(self) -> bool:
        return self._x11 is not None or self._x11_display is not None

    def start(self) -> None:
        """Choose global or application-wide hotkeys for this desktop, and register them."""
        reason = global_unavailable(QGuiApplication.platformName(), os.environ)
        if reason is None:
            # The X connection (and its reader thread) waits for the first hotkey: most
            # streamers set none, and start-up should not pay for it.
            self._x11_display = os.environ.get("DISPLAY")
            self.scope_note = GLOBAL_NOTE
        else:
            self.scope_note = reason
        self.apply()

    def use_x11(self, display_name: str | None) -> bool:
        """Use global hotkeys on this X display (false, and app-wide ones, if unreachable)."""
        self._close_x11()
        self._x11_display = display_name
        self._connect_x11()
        self.apply()
        return self.is_global

    def _connect_x11(self) -> None:
        from Xlib.error import DisplayError  # python-xlib only where X11 is in use

        from streampai_desktop.ui.x11_hotkeys import X11Hotkeys

        try:
            self._x11 = X11Hotkeys(self._x11_display, self._pressed.emit)
        except (DisplayError, OSError) as exc:
            log.info("global hotkeys unavailable on X display %s: %s", self._x11_display, exc)
            self._x11_display = None
            self.scope_note = (
                f"Could not reach the X display ({exc}), so these work only while Streampai "
                "Desktop is focused."
            )
        else:
            self.scope_note = GLOBAL_NOTE

    def attach(self, host: QWidget) -> None:
        """The window that carries the application-wide shortcuts when hotkeys are not global."""
        self._host = host
        self.apply()

    def bindings(self) -> dict[str, str]:
        """Each action's saved hotkey ("" for none)."""
        return self._preferences.hotkeys()

    async def set_hotkey(self, action_id: str, text: str) -> str:
        """Save and register one hotkey; SettingsError (nothing changed) for the page."""
        saved = await self._preferences.save_hotkey(action_id, text)
        self.apply()
        return saved

    def suspend(self, on: bool) -> None:
        """Let keys through while the Settings page records one (a grabbed key never would)."""
        if on != self._suspended:
            self._suspended = on
            self.apply()

    def apply(self) -> None:
        """Register the saved hotkeys again (after a change, a new host, or a resume)."""
        hotkeys: dict[str, Hotkey] = {}
        for action_id, text in self.bindings().items():
            hotkey = parse_hotkey(text)  # saved values were validated on the way in
            if hotkey is not None:
                hotkeys[action_id] = hotkey
        if hotkeys and self._x11 is None and self._x11_display is not None:
            self._connect_x11()
        if self._suspended:
            self._clear_shortcuts()
            if self._x11 is not None:
                self._x11.bind({})  # keep the problems shown: the same keys come back after
            return
        if self._x11 is not None:
            self.problems = self._x11.bind(hotkeys)
        else:
            self.problems = {}
            self._bind_shortcuts(hotkeys)
        self.changed.emit()

    def close(self) -> None:
        """Release every hotkey (the app is quitting); safe to call twice."""
        self._x11_display = None  # nothing may connect again
        self._close_x11()
        self._clear_shortcuts()

    # --- internals --------------------------------------------------------------------------------

    def _trigger(self, action_id: str) -> None:
        log.info("hotkey: %s", action_id)
        self._actions[action_id]()
        self.triggered.emit(action_id)

    def _toggle_pause(self) -> None:
        # The queue itself, not a view-model's copy of its last notice: two quick presses must
        # pause and resume, not pause twice.
        if self._alerts.paused:
            self._alerts.resume()
        else:
            self._alerts.pause()

    def _bind_shortcuts(self, hotkeys: Mapping[str, Hotkey]) -> None:
        self._clear_shortcuts()
        if self._host is None:
            return  # no window yet: attach() registers them
        for action_id, hotkey in hotkeys.items():
            shortcut = QShortcut(QKeySequence(str(hotkey)), self._host)
            # Any window of the app (the main one, the About dialog), not just the page on show.
            shortcut.setContext(Qt.ShortcutContext.ApplicationShortcut)
            shortcut.activated.connect(lambda a=action_id: self._trigger(a))
            self._shortcuts.append(shortcut)

    def _clear_shortcuts(self) -> None:
        for shortcut in self._shortcuts:
            if shiboken6.isValid(shortcut):  # gone already when its window was deleted first
                shortcut.setEnabled(False)
                shortcut.deleteLater()
        self._shortcuts.clear()

    def _close_x11(self) -> None:
        if self._x11 is not None:
            self._x11.close()
            self._x11 = None
