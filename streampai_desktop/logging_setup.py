"""Logging to stderr and a rotating file in the data dir, with secrets redacted.

Every secret value the app reads or writes is registered here; a filter on every handler replaces
any registered value (and anything after ``token=`` in a URL) with ``***`` before a record is
written, so a token pasted into an exception or a URL in a debug line never lands in a log file.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
import threading
from pathlib import Path

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None
_TOKEN_IN_URL = re.compile(r"(token=)[^&\s\"']+")
_MIN_SECRET_LEN = 8  # shorter values would redact ordinary words


def register_secret(value: str) -> None:
    """Never log ``value``."""
    global _pattern
    if len(value) < _MIN_SECRET_LEN:
        return
    with _secrets_lock:
        if value in _secrets:
            return
        _secrets.add(value)
        ordered = sorted(_secrets, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(s) for s in ordered))


def redact(text: str) -> str:
    """``text`` with every registered secret and URL token replaced by ``***``."""
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub("***", text)
    return _TOKEN_IN_URL.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacted, so handlers never see the raw values."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def setup_logging(log_dir: Path | None, *, verbose: bool = False) -> Path | None:
    """Log to stderr and, when ``log_dir`` is given, to ``log_dir/streampai.log`` (rotated)."""
    root = logging.getLogger()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    teardown_logging()
    redactor = RedactingFilter()
    formatter = logging.Formatter(LOG_FORMAT)
    stream = logging.StreamHandler(sys.stderr)
    handlers: list[logging.Handler] = [stream]
    log_file: Path | None = None
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / "streampai.log"
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
            )
        )
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(redactor)
        handler._streampai = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    # aiohttp's access log is noise at INFO for an overlay server polled by OBS.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    return log_file


def teardown_logging() -> None:
    """Remove and close the handlers :func:`setup_logging` added (the app is done logging)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_streampai", False):
            root.removeHandler(handler)
            handler.close()
