"""Widgets: each overlay with its OBS URL, Copy, Open in browser, and how many pages are live."""

from __future__ import annotations

import re

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton

from streampai_desktop.ui.pages.common import Card, Page, label
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.widgets import WIDGETS, WidgetSpec

_TOKEN = re.compile(r"(token=)[^&]+")


def mask_token(url: str) -> str:
    """The URL with its token hidden, for a screen that might be on stream."""
    return _TOKEN.sub(r"\1••••••••••••", url)


class WidgetCard(Card):
    """One widget: description, URL field, Show/Copy/Open, connected pages."""

    def __init__(self, spec: WidgetSpec) -> None:
        super().__init__(spec.title, spec.description)
        self.spec = spec
        self.url = ""
        self.url_field = QLineEdit()
        self.url_field.setReadOnly(True)
        self.url_field.setAccessibleName(f"{spec.title} overlay URL")
        self.show_button = QPushButton("Show")
        self.show_button.setCheckable(True)
        self.show_button.setToolTip(
            "The URL contains a secret token. It is hidden so it does not leak if this window "
            "is on stream; Copy always copies the full URL."
        )
        self.show_button.toggled.connect(self._render)
        self.copy_button = QPushButton("Copy")
        self.copy_button.clicked.connect(self.copy)
        self.open_button = QPushButton("Open in browser")
        self.open_button.clicked.connect(self.open_in_browser)
        row = QHBoxLayout()
        row.addWidget(self.url_field, 1)
        for button in (self.show_button, self.copy_button, self.open_button):
            row.addWidget(button)
        self.layout_.addLayout(row)
        self.connected = label("", "muted")
        self.feedback = label("", "inlineOk")
        footer = QHBoxLayout()
        footer.addWidget(self.connected)
        footer.addStretch(1)
        footer.addWidget(self.feedback)
        self.layout_.addLayout(footer)

    def set_url(self, url: str) -> None:
        if url != self.url and self.url:
            self.feedback.setText("The URL changed: copy it into OBS again.")
        self.url = url
        self._render()

    def _render(self, _checked: bool = False) -> None:
        shown = self.show_button.isChecked()
        self.show_button.setText("Hide" if shown else "Show")
        self.url_field.setText(self.url if shown else mask_token(self.url))
        self.url_field.setCursorPosition(0)

    def set_connected(self, count: int) -> None:
        if count == 0:
            self.connected.setText("Not open in OBS (or a browser) right now")
        else:
            self.connected.setText(f"{count} page(s) connected")

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.url)
        self.feedback.setText("Copied. In OBS: Sources → + → Browser, paste it as the URL.")

    def open_in_browser(self) -> None:
        if not QDesktopServices.openUrl(QUrl(self.url)):
            self.feedback.setText("Could not open a browser; use Copy instead.")


class WidgetsPage(Page):
    """Every widget from the registry, with the URL to paste into an OBS browser source."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Widgets",
            "Add each widget to OBS as a Browser Source with its URL. The overlays are served "
            "by this app, so keep it running while you stream.",
        )
        self.vm = vm
        self.cards: dict[str, WidgetCard] = {}
        for spec in WIDGETS.values():
            card = WidgetCard(spec)
            self.cards[spec.type] = card
            self.body.addWidget(card)
        self.body.addStretch(1)
        vm.urls_changed.connect(self.refresh_urls)
        vm.presence.changed.connect(self._update_connected)
        self.refresh_urls()
        self._update_connected(vm.presence.counts)

    def refresh_urls(self) -> None:
        urls = self.vm.overlay_urls()
        for widget, card in self.cards.items():
            card.set_url(urls.get(widget, ""))

    def _update_connected(self, counts: dict[str, int]) -> None:
        for widget, card in self.cards.items():
            card.set_connected(counts.get(widget, 0))
