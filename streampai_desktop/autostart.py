"""The "Start with my computer" setting: the OS's own per-user autostart entry, on or off.

* Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/streampai-desktop.desktop``.
* Windows: the ``Streampai Desktop`` value under ``HKCU\\Software\\Microsoft\\Windows\\
  CurrentVersion\\Run`` (the Inno Setup installer's "start when I sign in" task writes the same
  value, so the installer and the app's checkbox agree).
* macOS: a LaunchAgent, ``~/Library/LaunchAgents/com.streampai.desktop.plist``, loaded at login.

The OS reads these entries, not the app, so the state is whatever the entry says: the checkbox
reflects a change the streamer made in their desktop's own settings too. Everything here is
blocking but fast (one small file or one registry value); no Qt.
"""

from __future__ import annotations

import os
import plistlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

APP_NAME = "Streampai Desktop"
ENTRY_NAME = "streampai-desktop"  # the .desktop file's name, matching the app's desktop file
LAUNCH_AGENT_LABEL = "com.streampai.desktop"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command() -> list[str]:
    """How the OS should start this app: the frozen program, the AppImage, or the console script."""
    appimage = os.environ.get("APPIMAGE")
    if appimage:  # the AppImage runtime's mount point changes every run; the file does not
        return [appimage]
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.executable).with_name(
        "streampai-desktop.exe" if sys.platform == "win32" else "streampai-desktop"
    )
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "streampai_desktop"]


# --- entry contents (pure functions) -----------------------------------------------------------

_DESKTOP_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _desktop_exec_arg(arg: str) -> str:
    """One argument of a desktop entry's ``Exec`` key, quoted as the XDG spec asks."""
    arg = arg.replace("%", "%%")  # field codes start with %
    if not arg or any(ch in _DESKTOP_RESERVED for ch in arg):
        escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
        arg = f'"{escaped}"'
    # The value itself is a string value: its backslashes are escaped once more.
    return arg.replace("\\", "\\\\")


def desktop_entry(command: Sequence[str]) -> str:
    """The XDG autostart ``.desktop`` file that runs ``command`` at login."""
    exec_line = " ".join(_desktop_exec_arg(arg) for arg in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        "Comment=Alerts, chat and overlays for your live stream\n"
        f"Exec={exec_line}\n"
        f"Icon={ENTRY_NAME}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def launch_agent_plist(command: Sequence[str]) -> bytes:
    """The macOS LaunchAgent property list that runs ``command`` once at login."""
    return plistlib.dumps(
        {
            "Label": LAUNCH_AGENT_LABEL,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            # Not a daemon: started once per login, in the user's GUI session, never restarted.
            "KeepAlive": False,
            "LimitLoadToSessionType": "Aqua",
            "ProcessType": "Interactive",
        }
    )


def windows_run_value(command: Sequence[str]) -> str:
    """The ``Run`` registry value: a command line with Windows quoting."""
    return subprocess.list2cmdline(list(command))


# --- per-OS backends ---------------------------------------------------------------------------


class Backend(Protocol):
    def is_enabled(self) -> bool: ...
    def enable(self, command: Sequence[str]) -> None: ...
    def disable(self) -> None: ...


def _home() -> Path:
    home = os.environ.get("HOME")
    return Path(home) if home else Path.home()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class XdgAutostart:
    """Linux/BSD desktops following the XDG autostart spec."""

    @property
    def path(self) -> Path:
        config = os.environ.get("XDG_CONFIG_HOME", "")
        # The spec says to ignore a relative XDG_CONFIG_HOME.
        base = Path(config) if os.path.isabs(config) else _home() / ".config"
        return base / "autostart" / f"{ENTRY_NAME}.desktop"

    def is_enabled(self) -> bool:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, UnicodeDecodeError):
            return False
        keys = dict(
            line.split("=", 1) for line in text.splitlines() if "=" in line and line[0] != "#"
        )
        # Desktop settings panels switch an entry off with one of these instead of deleting it.
        return (
            keys.get("Hidden", "false").strip() != "true"
            and keys.get("X-GNOME-Autostart-enabled", "true").strip() != "false"
        )

    def enable(self, command: Sequence[str]) -> None:
        _write_atomically(self.path, desktop_entry(command).encode("utf-8"))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class LaunchAgentAutostart:
    """macOS: a per-user LaunchAgent (read by launchd at the next login)."""

    @property
    def path(self) -> Path:
        return _home() / "Library" / "LaunchAgents" / f"{LAUNCH_AGENT_LABEL}.plist"

    def is_enabled(self) -> bool:
        try:
            data = plistlib.loads(self.path.read_bytes())
        except (FileNotFoundError, plistlib.InvalidFileException, ValueError):
            return False
        return bool(data.get("RunAtLoad")) and not data.get("Disabled", False)

    def enable(self, command: Sequence[str]) -> None:
        _write_atomically(self.path, launch_agent_plist(command))

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


class RegistryAutostart:
    """Windows: a value under the current user's ``Run`` key (no admin rights needed)."""

    def __init__(self, registry: Any = None) -> None:
        if registry is None:
            import winreg as registry
        self._reg = registry

    def is_enabled(self) -> bool:
        try:
            with self._reg.OpenKey(self._reg.HKEY_CURRENT_USER, RUN_KEY) as key:
                value, _kind = self._reg.QueryValueEx(key, APP_NAME)
        except OSError:  # FileNotFoundError: no key or no value
            return False
        return bool(value)

    def enable(self, command: Sequence[str]) -> None:
        with self._reg.CreateKey(self._reg.HKEY_CURRENT_USER, RUN_KEY) as key:
            self._reg.SetValueEx(key, APP_NAME, 0, self._reg.REG_SZ, windows_run_value(command))

    def disable(self) -> None:
        try:
            with self._reg.OpenKey(
                self._reg.HKEY_CURRENT_USER, RUN_KEY, 0, self._reg.KEY_SET_VALUE
            ) as key:
                self._reg.DeleteValue(key, APP_NAME)
        except FileNotFoundError:
            pass


def backend(platform: str | None = None) -> Backend:
    """The autostart mechanism for ``platform`` (default: this OS)."""
    platform = platform or sys.platform
    if platform == "win32":
        return RegistryAutostart()
    if platform == "darwin":
        return LaunchAgentAutostart()
    return XdgAutostart()


# --- the API the UI uses -----------------------------------------------------------------------


def is_enabled() -> bool:
    """Whether the app starts when the streamer signs in."""
    return backend().is_enabled()


def enable(command: Sequence[str] | None = None) -> None:
    """Start the app at login (``command`` defaults to :func:`launch_command`)."""
    backend().enable(list(command) if command else launch_command())


def disable() -> None:
    """Stop starting the app at login. Fine to call when it is already off."""
    backend().disable()


def set_enabled(on: bool, command: Sequence[str] | None = None) -> None:
    """``enable(command)`` or ``disable()``: what the checkbox calls."""
    if on:
        enable(command)
    else:
        disable()
