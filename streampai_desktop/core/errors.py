"""One place that turns exceptions into what the streamer is told.

Errors the app expects (port taken, second instance, damaged secrets file, disk full) carry their
own title and exit code; anything else becomes "Something went wrong" with the details in the log.
The GUI shows :func:`describe`'s result in a dialog; headless mode prints it and exits
with its code.
"""

from __future__ import annotations

import errno
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


class UserFacingError(Exception):
    """An error whose message is written for the streamer (say what happened and what to do)."""

    title = "Streampai Desktop"
    exit_code = 1


@dataclass(frozen=True, slots=True)
class UserMessage:
    title: str
    text: str
    exit_code: int


# Exit codes, documented in the README ("Exit codes"). The app: 0 ok, 1 unexpected, 2 usage or
# config, 3 port in use, 4 another instance runs, 5 disk or permission problem. The terminal's
# subcommands add: 6 a sign-in was refused (wrong password, access denied, revoked), 7 a service
# could not be reached, 8 a sign-in code or browser sign-in expired, 9 already connected, 10 not
# connected (nothing to disconnect or to send chat from), 11 the account already has settings
# (choose with --keep), 12 the app must be quit first (restoring a backup), 13 not a usable backup
# or export file (damaged, foreign, unsafe or from a newer version), 130 cancelled (Ctrl+C).
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_PORT_IN_USE = 3
EXIT_ALREADY_RUNNING = 4
EXIT_DISK = 5
EXIT_SIGN_IN_REFUSED = 6
EXIT_UNREACHABLE = 7
EXIT_SIGN_IN_EXPIRED = 8
EXIT_ALREADY_CONNECTED = 9
EXIT_NOT_CONNECTED = 10
EXIT_CHOICE_REQUIRED = 11
EXIT_APP_RUNNING = 12
EXIT_BAD_FILE = 13
EXIT_CANCELLED = 130

_OS_ERRORS = {
    errno.ENOSPC: (
        "The disk is full",
        "There is no space left on the disk ({path}). Free some "
        "space and try again; nothing was lost.",
    ),
    errno.EACCES: (
        "Permission denied",
        "Streampai Desktop may not write to {path}. Check the "
        "folder's permissions or choose another data folder with --data-dir.",
    ),
    errno.EROFS: (
        "Read-only disk",
        "{path} is on a read-only disk. Choose another data folder with --data-dir.",
    ),
}


def describe(exc: BaseException) -> UserMessage:
    """What to show for ``exc``: a title, a sentence or two, and the headless exit code."""
    if isinstance(exc, UserFacingError):
        return UserMessage(exc.title, str(exc), exc.exit_code)
    if isinstance(exc, OSError) and exc.errno in _OS_ERRORS:
        title, template = _OS_ERRORS[exc.errno]
        return UserMessage(
            title, template.format(path=exc.filename or "the data folder"), EXIT_DISK
        )
    return UserMessage(
        "Something went wrong",
        f"An unexpected error occurred ({type(exc).__name__}). The details are in the log file; "
        "please include it if you report this.",
        EXIT_UNEXPECTED,
    )


def report(exc: BaseException, context: str = "") -> UserMessage:
    """Log ``exc`` (traceback for unexpected ones) and return the message to show."""
    message = describe(exc)
    where = f" while {context}" if context else ""
    if message.exit_code == EXIT_UNEXPECTED:
        log.error("unexpected error%s", where, exc_info=exc)
    else:
        log.error("%s%s: %s", message.title, where, message.text)
    return message
