"""The README's pictures of the window: the Dashboard with a stream's activity, and the Alert Box
editor, at the default window size (1180x760) in the dark and the light theme.

They land in ``test-artifacts/readme/``; ``make screenshots`` copies them into
``docs/screenshots/``, where the README shows them. Each is checked for what the README says it
shows.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from streampai_desktop.stream.demo import DemoSource
from streampai_desktop.ui.theme import apply_theme
from tests.gui.conftest import Gui, widgets_page

pytestmark = pytest.mark.gui

SIZE = (1180, 760)  # the window's default size


def settle(gui: Gui, seconds: float = 0.1) -> None:
    gui.run(asyncio.sleep(seconds))


@pytest.fixture
def readme_dir(artifacts_dir: Path) -> Path:
    path = artifacts_dir / "readme"
    path.mkdir(parents=True, exist_ok=True)
    return path


def visible_texts(widget) -> str:
    return "\n".join(
        label.text() for label in widget.findChildren(QLabel) if label.isVisible() and label.text()
    )


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_dashboard_and_the_widget_editor(gui: Gui, readme_dir: Path, theme: str) -> None:
    apply_theme(theme)
    gui.window.resize(*SIZE)
    gui.window.show()
    # A few minutes of a stream's chat and alerts, as the demo would send them.
    submitted: list = []

    async def submit(event) -> bool:
        submitted.append(event)
        return await gui.app.ingest.submit(event)

    demo = DemoSource(submit, seed=7, streamer="you")

    async def activity() -> None:
        for _ in range(12):
            await submit(demo.chat_message())
        for _ in range(4):
            await submit(demo.alert())

    gui.run(activity())
    settle(gui, 0.3)
    gui.window.show_page("dashboard")
    settle(gui)
    dashboard = gui.window.pages["dashboard"]
    assert gui.window.grab().save(str(readme_dir / f"dashboard-{theme}.png"))
    chat_texts = [e.text for e in submitted if getattr(e, "text", None)]
    shown = visible_texts(dashboard) + "\n" + _view_texts(dashboard)
    assert any(text in shown for text in chat_texts), "the Dashboard shows the chat"

    gui.window.show_page("widgets")
    editor = widgets_page(gui).select("alert_box")
    settle(gui)
    assert editor.types is not None
    editor.types.select("subscription")
    settle(gui)
    assert gui.window.grab().save(str(readme_dir / f"widget-editor-{theme}.png"))
    assert "Alert Box" in visible_texts(gui.window)


def _view_texts(widget) -> str:
    """The text of list, table and rich-text views (however the Dashboard draws its chat)."""
    from PySide6.QtCore import QAbstractListModel, QModelIndex, Qt
    from PySide6.QtWidgets import QAbstractItemView, QTextEdit

    texts = [view.toPlainText() for view in widget.findChildren(QTextEdit)]
    for view in widget.findChildren(QAbstractItemView):
        model = view.model()
        if model is None:
            continue
        root = QModelIndex()
        for row in range(model.rowCount(root)):
            columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount(root)
            for column in range(columns):
                value = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
                if isinstance(value, str):
                    texts.append(value)
    return "\n".join(texts)
