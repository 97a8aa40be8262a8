"""Fixtures shared by every test: an in-memory keyring, free ports, artifact folder, and the
log check (a WARNING or ERROR record a test did not expect fails it)."""

from __future__ import annotations

import logging
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(os.environ.get("STREAMPAI_TEST_ARTIFACTS", ROOT / "test-artifacts"))


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in this process only, so tests never touch the user's real keyring."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise PasswordDeleteError(username) from None


@pytest.fixture(autouse=True)
def memory_keyring() -> Iterator[MemoryKeyring]:
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def free_port() -> int:
    return find_free_port()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def xvfb_display() -> Iterator[str]:
    """A fresh virtual X display for a real window."""
    from tests.screen import xvfb

    with xvfb() as display:
        yield display


class LogAllowance:
    """The WARNING/ERROR records a test expects, as regexes on ``"logger.name: message"``."""

    def __init__(self, patterns: list[str]) -> None:
        self.patterns = [re.compile(p) for p in patterns]

    def __call__(self, *patterns: str) -> None:
        """Allow more records from inside the test (``allow_logs("sync failed")``)."""
        self.patterns.extend(re.compile(p) for p in patterns)

    def allows(self, record: logging.LogRecord) -> bool:
        text = f"{record.name}: {record.getMessage()}"
        return any(p.search(text) for p in self.patterns)


class _WarningRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def allow_logs(request: pytest.FixtureRequest) -> Iterator[LogAllowance]:
    """Fails the test on a WARNING or ERROR log record it did not declare.

    A warning the streamer would see in the log is behaviour: a test that provokes one says so,
    with ``@pytest.mark.allow_logs(r"regex", ...)`` or by calling this fixture. Anything else
    (a crash logged by a background task, a swallowed error) fails the test that caused it.
    """
    patterns = [p for mark in request.node.iter_markers("allow_logs") for p in mark.args]
    allowance = LogAllowance(patterns)
    recorder = _WarningRecorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield allowance
    finally:
        root.removeHandler(recorder)
    unexpected = [r for r in recorder.records if not allowance.allows(r)]
    if unexpected:
        lines = "\n".join(f"  {r.levelname} {r.name}: {r.getMessage()}" for r in unexpected[:20])
        pytest.fail(
            f"{len(unexpected)} unexpected WARNING/ERROR log record(s) — fix the cause, or "
            f"declare them with @pytest.mark.allow_logs(...):\n{lines}",
            pytrace=False,
        )
