"""The window by keyboard (issue #11, point 9): Ctrl+1…7 open the pages and the sidebar says so;
Tab goes sidebar → the page on screen, in the order it reads → the status bar's alert-queue pill,
and Shift+Tab goes back; every stop shows a focus ring that can be seen in both themes."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QCheckBox, QTabBar, QWidget

from streampai_desktop.core.events import ChatMessage, Follow, Platform, User
from streampai_desktop.ui.main_window import PAGES, MainWindow
from tests.gui.conftest import Gui, events_page, until
from tests.gui.test_theme_contrast import MIN_CONTRAST, Shot, _indicator, change_contrast

pytestmark = pytest.mark.gui


def focused() -> QWidget | None:
    return QApplication.focusWidget()


def stop_of(window: MainWindow, widget: QWidget | None) -> QWidget | None:
    """The Tab stop a focus widget belongs to (a spin box for its line edit)."""
    stops = window.focus_order()
    while widget is not None and widget not in stops:
        widget = widget.parentWidget()
    return widget


def tab_round(window: MainWindow, key: Qt.Key = Qt.Key.Key_Tab) -> list[QWidget]:
    """Press Tab (or Shift+Tab) from the sidebar until the focus is back there; the stops."""
    window.sidebar.setFocus(Qt.FocusReason.TabFocusReason)
    stops: list[QWidget] = [window.sidebar]
    for _ in range(200):
        current = focused()
        assert current is not None
        QTest.keyClick(current, key)
        stop = stop_of(window, focused())
        assert stop is not None, f"the focus left the window's order: {focused()}"
        if stop is window.sidebar:
            return stops
        assert stop not in stops, f"Tab came back to {stop} before reaching the sidebar"
        stops.append(stop)
    raise AssertionError("Tab never came back to the sidebar")


def _show(window: MainWindow, width: int = 1024, height: int = 640) -> None:
    window.resize(width, height)
    window.show()
    window.activateWindow()
    QApplication.processEvents()


def test_ctrl_number_opens_each_page_and_the_sidebar_tooltips_say_so(gui: Gui) -> None:
    window = gui.window
    _show(window)
    for number, (_key, text) in enumerate(PAGES, start=1):
        assert window.sidebar.item(number - 1).toolTip() == f"{text} (Ctrl+{number})"
    for number, (key, _text) in reversed(list(enumerate(PAGES, start=1))):
        QTest.keyClick(
            window, Qt.Key(Qt.Key.Key_0.value + number), Qt.KeyboardModifier.ControlModifier
        )
        assert window.current_page() == key


def test_tab_reads_the_dashboard_top_to_bottom_and_ends_on_the_queue_pill(gui: Gui) -> None:
    window, dashboard = gui.window, gui.window.dashboard
    _show(window)
    stops = tab_round(window)
    # On a first run the Dashboard reads: the "Get on stream" checklist, the demo banner, the
    # alert queue and the overlay URLs (what the streamer needs first), then events and chat;
    # Tab follows what the streamer sees, not the order the page builds them in.
    checklist = dashboard.checklist
    assert stops == [
        window.sidebar,
        checklist.close_button,
        checklist.copy_button,
        checklist.test_button,
        checklist.connect_button,
        dashboard.demo_banner.button,
        dashboard.queue_card.pause_button,  # Skip and Clear are disabled: nothing to skip
        *[w for w in stops if w.parentWidget() is dashboard.server_card],
        dashboard.activity,
        dashboard.chat,
        window.status.queue,
    ]
    assert len(stops) == 13
    # Shift+Tab walks the same stops backwards.
    back = tab_round(window, Qt.Key.Key_Backtab)
    assert back == [window.sidebar, *reversed(stops[1:])]


@pytest.mark.parametrize("page", ["widgets", "platforms", "events", "account"])
def test_tab_goes_from_the_sidebar_through_the_page_to_the_pill(gui: Gui, page: str) -> None:
    window = gui.window
    _show(window)
    window.show_page(page)  # built now: the page's controls came after the status bar
    QApplication.processEvents()
    stops = tab_round(window)
    shown = window.pages[page]
    assert stops[0] is window.sidebar and stops[-1] is window.status.queue
    inside = stops[1:-1]
    assert inside, f"no stop on the {page} page"
    assert all(shown.isAncestorOf(w) for w in inside), "only the page on screen in between"


def _ring_rect(window: MainWindow, stop: QWidget) -> QRect:
    """Where the ring shows: a check box's box, a tab widget's current tab, else the control."""
    widget = stop.focusProxy() or stop
    if isinstance(widget, QCheckBox):
        rect = _indicator(widget)
    elif isinstance(widget, QTabBar):
        rect = widget.tabRect(widget.currentIndex())
    else:
        rect = widget.rect()
    return rect.translated(widget.mapTo(window, widget.rect().topLeft()))


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_stop_shows_a_focus_ring(gui: Gui, theme: str, artifacts_dir: Path) -> None:
    """At every Tab stop of the Dashboard, the Events and the Widgets page: the control's
    edge, focused vs not, differs 3:1 (the test of ``test_theme_contrast``'s gallery)."""
    window = gui.window
    viewer = User(id="1", login="pixelpaladin", display_name="PixelPaladin")

    async def prepare() -> None:
        await gui.vm.set_theme(theme)
        for event in (
            Follow(platform=Platform.TWITCH, user=viewer),
            ChatMessage(platform=Platform.TWITCH, user=viewer, text="hello there"),
        ):
            await gui.app.ingest.submit(event)
        await until(lambda: events_page(gui).model.rowCount() == 2, what="events listed")

    gui.run(prepare())
    _show(window)
    failures, measured = [], 0
    for page in ("dashboard", "events", "widgets"):
        window.show_page(page)
        QApplication.processEvents()
        for stop in tab_round(window):
            window.focus_stop(stop, Qt.FocusReason.TabFocusReason)  # as Tab does
            QApplication.processEvents()
            after = Shot(window.grab().toImage())
            if stop is window.status.queue and page == "dashboard":
                window.grab().save(str(artifacts_dir / f"keyboard-focus-pill-{theme}.png"))
            stop.clearFocus()  # the same scroll position, nothing focused
            QApplication.processEvents()
            before = Shot(window.grab().toImage())
            rect = after.device(_ring_rect(window, stop))
            change = change_contrast(before, after, rect)
            measured += 1
            if change < MIN_CONTRAST:
                name = getattr(stop, "text", lambda: "")() or stop.accessibleName()
                failures.append(f"{page}: {type(stop).__name__} {name!r}: {change:.2f}:1")
    assert measured > 20
    assert not failures, "focus rings hard to see:\n" + "\n".join(failures)
