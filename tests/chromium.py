"""Debian's Chromium for Playwright, as the e2e tests and the benches launch it (a plain module,
not a conftest: bench/ imports it without pulling in the test suite's fixtures)."""

from __future__ import annotations

import shutil

# Playwright cannot download its own browser here (no internet): use the system's.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a headless Chromium on a machine without network (see the README's testing notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
