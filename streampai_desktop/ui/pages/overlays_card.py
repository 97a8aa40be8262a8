"""The Dashboard's "Overlays in OBS" card: each widget's URL one click away, its OBS size, and
whether a page shows it right now."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QWidget

from streampai_desktop.ui.formatting import plural
from streampai_desktop.ui.pages.common import Card, StatusLine, label, restyle
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets import WIDGETS

MAX_ROWS = 4  # the rest are a click away on the Widgets page: this card stays above the fold


def obs_size(widget_type: str) -> str:
    """The browser source size to set in OBS for a widget type, written "800 by 600" with a
    times sign."""
    width, height = WIDGETS[widget_type].obs_size
    return f"{width} \N{MULTIPLICATION SIGN} {height}"


class OverlayRow:
    """One widget instance's line: name and size, connected pages, and its Copy button."""

    def __init__(self, grid: QGridLayout, row: int, widget_id: str, name: str, size: str) -> None:
        self.widget_id = widget_id
        self.name = label(name)
        self.name.setToolTip(f"Set the browser source in OBS to {size}.")
        self.size = label(size, "muted")
        self.state = label("", "muted")
        self.copy_button = QPushButton("Copy URL")
        self.copy_button.setAccessibleName(f"Copy the {name} URL")
        self.copy_button.setToolTip("Copy the URL, to paste into an OBS Browser source.")
        grid.addWidget(self.name, row, 0)
        grid.addWidget(self.size, row, 1)
        grid.addWidget(self.state, row, 2)
        grid.addWidget(self.copy_button, row, 3, Qt.AlignmentFlag.AlignRight)

    def parts(self) -> tuple[QWidget, ...]:
        return (self.name, self.size, self.state, self.copy_button)

    def set_connected(self, pages: int, *, running: bool) -> None:
        if not running:
            self.state.setText("Server stopped")
        elif pages:
            self.state.setText(f"{plural(pages, 'page')} connected")
        else:
            self.state.setText("Not open in OBS")
        restyle(self.state, "inlineOk" if running and pages else "muted")
        self.copy_button.setEnabled(running)


class OverlaysCard(Card):
    """The widgets' URLs and their connection state, live."""

    to_widgets = Signal()  # "All widgets": the Widgets page

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__("Overlays in OBS")
        self.vm = vm
        self.server_text = label("", "muted", wrap=True)
        self.layout_.addWidget(self.server_text)
        self.grid = QGridLayout()
        self.grid.setHorizontalSpacing(12)
        self.grid.setVerticalSpacing(4)
        self.grid.setColumnStretch(2, 1)
        self.layout_.addLayout(self.grid)
        self.status = StatusLine()
        self.layout_.addWidget(self.status)
        bottom = QHBoxLayout()
        self.more = label("", "muted")
        self.widgets_button = QPushButton("All widgets")
        self.widgets_button.setToolTip("Every widget's settings, tests and URL.")
        self.widgets_button.clicked.connect(self.to_widgets.emit)
        bottom.addWidget(self.more, 1)
        bottom.addWidget(self.widgets_button)
        self.layout_.addLayout(bottom)
        self.rows: dict[str, OverlayRow] = {}
        vm.widgets_changed.connect(self.rebuild)
        vm.urls_changed.connect(self.refresh)
        vm.server_changed.connect(self.refresh)
        vm.presence.instances_changed.connect(lambda _instances: self.refresh())
        self.rebuild()

    def rebuild(self) -> None:
        """One row per widget instance (the first few); rows are kept while the list is the
        same, so a presence change never takes the focus off a button."""
        widgets = self.vm.widgets()
        shown = widgets[:MAX_ROWS]
        if [w.id for w in shown] != list(self.rows):
            for old in self.rows.values():
                for part in old.parts():
                    self.grid.removeWidget(part)
                    part.deleteLater()
            self.rows = {}
            for index, widget in enumerate(shown):
                size = obs_size(widget.type)
                row = OverlayRow(self.grid, index, widget.id, widget.name, size)
                row.copy_button.clicked.connect(lambda _=False, w=widget.id: self.copy(w))
                self.rows[widget.id] = row
        for widget in shown:
            self.rows[widget.id].name.setText(widget.name)
        hidden = len(widgets) - len(shown)
        self.more.setText(f"{plural(hidden, 'more widget')} on the Widgets page" if hidden else "")
        self.refresh()

    def refresh(self) -> None:
        running = self.vm.server_running
        self.server_text.setText(
            "" if running else "The overlay server is stopped, so OBS cannot load the overlays."
        )
        self.server_text.setVisible(not running)
        instances = self.vm.presence.instances
        for widget_id, row in self.rows.items():
            row.set_connected(instances.get(widget_id, 0), running=running)

    def copy(self, widget_id: str) -> None:
        url = self.vm.overlay_urls().get(widget_id, "")
        row = self.rows.get(widget_id)
        if not url or row is None:
            return
        QGuiApplication.clipboard().setText(url)
        size = row.size.text()
        self.status.flash(
            f"Copied the {row.name.text()} URL. In OBS: Sources → + → Browser, paste it, "
            f"and set the size to {size}."
        )
