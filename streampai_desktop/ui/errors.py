"""Stray exceptions become a log entry and one dialog, never a crash to the desktop.

Both ways an exception can escape — a Qt slot (``sys.excepthook``) and an asyncio task or callback
(the loop's exception handler) — end up in :meth:`ErrorReporter.report`, which logs through
``core.errors.report`` (the one place that words errors for the streamer) and shows a dialog. While
a dialog is open, further errors only bump a counter in it: a failure that repeats every frame must
not bury the desktop under a hundred dialogs.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from streampai_desktop.core.errors import UserMessage, report

log = logging.getLogger("streampai_desktop.ui")

ExceptHook = Callable[[type[BaseException], BaseException, TracebackType | None], Any]


class ErrorReporter:
    """Logs unexpected exceptions and shows them in a single, coalescing dialog."""

    def __init__(self, parent: Callable[[], QWidget | None] = lambda: None) -> None:
        self._parent = parent
        self._box: QMessageBox | None = None
        self._more = 0
        self._previous_hook: ExceptHook | None = None
        self.reported: list[UserMessage] = []  # what was shown, newest last (tests read it)

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        """Catch exceptions from Qt slots and from the asyncio loop."""
        self._previous_hook = sys.excepthook
        sys.excepthook = self.excepthook
        loop.set_exception_handler(self.loop_exception_handler)

    def uninstall(self, loop: asyncio.AbstractEventLoop) -> None:
        if self._previous_hook is not None:
            sys.excepthook = self._previous_hook
            self._previous_hook = None
        if not loop.is_closed():
            loop.set_exception_handler(None)
        self.close_dialog()

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            sys.__excepthook__(exc_type, exc, tb)
            return
        if exc.__traceback__ is None and tb is not None:
            exc = exc.with_traceback(tb)
        self.report(exc, "handling a window action")

    def loop_exception_handler(
        self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]
    ) -> None:
        exc = context.get("exception")
        message = context.get("message") or "unhandled error in the event loop"
        if isinstance(exc, asyncio.CancelledError):
            return
        if not isinstance(exc, BaseException):
            # No exception object: asyncio housekeeping ("unclosed transport" and the like) —
            # worth a log line for us, not a dialog for the streamer.
            log.error("%s", message)
            return
        self.report(exc, message)

    def report(self, exc: BaseException, context: str = "") -> None:
        """Log ``exc`` and show it (or count it into the dialog already on screen)."""
        try:
            message = report(exc, context)
            self.reported.append(message)
            self._show(message)
        except Exception:  # the reporter itself must never raise into Qt or asyncio
            log.exception("could not show an error dialog")

    def _show(self, message: UserMessage) -> None:
        if self._box is not None:
            self._more += 1
            self._box.setInformativeText(
                f"{self._more} more error(s) happened since. The details are in the log file."
            )
            return
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            message.title,
            message.text,
            QMessageBox.StandardButton.Ok,
            self._parent(),
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._dialog_closed)
        self._box = box
        self._more = 0
        # open(), not exec(): a nested event loop inside a running asyncio callback would let
        # other tasks run re-entrantly.
        box.open()

    def _dialog_closed(self, _result: int = 0) -> None:
        self._box = None
        self._more = 0

    def close_dialog(self) -> None:
        if self._box is not None:
            box, self._box = self._box, None
            box.done(0)
