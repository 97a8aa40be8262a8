"""Hotkeys as saved text: the forms people (and Qt) write, and the keys that would do harm."""

from __future__ import annotations

import pytest

from streampai_desktop.core.hotkeys import HotkeyError, conflicting_action, normalize_hotkey
from streampai_desktop.settings import Settings, SettingsError


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("", ""),
        ("  ", ""),
        ("Ctrl+Shift+F9", "Ctrl+Shift+F9"),
        ("shift+ctrl+f9", "Ctrl+Shift+F9"),  # Qt's order, so equal hotkeys compare equal
        ("Alt+Meta+Ctrl+s", "Meta+Ctrl+Alt+S"),
        ("Super+P", "Meta+P"),
        ("Ctrl++", "Ctrl++"),  # the plus key itself
        ("Ctrl+,", "Ctrl+,"),
        ("F13", "F13"),
        ("Media Play", "Media Play"),
        ("Ctrl+PgUp", "Ctrl+PgUp"),
    ],
)
def test_hotkeys_are_stored_in_qts_portable_form(text: str, stored: str) -> None:
    assert normalize_hotkey(text) == stored


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("S", "add Ctrl, Alt or Meta"),
        ("Shift+S", "add Ctrl, Alt or Meta"),  # still types a capital S everywhere else
        ("Space", "add Ctrl, Alt or Meta"),
        ("Ctrl+Shift", "add a key"),
        ("Hyper+S", "not a modifier"),
        ("Ctrl+K, Ctrl+C", "one key combination"),
        ("ctrl+c", "copy in every program"),
    ],
)
def test_keys_that_would_break_other_programs_are_refused(text: str, why: str) -> None:
    with pytest.raises(HotkeyError, match=why):
        normalize_hotkey(text)


def test_the_settings_table_validates_hotkeys_and_defaults_to_none() -> None:
    settings = Settings({"hotkey_pause_alerts": "shift+ctrl+f10"}, environ={})
    assert settings.get("hotkey_skip_alert") == ""
    assert settings.get("hotkey_pause_alerts") == "Ctrl+Shift+F10"
    with pytest.raises(SettingsError, match="add Ctrl, Alt or Meta"):
        settings.validate("hotkey_skip_alert", "K")


def test_one_key_cannot_do_two_things() -> None:
    bindings = {"skip": "Ctrl+Shift+F9", "pause": ""}
    clash = conflicting_action("pause", "Ctrl+Shift+F9", bindings)
    assert clash is not None and clash.label == "Skip the alert on screen"
    assert conflicting_action("skip", "Ctrl+Shift+F9", bindings) is None  # its own hotkey
    assert conflicting_action("pause", "", {"skip": "", "pause": ""}) is None
