"""The "Start with my computer" setting: the login entry, written, read back and removed."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from streampai_desktop import autostart
from streampai_desktop.autostart import (
    LaunchAgentAutostart,
    RegistryAutostart,
    XdgAutostart,
    desktop_entry,
    launch_agent_plist,
    windows_run_value,
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("APPIMAGE", raising=False)
    return tmp_path


def exec_args(entry: str) -> list[str]:
    """The argv a desktop runs for the entry's Exec line, decoded as the XDG spec reads it:
    string escapes first, then double-quoted arguments with ``\\`` before ``"`$\\``."""
    line = next(x for x in entry.splitlines() if x.startswith("Exec="))
    value = line.removeprefix("Exec=").replace("\\\\", "\\")
    args: list[str] = []
    current: str | None = None
    quoted = escaped = False
    for ch in value:
        if escaped:
            current = (current or "") + ch
            escaped = False
        elif quoted and ch == "\\":
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current = current or ""
        elif ch == " " and not quoted:
            if current is not None:
                args.append(current)
            current = None
        else:
            current = (current or "") + ch
    if current is not None:
        args.append(current)
    return [arg.replace("%%", "%") for arg in args]


def test_linux_entry_goes_to_the_users_autostart_folder(home: Path) -> None:
    xdg = XdgAutostart()
    assert xdg.path == home / ".config" / "autostart" / "streampai-desktop.desktop"
    assert not xdg.is_enabled()
    xdg.enable(["/opt/streampai/streampai-desktop"])
    assert xdg.is_enabled()
    text = xdg.path.read_text()
    assert "[Desktop Entry]" in text and "Type=Application" in text
    assert "Exec=/opt/streampai/streampai-desktop\n" in text
    xdg.disable()
    assert not xdg.is_enabled() and not xdg.path.exists()
    xdg.disable()  # already off: no error


def test_xdg_config_home_wins_when_absolute(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "cfg"))
    assert XdgAutostart().path == home / "cfg" / "autostart" / "streampai-desktop.desktop"
    monkeypatch.setenv("XDG_CONFIG_HOME", "relative/cfg")  # the spec says: ignore it
    assert XdgAutostart().path == home / ".config" / "autostart" / "streampai-desktop.desktop"


def test_the_module_api_uses_this_os(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(autostart.sys, "platform", "linux")
    autostart.set_enabled(True)
    assert autostart.is_enabled()
    assert exec_args(XdgAutostart().path.read_text()) == autostart.launch_command()
    autostart.set_enabled(False)
    assert not autostart.is_enabled()


def test_a_desktop_settings_panel_can_switch_it_off(home: Path) -> None:
    xdg = XdgAutostart()
    xdg.enable(["streampai-desktop"])
    xdg.path.write_text(xdg.path.read_text() + "Hidden=true\n")
    assert not xdg.is_enabled()
    xdg.enable(["streampai-desktop"])  # switching it on again in the app rewrites the entry
    xdg.path.write_text(
        xdg.path.read_text().replace("Autostart-enabled=true", "Autostart-enabled=false")
    )
    assert not xdg.is_enabled()


@pytest.mark.parametrize(
    "command",
    [
        ["/home/me/My Apps/streampai-desktop"],
        ["/opt/odd $dir/`x`/back\\slash/streampai-desktop", "--data-dir", '/data/100% "fun"'],
        ["/usr/bin/python3", "-m", "streampai_desktop"],
    ],
)
def test_exec_line_quotes_what_the_spec_says(command: list[str]) -> None:
    assert exec_args(desktop_entry(command)) == command


def test_appimage_autostarts_the_appimage_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPIMAGE", "/home/me/Apps/Streampai_Desktop.AppImage")
    assert autostart.launch_command() == ["/home/me/Apps/Streampai_Desktop.AppImage"]


def test_frozen_build_autostarts_its_own_executable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("APPIMAGE", raising=False)
    exe = tmp_path / "streampai-desktop"
    exe.touch()
    monkeypatch.setattr(autostart.sys, "frozen", True, raising=False)
    monkeypatch.setattr(autostart.sys, "executable", str(exe))
    assert autostart.launch_command() == [str(exe.resolve())]


def test_macos_launch_agent_content() -> None:
    command = ["/Applications/Streampai Desktop.app/Contents/MacOS/streampai-desktop"]
    data = plistlib.loads(launch_agent_plist(command))
    assert data == {
        "Label": "com.streampai.desktop",
        "ProgramArguments": command,
        "RunAtLoad": True,
        "KeepAlive": False,
        "LimitLoadToSessionType": "Aqua",
        "ProcessType": "Interactive",
    }


def test_macos_launch_agent_file(home: Path) -> None:
    agent = LaunchAgentAutostart()
    assert agent.path == home / "Library" / "LaunchAgents" / "com.streampai.desktop.plist"
    agent.enable(["/Applications/Streampai Desktop.app/Contents/MacOS/streampai-desktop"])
    assert agent.is_enabled()
    agent.disable()
    assert not agent.is_enabled()


class FakeWinreg:
    """The part of :mod:`winreg` the Windows backend uses, over a dict."""

    HKEY_CURRENT_USER = "HKCU"
    KEY_SET_VALUE = 2
    REG_SZ = 1

    def __init__(self) -> None:
        self.keys: dict[str, dict[str, str]] = {}

    class _Key:
        def __init__(self, values: dict[str, str]) -> None:
            self.values = values

        def __enter__(self) -> FakeWinreg._Key:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

    def OpenKey(self, root: str, sub: str, *_: object) -> _Key:
        if sub not in self.keys:
            raise FileNotFoundError(sub)
        return self._Key(self.keys[sub])

    def CreateKey(self, root: str, sub: str) -> _Key:
        return self._Key(self.keys.setdefault(sub, {}))

    def QueryValueEx(self, key: _Key, name: str) -> tuple[str, int]:
        if name not in key.values:
            raise FileNotFoundError(name)
        return key.values[name], self.REG_SZ

    def SetValueEx(self, key: _Key, name: str, _reserved: int, _kind: int, value: str) -> None:
        key.values[name] = value

    def DeleteValue(self, key: _Key, name: str) -> None:
        if name not in key.values:
            raise FileNotFoundError(name)
        del key.values[name]


def test_windows_run_value_round_trip() -> None:
    reg = FakeWinreg()
    run = RegistryAutostart(reg)
    assert not run.is_enabled()
    exe = r"C:\Users\Me\AppData\Local\Programs\Streampai Desktop\streampai-desktop.exe"
    run.enable([exe])
    assert run.is_enabled()
    assert reg.keys[autostart.RUN_KEY]["Streampai Desktop"] == f'"{exe}"'
    run.disable()
    assert not run.is_enabled()
    run.disable()


def test_windows_value_quotes_arguments() -> None:
    assert windows_run_value([r"C:\a b\x.exe", "--data-dir", r"D:\d"]) == (
        r'"C:\a b\x.exe" --data-dir D:\d'
    )
