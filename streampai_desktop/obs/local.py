"""Is OBS running on this computer? Tells "OBS is not running" from "OBS runs but its WebSocket
server is off" when nothing answers on the port, so the streamer gets the right thing to do.

Best effort and cheap: a process list, no OBS files read. A wrong answer only picks the less
fitting of two messages; it never blocks a connection.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
from pathlib import Path

# Executable names of OBS Studio: Linux (distribution packages, Flatpak and the PPA all run
# `obs`), macOS (`OBS` inside OBS.app) and Windows (`obs64.exe`; `obs32.exe` before OBS 28).
_LINUX_NAMES = frozenset({"obs"})
_MAC_NAMES = frozenset({"obs"})
_WINDOWS_NAMES = frozenset({"obs64.exe", "obs32.exe", "obs.exe"})


def is_local_host(host: str) -> bool:
    """``localhost`` or a loopback address: OBS would be running on this computer."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def obs_process_running() -> bool:
    """Whether an OBS Studio process runs on this computer (False when it cannot be told)."""
    try:
        if sys.platform.startswith("linux"):
            return _linux_running(Path("/proc"))
        if sys.platform == "darwin":
            out = _run(["ps", "-axco", "comm"])
            return any(line.strip().lower() in _MAC_NAMES for line in out.splitlines())
        if sys.platform == "win32":
            out = _run(["tasklist", "/FO", "CSV", "/NH"])
            names = (line.split(",", 1)[0].strip('"').lower() for line in out.splitlines())
            return any(name in _WINDOWS_NAMES for name in names)
    except (OSError, subprocess.SubprocessError):
        return False
    return False


def _linux_running(proc: Path) -> bool:
    own_uid = os.getuid()
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # The streamer's own OBS: another user's OBS could not be the one they configure.
            if entry.stat().st_uid != own_uid:
                continue
            if (entry / "comm").read_text("utf-8", "replace").strip() in _LINUX_NAMES:
                return True
        except OSError:
            continue  # the process ended while we looked
    return False


def _run(argv: list[str]) -> str:
    # No console window flashing up from the windowed app on Windows.
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0)
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=5, check=False, creationflags=flags
    ).stdout
