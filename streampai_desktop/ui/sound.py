"""Playing an alert sound in the app, for the ▶ button next to a sound setting.

PySide6-Essentials has no QtMultimedia (and the app does not ship a second media stack for one
button), so a sound is played by the player every desktop already has, without a window:

- Windows: ``winsound`` (in the standard library) for WAV files;
- macOS: ``afplay`` (always installed) for WAV, MP3 and the like;
- Linux: ``pw-play`` (PipeWire) or ``paplay`` (PulseAudio) for WAV and OGG, ``ffplay`` for
  anything when it is installed.

Anything else (an MP3 on Windows, a desktop without those tools) opens in the default media
player through ``QDesktopServices``, which always works but shows that player's window.
"""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QUrl
from PySide6.QtGui import QDesktopServices

log = logging.getLogger("streampai_desktop.ui")

PLAYED = "played"
OPENED = "opened in your default player"

# Player → (the formats it plays, its command line for a file at a volume from 0.0 to 1.0).
Command = Callable[[str, float], list[str]]
_PLAYERS: tuple[tuple[str, frozenset[str], Command], ...] = (
    ("afplay", frozenset({"wav", "mp3"}), lambda path, v: ["-v", f"{v:.2f}", path]),
    ("pw-play", frozenset({"wav", "ogg"}), lambda path, v: [f"--volume={v:.2f}", path]),
    ("paplay", frozenset({"wav", "ogg"}), lambda path, v: [f"--volume={round(v * 65536)}", path]),
    (
        "ffplay",
        frozenset({"wav", "ogg", "mp3"}),
        lambda path, v: [
            "-nodisp",
            "-autoexit",
            "-loglevel",
            "quiet",
            "-volume",
            str(round(v * 100)),
            path,
        ],
    ),
)


def find_player(ext: str) -> tuple[str, Command] | None:
    """The first installed command-line player that plays ``ext`` files, or None."""
    for name, formats, command in _PLAYERS:
        if ext in formats:
            found = shutil.which(name)
            if found:
                return found, command
    return None


def open_in_default_player(path: Path) -> bool:
    """Open ``path`` in the desktop's default player (a module function: tests replace it)."""
    return bool(QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))


class SoundPlayer(QObject):
    """Plays one sound at a time; a new one stops the one playing."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._process: QProcess | None = None

    def play(self, path: Path, volume: int = 100) -> str:
        """Start playing ``path`` at ``volume`` (0 to 100); what happened (:data:`PLAYED` or
        :data:`OPENED`). OSError when nothing could play it."""
        self.stop()
        level = min(max(volume, 0), 100) / 100
        ext = path.suffix.lower().lstrip(".")
        if sys.platform == "win32" and ext == "wav":
            import winsound  # only on Windows

            winsound.PlaySound(
                str(path), winsound.SND_FILENAME | winsound.SND_ASYNC | winsound.SND_NODEFAULT
            )
            return PLAYED
        player = find_player(ext)
        if player is not None:
            program, command = player
            process = QProcess(self)
            process.start(program, command(str(path), level))
            self._process = process
            log.debug("playing %s with %s", path.name, program)
            return PLAYED
        if open_in_default_player(path):
            return OPENED
        raise OSError(f"Nothing on this computer could play {path.name}.")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.state() != QProcess.ProcessState.NotRunning:
                process.kill()
                process.waitForFinished(1000)
            process.deleteLater()
        if sys.platform == "win32":
            import winsound

            winsound.PlaySound(None, 0)
