"""Stray exceptions: logged and shown once, never a crash and never a pile of dialogs."""

from __future__ import annotations

import asyncio
import sys

import pytest
import qasync

from streampai_desktop.ui.errors import ErrorReporter
from streampai_desktop.ui.tasks import TaskSet
from tests.gui.conftest import visible_message_boxes

pytestmark = pytest.mark.gui


@pytest.mark.allow_logs(r"streampai_desktop\.core\.errors: unexpected error")
def test_repeated_errors_share_one_dialog(qloop: qasync.QEventLoop) -> None:
    reporter = ErrorReporter()
    reporter.install(qloop)
    try:
        for _ in range(3):
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                sys.excepthook(*sys.exc_info())  # what PySide does for an exception in a slot

        async def failing() -> None:
            raise ValueError("from a task")

        async def spawn_and_wait() -> None:
            tasks = TaskSet()
            tasks.spawn(failing(), "failing action")
            await tasks.wait_idle()
            await asyncio.sleep(0)

        qloop.run_until_complete(spawn_and_wait())
        boxes = visible_message_boxes()
        assert len(boxes) == 1
        assert boxes[0].text().startswith("An unexpected error occurred (RuntimeError)")
        assert "3 more error(s)" in boxes[0].informativeText()
        assert len(reporter.reported) == 4
        boxes[0].accept()
        reporter.report(KeyError("next"))
        assert len(visible_message_boxes()) == 1, "a new dialog once the old one is closed"
    finally:
        reporter.uninstall(qloop)
    assert not visible_message_boxes()
