"""The collector's second freeze, after the first platform connection (core/lifecycle.py): what
connecting built leaves the generations a full collection walks, once per process, and only in
a process whose start-up froze (the app's, not a test's). Each case runs in a fresh interpreter:
freezing is process-wide."""

from __future__ import annotations

import subprocess
import sys

SETTLE = """
import gc, sys
from streampai_desktop.core import lifecycle

if sys.argv[1] == "app":
    lifecycle.pause_gc_for_startup()
    lifecycle.resume_gc_after_startup()
at_start = gc.get_freeze_count()
clients = [{"n": i, "names": [str(i)]} for i in range(50_000)]  # what connecting built
lifecycle.freeze_after_first_connection()
settled = gc.get_freeze_count()
later = [{"n": i} for i in range(10_000)]  # a later connection's objects stay collectable
lifecycle.freeze_after_first_connection()
print(at_start, settled, gc.get_freeze_count(), gc.isenabled())
"""


def counts(mode: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", SETTLE, mode], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_first_connection_s_objects_are_frozen_once() -> None:
    at_start, settled, after_second, enabled = counts("app")
    assert int(settled) >= int(at_start) + 100_000, "the 50,000 dicts and their lists"
    assert after_second == settled, "only the first connection"
    assert enabled == "True"


def test_a_process_that_did_not_freeze_at_start_up_is_left_alone() -> None:
    assert counts("test") == ["0", "0", "0", "True"]
