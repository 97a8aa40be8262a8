"""Helpers shared by the bench scripts."""

from __future__ import annotations

import math
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # a bench runs as a script from anywhere
    sys.path.insert(0, str(ROOT))

# The same Chromium and flags as the e2e tests (tests/chromium.py: a plain module, no fixtures).
from tests.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "free_port", "percentile"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
