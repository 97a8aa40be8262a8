"""Widgets: every widget instance, grouped by type, each with its OBS URL and its settings.

A streamer can have several instances of a type (two chat boxes with different looks); each has
its own URL and settings. The first instance of a type keeps the type's name as its id, so the
URLs from earlier versions keep working, and cannot be deleted.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.ui.formatting import plural
from streampai_desktop.ui.pages.common import Page, label
from streampai_desktop.ui.pages.widget_editor import WidgetEditor
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets import WIDGETS

ID_ROLE = Qt.ItemDataRole.UserRole
SIDE_WIDTH = 170  # the instance list: narrow, so the editor has room at 1024 px
HOW_TO = (
    "Add each widget to OBS as a Browser source with its URL. The overlays are served by this "
    "app, so keep it running while you stream."
)


class WidgetsPage(Page):
    """The instance list on the left, the selected instance's editor on the right.

    Editors are built when an instance is first selected: an Alert Box editor is a few hundred
    controls, and most sessions never open most instances.
    """

    def __init__(self, vm: AppViewModel) -> None:
        # The how-to goes under the instance list rather than under the title: the editor needs
        # the height in a small window.
        super().__init__("Widgets", scroll=False)
        self.vm = vm
        self.editors: dict[str, WidgetEditor] = {}
        row = QHBoxLayout()
        row.setSpacing(16)
        self.body.addLayout(row, 1)

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        side.setSpacing(8)
        self.tree = QTreeWidget()
        self.tree.setObjectName("instanceList")
        self.tree.setAccessibleName("Widgets")
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(10)
        self.tree.currentItemChanged.connect(self._current_changed)
        side.addWidget(self.tree, 1)
        self.how_to = label(HOW_TO, "fieldHelp", wrap=True)
        side.addWidget(self.how_to)
        self.add_buttons: dict[str, QPushButton] = {}
        for spec in WIDGETS.values():
            button = QPushButton(f"Add another {spec.title}")
            button.setToolTip(
                f"Another {spec.title} with its own URL and settings (for another scene)."
            )
            button.clicked.connect(lambda _c=False, t=spec.type: self.add(t))
            self.add_buttons[spec.type] = button
            side.addWidget(button)
        holder = QWidget()
        holder.setFixedWidth(SIDE_WIDTH)
        holder.setLayout(side)
        row.addWidget(holder)

        self.stack = QStackedWidget()
        row.addWidget(self.stack, 1)

        vm.urls_changed.connect(self.refresh_urls)
        vm.widgets_changed.connect(self.refresh_list)
        vm.synced.connect(self._reload_editors)
        vm.presence.instances_changed.connect(self._update_connected)
        self.refresh_list()

    # --- the instance list -------------------------------------------------------------------

    def _items(self) -> dict[str, QTreeWidgetItem]:
        items: dict[str, QTreeWidgetItem] = {}
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            for j in range(group.childCount() if group is not None else 0):
                child = group.child(j) if group is not None else None
                if child is not None:
                    items[str(child.data(0, ID_ROLE))] = child
        return items

    def refresh_list(self) -> None:
        """Rebuild the list from the app's instances; keep the selection when it still exists."""
        current = self.selected_id()
        widgets = self.vm.widgets()
        ids = {w.id for w in widgets}
        for gone in set(self.editors) - ids:
            editor = self.editors.pop(gone)
            editor.preview.stop()
            self.stack.removeWidget(editor)
            editor.deleteLater()
        self.tree.blockSignals(True)
        self.tree.clear()
        bold = QFont()
        bold.setBold(True)
        groups: dict[str, QTreeWidgetItem] = {}
        for widget in widgets:
            group = groups.get(widget.type)
            if group is None:
                spec = WIDGETS[widget.type]
                group = QTreeWidgetItem([spec.title.upper()])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                group.setFont(0, bold)
                group.setToolTip(0, spec.description)
                self.tree.addTopLevelItem(group)
                groups[widget.type] = group
            item = QTreeWidgetItem([widget.name])
            item.setData(0, ID_ROLE, widget.id)
            group.addChild(item)
            if widget.id in self.editors:
                self.editors[widget.id].set_name(widget.name)
                self._mark(widget.id)
        self.tree.expandAll()
        self.tree.blockSignals(False)
        self._set_current(current if current in ids else widgets[0].id if widgets else "")
        self._update_connected(self.vm.presence.instances)

    def selected_id(self) -> str:
        item = self.tree.currentItem()
        return str(item.data(0, ID_ROLE) or "") if item is not None else ""

    def _set_current(self, widget_id: str) -> None:
        item = self._items().get(widget_id)
        if item is not None and self.tree.currentItem() is not item:
            self.tree.setCurrentItem(item)  # → _current_changed
        elif item is not None:
            self._show(widget_id)

    def select(self, widget_id: str) -> WidgetEditor:
        """Select ``widget_id`` in the list and return its editor (built on first use)."""
        self._set_current(widget_id)
        editor = self.editor(widget_id)
        self.stack.setCurrentWidget(editor)
        return editor

    def _current_changed(self, item: QTreeWidgetItem | None, _previous: object) -> None:
        widget_id = item.data(0, ID_ROLE) if item is not None else None
        if widget_id:
            self._show(str(widget_id))

    def _show(self, widget_id: str) -> None:
        # Built only once the page is on screen: the window opens on the Dashboard, and an
        # Alert Box editor is not free to build.
        if self.isVisible() or widget_id in self.editors:
            self.stack.setCurrentWidget(self.editor(widget_id))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The rows were measured before the page joined the window, whose style sheet pads them;
        # under an application style sheet (the theme's) a tree does not measure them again.
        self.tree.doItemsLayout()
        current = self.selected_id()
        if current:
            self._show(current)

    def editor(self, widget_id: str) -> WidgetEditor:
        """The editor of ``widget_id``, built now if it was never shown."""
        editor = self.editors.get(widget_id)
        if editor is None:
            editor = WidgetEditor(self.vm, self.vm.app.widgets[widget_id])
            editor.set_url(self.vm.overlay_urls().get(widget_id, ""))
            editor.set_connected(self.vm.presence.instances.get(widget_id, 0))
            editor.dirty_changed.connect(lambda _d, w=widget_id: self._mark(w))
            self.editors[widget_id] = editor
            self.stack.addWidget(editor)
        return editor

    def _mark(self, widget_id: str) -> None:
        """A dot after the name while an instance has unsaved changes."""
        item = self._items().get(widget_id)
        editor = self.editors.get(widget_id)
        widget = self.vm.app.widgets.get(widget_id)
        if item is None or widget is None:
            return
        dirty = editor is not None and editor.dirty
        item.setText(0, f"{widget.name}  •" if dirty else widget.name)
        item.setToolTip(0, "Unsaved changes" if dirty else "")

    def add(self, widget_type: str) -> None:
        self.vm.spawn(self._add(widget_type), "add widget")

    async def _add(self, widget_type: str) -> WidgetEditor:
        widget = await self.vm.create_widget(widget_type)
        return self.select(widget.id)

    def _reload_editors(self) -> None:
        """Configs arrived from another computer: show them, except in an editor being edited."""
        for editor in self.editors.values():
            editor.reload_if_clean()

    # --- live facts --------------------------------------------------------------------------

    def refresh_urls(self) -> None:
        urls = self.vm.overlay_urls()
        for widget_id, editor in self.editors.items():
            editor.set_url(urls.get(widget_id, ""))

    def _update_connected(self, counts: dict[str, int]) -> None:
        for widget_id, editor in self.editors.items():
            editor.set_connected(counts.get(widget_id, 0))
        for widget_id, item in self._items().items():
            count = counts.get(widget_id, 0)
            item.setStatusTip(0, f"{plural(count, 'page')} connected")
