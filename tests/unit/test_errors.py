"""One place turns exceptions into what the streamer reads."""

from __future__ import annotations

import errno

from streampai_desktop.core.errors import EXIT_DISK, EXIT_UNEXPECTED, describe
from streampai_desktop.instance import AlreadyRunningError
from streampai_desktop.server import PortInUseError


def test_known_errors_have_titles_and_exit_codes(tmp_path) -> None:
    message = describe(PortInUseError(7470, 7471))
    assert message.title == "Overlay port in use" and message.exit_code == 3
    assert "Port 7471 is free" in message.text
    assert describe(AlreadyRunningError(tmp_path, None)).exit_code == 4
    disk = describe(OSError(errno.ENOSPC, "No space left on device", "/data/streampai.db"))
    assert disk.title == "The disk is full" and "/data/streampai.db" in disk.text
    assert disk.exit_code == EXIT_DISK


def test_unexpected_errors_do_not_leak_their_message() -> None:
    message = describe(KeyError("secret-value"))
    assert message.exit_code == EXIT_UNEXPECTED
    assert "secret-value" not in message.text and "KeyError" in message.text
