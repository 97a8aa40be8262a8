"""Start-up cost as a test (issue #10): a headless launch on an existing data folder gets to a
ready overlay server without importing what its first second does not need (each of these
modules costs a tenth of a second or more; they load when first used: a database write, sync,
a connected Twitch account, the window), and the garbage collector paused for start-up runs
again once the app is ready."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("sqlalchemy", "alembic", "httpx", "twitchio", "PySide6", "qasync")

START = """
import asyncio, sys
from pathlib import Path
from streampai_desktop.app import App, AppOptions

async def main() -> None:
    data_dir, port, heavy = Path(sys.argv[1]), int(sys.argv[2]), set(sys.argv[3].split(","))
    options = AppOptions(data_dir, port, headless=True, demo=False, log_to_file=False)
    app = App(options)
    await app.start()
    try:
        print(",".join(sorted({name.split(".")[0] for name in sys.modules} & heavy)))
    finally:
        await app.shutdown()

asyncio.run(main())
"""


def heavy_modules_after_start(data_dir: Path, port: int) -> list[str]:
    """Start the app headless in a fresh interpreter; the heavy modules loaded once it is ready."""
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-c", START, str(data_dir), str(port), ",".join(HEAVY)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return [name for name in done.stdout.strip().split(",") if name]


def test_a_headless_start_imports_none_of_the_heavy_modules(tmp_path: Path, free_port: int) -> None:
    data_dir = tmp_path / "data"
    # The first start creates the database with SQLAlchemy (which shows the check sees imports).
    assert "sqlalchemy" in heavy_modules_after_start(data_dir, free_port)
    assert heavy_modules_after_start(data_dir, free_port) == []


PAUSED_START = """
import asyncio, gc, sys
from pathlib import Path
from streampai_desktop.core.lifecycle import pause_gc_for_startup

pause_gc_for_startup()  # what the entry point does before importing the app
assert not gc.isenabled()
from streampai_desktop.app import App, AppOptions

async def main() -> None:
    options = AppOptions(Path(sys.argv[1]), int(sys.argv[2]), headless=True, demo=False,
                         log_to_file=False)
    app = App(options)
    await app.start()
    try:
        print(gc.isenabled(), gc.get_freeze_count() > 0)
    finally:
        await app.shutdown()

asyncio.run(main())
"""


def test_the_collector_paused_for_start_up_runs_again_once_the_app_is_ready(
    tmp_path: Path, free_port: int
) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    done = subprocess.run(
        [sys.executable, "-c", PAUSED_START, str(tmp_path / "data"), str(free_port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "True"]  # enabled again, start-up objects frozen
