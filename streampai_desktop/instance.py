"""One running app per data folder: an OS file lock plus a small note of who holds it.

The lock (``streampai.lock``) is released by the OS when the process dies, so a crash never leaves
a stale lock behind. ``instance.json`` beside it records the holder's pid and overlay port, which
``streampai-desktop urls`` reads to print the URLs of the running app, and which a second
instance uses to tell the user where the first one is.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from streampai_desktop.core.errors import EXIT_ALREADY_RUNNING, UserFacingError

LOCK_NAME = "streampai.lock"
INFO_NAME = "instance.json"


@dataclass(frozen=True, slots=True)
class InstanceInfo:
    pid: int
    port: int
    headless: bool
    started_at: str


class AlreadyRunningError(UserFacingError):
    title = "Already running"
    exit_code = EXIT_ALREADY_RUNNING

    def __init__(self, data_dir: Path, info: InstanceInfo | None) -> None:
        self.info = info
        where = f" (process {info.pid}, overlay port {info.port})" if info else ""
        super().__init__(
            f"Streampai Desktop is already running for the data folder {data_dir}{where}. "
            "Use that window (or its tray icon), or start this one with another --data-dir."
        )


def read_info(data_dir: Path) -> InstanceInfo | None:
    try:
        raw = json.loads((data_dir / INFO_NAME).read_text(encoding="utf-8"))
        return InstanceInfo(
            int(raw["pid"]), int(raw["port"]), bool(raw["headless"]), str(raw["started_at"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def running_instance(data_dir: Path) -> InstanceInfo | None:
    """The app running on ``data_dir`` right now, or None."""
    lock = FileLock(data_dir / LOCK_NAME, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return read_info(data_dir)
    except OSError:
        return None
    lock.release()
    return None


class InstanceLock:
    """Held for the app's lifetime; :class:`AlreadyRunningError` if another process holds it."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._lock = FileLock(data_dir / LOCK_NAME, timeout=0)

    def acquire(self) -> None:
        try:
            self._lock.acquire()
        except Timeout:
            raise AlreadyRunningError(self.data_dir, read_info(self.data_dir)) from None

    def publish(self, port: int, headless: bool) -> None:
        """Record who holds the lock and on which port (after the server is listening)."""
        info = InstanceInfo(os.getpid(), port, headless, datetime.now(UTC).isoformat())
        tmp = self.data_dir / (INFO_NAME + ".tmp")
        tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
        os.replace(tmp, self.data_dir / INFO_NAME)

    def release(self) -> None:
        if self._lock.is_locked:
            with contextlib.suppress(OSError):
                (self.data_dir / INFO_NAME).unlink(missing_ok=True)
            self._lock.release()


def raise_running_window(data_dir: Path, info: InstanceInfo, timeout: float = 3.0) -> bool:
    """Ask the running app, through its local API, to bring its window to the front."""
    import urllib.request

    from streampai_desktop.secrets import API_TOKEN, open_secret_store

    token = open_secret_store(data_dir).get_blocking(API_TOKEN)
    if not token:
        return False
    if sys.platform == "win32":  # Windows lets only the foreground process hand focus on
        import ctypes

        ctypes.windll.user32.AllowSetForegroundWindow(info.pid)  # type: ignore[attr-defined]
    request = urllib.request.Request(
        f"http://127.0.0.1:{info.port}/api/v1/window/raise",
        data=b"{}",
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(response.status == 204)
    except OSError:  # not answering (starting up, hung): fall back to "already running"
        return False
