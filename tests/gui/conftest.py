"""Qt tests against a real, started App on a qasync loop (offscreen, no real keyring).

How async and Qt meet here: the tests are plain (sync) functions; each runs its coroutines with
``gui.run(...)`` = ``loop.run_until_complete(...)`` on a ``qasync.QEventLoop`` made for the test,
so awaiting ``asyncio.sleep`` lets both Qt and asyncio make progress. pytest-asyncio's own loop is
never involved (mixing the two loops in one test does not work). Real mouse clicks (QTest) are
done between ``run`` calls, outside any task, because QTest may process events re-entrantly.

The in-memory keyring is the root conftest's autouse ``memory_keyring`` fixture, so nothing here
touches the user's real keyring.
"""

from __future__ import annotations

import os

# Before anything imports Qt: no display needed.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

from streampai_desktop.app import App, AppOptions
from streampai_desktop.ui.main_window import MainWindow
from streampai_desktop.ui.pages.events import EventsPage
from streampai_desktop.ui.pages.widgets import WidgetsPage
from streampai_desktop.ui.run import make_qapplication
from streampai_desktop.ui.session import GuiSession
from streampai_desktop.ui.theme import apply_theme
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

T = TypeVar("T")


def gui_options(data_dir: Path, port: int, **kw: Any) -> AppOptions:
    kw.setdefault("demo", False)
    return AppOptions(data_dir=data_dir, port=port, log_to_file=False, **kw)


async def until(predicate: Callable[[], Any], within: float = 5.0, what: str = "") -> Any:
    """Let Qt and asyncio run until ``predicate()`` is truthy; return its value."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = predicate()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def widgets_page(gui: Gui) -> WidgetsPage:
    page = gui.window.pages["widgets"]
    assert isinstance(page, WidgetsPage)
    return page


def events_page(gui: Gui) -> EventsPage:
    page = gui.window.pages["events"]
    assert isinstance(page, EventsPage)
    return page


def find_dialog(object_name: str) -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        if (
            isinstance(widget, QMessageBox)
            and widget.objectName() == object_name
            and widget.isVisible()
        ):
            return widget
    return None


def visible_message_boxes() -> list[QMessageBox]:
    return [
        w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()
    ]


def button(box: QMessageBox, text: str) -> QAbstractButton:
    for candidate in box.buttons():
        if candidate.text() == text:
            return candidate
    raise AssertionError(f"no {text!r} button in {[b.text() for b in box.buttons()]}")


def close_loop(loop: qasync.QEventLoop) -> None:
    """Close ``loop`` and destroy its Qt timer object here, on the GUI thread.

    qasync's timer QObject keeps its pending timers registered after ``close()``. The closed loop
    sits in reference cycles, so Python's cyclic GC frees it later — possibly on a worker thread
    (the database executor), and a QObject with live timers destroyed off its thread crashes Qt
    at the next timer tick. Deleting it now makes that teardown deterministic.
    """
    asyncio.events._set_running_loop(None)
    loop.close()
    asyncio.set_event_loop(None)
    timer = getattr(loop, "_timer", None)
    if isinstance(timer, QObject) and shiboken6.isValid(timer):
        shiboken6.delete(timer)
    gc.collect()


class _TestLoop(qasync.QEventLoop):
    """qasync's loop, kept as asyncio's running loop for the whole test, as in the app.

    In the app qasync's loop runs for the app's whole life, so every Qt event (a timer, a click)
    is handled with a running loop. Here it runs only inside ``gui.run``, but Qt handles events
    outside it too: the last pass qasync makes after the loop stopped, QTest's clicks, and
    pytest-qt's own ``processEvents`` between test phases. An asyncio timer due just then would
    step a task that finds no running loop ("no running event loop" from ``asyncio.timeout``),
    a failure that comes and goes with timing.
    """

    def _after_run_forever(self) -> None:
        super()._after_run_forever()
        asyncio.events._set_running_loop(self)  # qasync unset it: set it again


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """A qasync loop for this test; an error reaching the loop's handler fails the test."""
    make_qapplication()  # names, icon, and no quitting when the last window closes
    loop = _TestLoop(qapp)
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)  # see _TestLoop
    errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    yield loop
    close_loop(loop)
    for widget in visible_message_boxes():  # a failed test must not leave dialogs to the next
        widget.done(0)
    apply_theme("system")
    assert not errors, f"unhandled errors in the loop: {errors}"


@dataclass
class Gui:
    """A started GUI session: the real App, its view-model and the main window."""

    session: GuiSession
    loop: qasync.QEventLoop

    @property
    def app(self) -> App:
        assert self.session.app is not None
        return self.session.app

    @property
    def vm(self) -> AppViewModel:
        assert self.session.vm is not None
        return self.session.vm

    @property
    def window(self) -> MainWindow:
        assert self.session.window is not None
        return self.session.window

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)


@pytest.fixture
def gui(qloop: qasync.QEventLoop, tmp_path: Path, free_port: int) -> Iterator[Gui]:
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    running = Gui(session, qloop)
    yield running
    qloop.run_until_complete(session.stop())
