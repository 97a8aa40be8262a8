"""Helpers shared by the bench scripts."""

from __future__ import annotations

import math
import socket
import sys
from pathlib import Path

# The e2e tests' Chromium flags (headless Chromium on a machine without network), one list.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.e2e.conftest import CHROMIUM_ARGS

__all__ = ["CHROMIUM_ARGS", "free_port", "percentile"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
