"""Helpers shared by the bench scripts."""

from __future__ import annotations

import math
import socket

# Flags for a headless Chromium on a machine without network (see the README's testing notes).
# The e2e tests keep the same list in tests/e2e/conftest.py: neither side imports the other's
# modules (a bench must not depend on the test suite, nor the tests on the benches), and seven
# flags are not worth a shared package.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
