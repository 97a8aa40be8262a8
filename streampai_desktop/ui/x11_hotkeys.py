"""Global hotkeys on X11: passive key grabs on the root window, read on a thread of their own.

``XGrabKey`` (python-xlib) makes the X server send the key to us whichever window has focus —
OBS included — and tells us when another program already holds the same key (``BadAccess``),
which a key logger approach (XRecord) cannot. The connection is our own, not Qt's, so this
works the same whether Qt itself runs on xcb or not (tests use a separate Xvfb display).

No Qt here: the owner gets ``on_press(action_id)`` on the reader thread and must hand it over to
its own thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import threading
from collections.abc import Callable, Mapping
from typing import Any

from Xlib import XK, X, error
from Xlib.display import Display

from streampai_desktop.core.hotkeys import Hotkey

log = logging.getLogger(__name__)

_MODIFIER_MASKS = {
    "Ctrl": X.ControlMask,
    "Shift": X.ShiftMask,
    "Alt": X.Mod1Mask,
    "Meta": X.Mod4Mask,
}
_RELEVANT = X.ControlMask | X.ShiftMask | X.Mod1Mask | X.Mod4Mask
# Caps Lock and Num Lock are modifiers to X: grab each combination, or the hotkey goes dead
# whenever one of them is on.
_LOCK_VARIANTS = (0, X.LockMask, X.Mod2Mask, X.LockMask | X.Mod2Mask)
# Qt's names for keys that are not characters → X keysyms.
_NAMED_KEYSYMS = {
    "Esc": XK.XK_Escape,
    "Tab": XK.XK_Tab,
    "Backspace": XK.XK_BackSpace,
    "Return": XK.XK_Return,
    "Enter": XK.XK_KP_Enter,
    "Ins": XK.XK_Insert,
    "Del": XK.XK_Delete,
    "Pause": XK.XK_Pause,
    "Print": XK.XK_Print,
    "ScrollLock": XK.XK_Scroll_Lock,
    "Home": XK.XK_Home,
    "End": XK.XK_End,
    "Left": XK.XK_Left,
    "Up": XK.XK_Up,
    "Right": XK.XK_Right,
    "Down": XK.XK_Down,
    "PgUp": XK.XK_Prior,
    "PgDown": XK.XK_Next,
    "Space": XK.XK_space,
    "Media Play": 0x1008FF14,  # XF86AudioPlay
    "Toggle Media Play/Pause": 0x1008FF14,
    "Media Stop": 0x1008FF15,
    "Media Previous": 0x1008FF16,
    "Media Next": 0x1008FF17,
    "Media Pause": 0x1008FF31,
}


def keysym_for(key: str) -> int:
    """The X keysym for a key as Qt names it; 0 when there is none."""
    if key in _NAMED_KEYSYMS:
        return _NAMED_KEYSYMS[key]
    if len(key) == 1:
        code = ord(key.lower())
        # Latin-1 keysyms are the code points; the rest of Unicode sits above 0x01000000.
        return code if 0x20 <= code <= 0xFF else 0x01000000 | code
    return int(XK.string_to_keysym(key))  # F1…F35 and anything X names the way Qt does


class X11Hotkeys:
    """Grabs the hotkeys it is given on one X display and reports presses."""

    def __init__(self, display_name: str | None, on_press: Callable[[str], None]) -> None:
        self._display = Display(display_name)  # Xlib.error.DisplayError when unreachable
        self._root = self._display.screen().root
        self._on_press = on_press
        self._grabs: dict[tuple[int, int], str] = {}  # (keycode, modifier mask) → action id
        self._released_at: dict[int, int] = {}  # keycode → X time of its last release
        self._wake_r, self._wake_w = os.pipe()
        self._thread: threading.Thread | None = None
        self._closed = False

    @property
    def display_name(self) -> str:
        return str(self._display.get_display_name())

    def bind(self, hotkeys: Mapping[str, Hotkey]) -> dict[str, str]:
        """Grab exactly these hotkeys (action id → hotkey); what could not be grabbed and why."""
        self._stop_reader()
        try:
            self._ungrab_all()
            problems = {}
            for action_id, hotkey in hotkeys.items():
                problem = self._grab(action_id, hotkey)
                if problem:
                    log.info("hotkey %s for %s not set: %s", hotkey, action_id, problem)
                    problems[action_id] = problem
            return problems
        finally:
            self._start_reader()

    def close(self) -> None:
        """Release every grab and the connection; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._stop_reader()
        with contextlib.suppress(error.ConnectionClosedError, OSError):
            self._ungrab_all()
            self._display.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # --- grabs ------------------------------------------------------------------------------------

    def _grab(self, action_id: str, hotkey: Hotkey) -> str:
        keysym = keysym_for(hotkey.key)
        keycode = self._display.keysym_to_keycode(keysym) if keysym else 0
        if not keycode:
            return (
                f"{hotkey} is not on this keyboard, so it can't be a hotkey here. Choose another."
            )
        mask = 0
        for modifier in hotkey.modifiers:
            mask |= _MODIFIER_MASKS[modifier]
        catcher = error.CatchError(error.BadAccess)
        for extra in _LOCK_VARIANTS:
            self._root.grab_key(
                keycode, mask | extra, False, X.GrabModeAsync, X.GrabModeAsync, onerror=catcher
            )
        self._display.sync()  # the server's answer (BadAccess) arrives by now
        if catcher.get_error() is not None:
            for extra in _LOCK_VARIANTS:  # the variants that did succeed are ours: give them back
                self._root.ungrab_key(keycode, mask | extra)
            self._display.sync()
            return (
                f"{hotkey} is taken by another program, so it does nothing here. Choose another "
                "key, or free it in that program."
            )
        self._grabs[(keycode, mask)] = action_id
        return ""

    def _ungrab_all(self) -> None:
        for keycode, mask in self._grabs:
            for extra in _LOCK_VARIANTS:
                self._root.ungrab_key(keycode, mask | extra)
        self._grabs.clear()
        self._display.sync()

    # --- the reader thread ------------------------------------------------------------------------

    def _start_reader(self) -> None:
        if self._closed or not self._grabs:
            return
        self._thread = threading.Thread(target=self._read, name="x11-hotkeys", daemon=True)
        self._thread.start()

    def _stop_reader(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        os.write(self._wake_w, b"x")
        thread.join()
        os.read(self._wake_r, 1)

    def _read(self) -> None:
        display = self._display
        try:
            while True:
                # Events the main thread's sync() already read are queued: handle them first.
                while display.pending_events():
                    self._handle(display.next_event())
                ready, _, _ = select.select([display.fileno(), self._wake_r], [], [])
                if self._wake_r in ready:
                    return
        except (error.ConnectionClosedError, OSError) as exc:
            log.info("X display %s closed: global hotkeys stop (%s)", self.display_name, exc)

    def _handle(self, event: Any) -> None:  # a python-xlib event of any kind
        kind = getattr(event, "type", None)
        if kind == X.KeyRelease:
            self._released_at[event.detail] = event.time
        elif kind == X.KeyPress:
            keycode, when = event.detail, event.time
            # X repeats a held key as release + press at the same moment: one press, one action.
            if self._released_at.get(keycode) == when:
                return
            action_id = self._grabs.get((keycode, event.state & _RELEVANT))
            if action_id is not None:
                self._on_press(action_id)
        elif kind == X.MappingNotify:
            self._display.refresh_keyboard_mapping(event)
