"""The overlays in OBS on the pages: a widget's "Add to OBS" / "In OBS: scene X" line (the
Widgets page), and the question after the overlay token or port changed — update OBS's browser
sources now, always, or not now — with a report of what changed."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QHBoxLayout, QMenu, QMessageBox, QToolButton, QWidget

from streampai_desktop.core.errors import describe
from streampai_desktop.obs.errors import ObsError
from streampai_desktop.obs.overlay_sources import UrlRepair
from streampai_desktop.ui.dialogs import ask
from streampai_desktop.ui.pages.common import StatusLine, label
from streampai_desktop.ui.viewmodels.obs_overlays import ObsOverlaysModel, report

UPDATE = "Update OBS"
ALWAYS = "Always update OBS"
NOT_NOW = "Not now"


def _scene_list(scenes: list[str]) -> str:
    quoted = [f"“{s}”" for s in scenes]
    return ", ".join(quoted)


class ObsWidgetLine(QWidget):
    """At the end of a widget's URL row: “In OBS: scene “Live”” when the widget is in OBS, else
    an “Add to OBS” button (into the current scene; its arrow picks another). Hidden while OBS is
    not connected: then Copy is the way."""

    MAX_TEXT_WIDTH = 240  # long scene names are elided; the tooltip has them all

    def __init__(self, model: ObsOverlaysModel, widget_id: str, status: StatusLine) -> None:
        super().__init__()
        self.model = model
        self.widget_id = widget_id
        self.status = status
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        self.where = label("", "inlineOk")
        row.addWidget(self.where)
        self.add_button = QToolButton()
        self.add_button.setText("Add to OBS")
        self.add_button.setObjectName("addToObs")
        self.add_button.setToolTip(
            "Add this overlay to the current scene in OBS as a Browser source, sized for it. "
            "The arrow picks another scene."
        )
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.scene_menu = QMenu(self.add_button)
        self.scene_menu.aboutToShow.connect(self._fill_menu)
        self.add_button.setMenu(self.scene_menu)
        self.add_button.clicked.connect(lambda: self.add())
        row.addWidget(self.add_button)
        model.connected_changed.connect(lambda _c: self.refresh())
        model.locations_changed.connect(lambda _l: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        scenes = self.model.locations.get(self.widget_id, [])
        connected = self.model.connected
        self.setVisible(connected)
        word = "scene" if len(scenes) == 1 else "scenes"
        full = f"In OBS: {word} {_scene_list(scenes)}" if scenes else ""
        metrics = self.where.fontMetrics()
        self.where.setText(
            metrics.elidedText(full, Qt.TextElideMode.ElideRight, self.MAX_TEXT_WIDTH)
        )
        self.where.setToolTip(full)
        self.where.setVisible(bool(scenes))
        self.add_button.setVisible(connected and not scenes)

    def _fill_menu(self) -> None:
        self.scene_menu.clear()
        current = self.model.current_scene()
        for scene in self.model.scenes():
            text = f"{scene} (current)" if scene == current else scene
            action = QAction(text, self.scene_menu)
            action.triggered.connect(lambda _c=False, s=scene: self.add(s))
            self.scene_menu.addAction(action)

    def add(self, scene: str | None = None) -> None:
        self.add_button.setEnabled(False)
        self.status.busy("Adding the overlay to OBS…")
        self.model.tasks.spawn(self._add(scene), "add overlay to OBS")

    async def _add(self, scene: str | None) -> None:
        try:
            added = await self.model.add(self.widget_id, scene)
        except ObsError as exc:
            self.status.error(describe(exc).text)
        else:
            if added.created:
                self.status.ok(f"Added “{added.input_name}” to the scene “{added.scene}” in OBS.")
            else:
                self.status.ok(f"It is in the scene “{added.scene}” already.")
        finally:
            self.add_button.setEnabled(True)


async def offer_repair(
    parent: QWidget, model: ObsOverlaysModel, stale: list[UrlRepair] | None = None
) -> str:
    """After the overlay URLs changed: update OBS's browser sources that show an old URL —
    asking first unless the streamer chose "Always" before. What changed (or why not), for a
    status line; "" when OBS has nothing to update or is not connected (then the streamer
    copies the URLs by hand, or this is offered again once OBS connects)."""
    if not model.connected:
        return ""
    try:
        if stale is None:
            stale = await model.stale()
        if not stale:
            return ""
        if not model.always_update:
            answer = await _ask(parent, stale)
            if answer == NOT_NOW:
                return "OBS still has the old URLs: its overlays stay blank until updated."
            if answer == ALWAYS:
                await model.set_always_update(True)
        return report(await model.repair())
    except ObsError as exc:
        return f"Could not update OBS: {describe(exc).text}"


async def _ask(parent: QWidget, stale: list[UrlRepair]) -> str:
    count = len(stale)
    names = ", ".join(f"“{r.input_name}”" for r in stale)
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Update the overlays in OBS?",
        f"{names} in OBS still {'use' if count > 1 else 'uses'} the old overlay URL and "
        f"{'show' if count > 1 else 'shows'} nothing until updated. Streampai can put in the "
        f"new URL now{' (only the URL changes)' if count == 1 else ' (only the URLs change)'}.",
        parent=parent,
    )
    box.setObjectName("obsRepairDialog")
    update = box.addButton(UPDATE, QMessageBox.ButtonRole.AcceptRole)
    always = box.addButton(ALWAYS, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(NOT_NOW, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(update)
    clicked = await ask(box)
    if clicked is always:
        return ALWAYS
    return UPDATE if clicked is update else NOT_NOW
