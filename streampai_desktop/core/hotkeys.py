"""Hotkeys as text: which actions have one, how a key combination is written, what is refused.

A hotkey is stored the way Qt writes a key sequence in its portable form ("Ctrl+Shift+F9"), so the
Settings page's key recorder and the saved preference read the same. Parsing lives here, free of
Qt, because the settings table validates saved values without a GUI (headless runs, the CLI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Qt's order in a portable key sequence; stored text uses it so equal hotkeys compare equal.
MODIFIERS = ("Meta", "Ctrl", "Alt", "Shift")
_ALIASES = {
    "meta": "Meta",
    "super": "Meta",
    "win": "Meta",
    "ctrl": "Ctrl",
    "control": "Ctrl",
    "alt": "Alt",
    "shift": "Shift",
}
# Keys that type nothing, so grabbing them alone does not break typing in every other program.
_FUNCTION_KEY = re.compile(r"F([1-9]|[12][0-9]|3[0-5])", re.IGNORECASE)
_ALONE_OK = frozenset(
    {
        "Pause",
        "Print",
        "ScrollLock",
        "Media Play",
        "Media Pause",
        "Toggle Media Play/Pause",
        "Media Stop",
        "Media Next",
        "Media Previous",
    }
)
# Shortcuts every program relies on: taking them globally would break copy, paste, … everywhere.
_EVERYWHERE = {
    "Ctrl+C": "copy",
    "Ctrl+V": "paste",
    "Ctrl+X": "cut",
    "Ctrl+Z": "undo",
    "Ctrl+A": "select all",
    "Ctrl+S": "save",
    "Alt+Tab": "switching windows",
    "Alt+F4": "closing windows",
}


class HotkeyError(ValueError):
    """A hotkey that cannot be used; the message says why, for the Settings page."""


@dataclass(frozen=True, slots=True)
class HotkeyAction:
    """Something a hotkey does; ``setting`` is its key in the settings table."""

    id: str
    setting: str
    label: str  # "Skip the alert on screen": the Settings page's row title


HOTKEY_ACTIONS = (
    HotkeyAction("skip", "hotkey_skip_alert", "Skip the alert on screen"),
    HotkeyAction("pause", "hotkey_pause_alerts", "Pause or resume alerts"),
)
ACTIONS = {action.id: action for action in HOTKEY_ACTIONS}


@dataclass(frozen=True, slots=True)
class Hotkey:
    """One key with its modifiers (``modifiers`` in :data:`MODIFIERS` order)."""

    modifiers: tuple[str, ...]
    key: str

    def __str__(self) -> str:
        return "+".join((*self.modifiers, self.key))


def _key_name(text: str) -> str:
    if len(text) == 1:
        return text.upper()
    if _FUNCTION_KEY.fullmatch(text):
        return text.upper()
    return text


def parse_hotkey(text: str) -> Hotkey | None:
    """``"ctrl+shift+f9"`` → ``Hotkey(("Ctrl", "Shift"), "F9")``; empty text → None (no hotkey).

    Raises :class:`HotkeyError` for a hotkey that would do harm as a global one: a typing key
    without Ctrl, Alt or Meta, or a shortcut every program uses.
    """
    rest = text.strip()
    if not rest:
        return None
    if ", " in rest:  # how Qt writes a sequence of several key combinations
        raise HotkeyError("use one key combination, not a sequence of several")
    found: set[str] = set()
    while "+" in rest[:-1]:  # "Ctrl++" is Ctrl with the plus key: the last "+" is the key
        head, _sep, tail = rest.partition("+")
        modifier = _ALIASES.get(head.strip().lower())
        if modifier is None:
            raise HotkeyError(f"{head.strip()!r} is not a modifier (Ctrl, Alt, Shift or Meta)")
        found.add(modifier)
        rest = tail
    key = _key_name(rest.strip())
    if not key or key.lower() in _ALIASES:
        raise HotkeyError("add a key to the modifiers (for example Ctrl+Alt+S)")
    hotkey = Hotkey(tuple(m for m in MODIFIERS if m in found), key)
    if not found & {"Meta", "Ctrl", "Alt"} and not (
        _FUNCTION_KEY.fullmatch(key) or key in _ALONE_OK
    ):
        raise HotkeyError(
            f"{hotkey} would stop that key working in every other program: add Ctrl, Alt or "
            "Meta (only F-keys and media keys work alone)"
        )
    if (use := _EVERYWHERE.get(str(hotkey))) is not None:
        raise HotkeyError(f"{hotkey} is {use} in every program; choose another")
    return hotkey


def normalize_hotkey(text: str) -> str:
    """The stored form of ``text`` ("" for none); raises :class:`HotkeyError`."""
    hotkey = parse_hotkey(text)
    return "" if hotkey is None else str(hotkey)


def conflicting_action(action_id: str, text: str, bindings: dict[str, str]) -> HotkeyAction | None:
    """The other action that already has ``text`` as its hotkey, if any."""
    if not text:
        return None
    for other, bound in bindings.items():
        if other != action_id and bound == text:
            return ACTIONS[other]
    return None
