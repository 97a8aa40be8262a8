"""Settings: start-up, hotkeys, overlay port, tokens, theme, demo, where the app keeps its files
and secrets, and backups, export and import.

Every card fits the narrowest window (860 px wide, 582 px for the page): texts wrap, values that
can be long (paths, URLs) wrap or scroll inside their own field, so the page never scrolls
sideways.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from streampai_desktop import autostart
from streampai_desktop.core.errors import describe
from streampai_desktop.obs.overlay_sources import UrlRepair
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN
from streampai_desktop.server import PortInUseError
from streampai_desktop.settings import APP_ENDPOINTS, THEMES, SettingsError, setting_specs
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.pages.backups_card import BackupsCard
from streampai_desktop.ui.pages.common import Banner, Card, Page, StatusLine, label
from streampai_desktop.ui.pages.hotkeys_card import HotkeysCard
from streampai_desktop.ui.pages.obs_cards import ObsSettingsCard
from streampai_desktop.ui.pages.obs_overlays import offer_repair
from streampai_desktop.ui.theme import THEME_LABELS
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

RECOPY = "Copy the overlay URLs from the Widgets page into OBS again."

# token → (button text, dialog title, what stops working)
TOKENS = {
    OVERLAY_TOKEN: (
        "Regenerate overlay token",
        "New overlay token?",
        "Every overlay URL changes. The browser sources in OBS stop working until they have the "
        "new URLs (with OBS connected, Streampai offers to update them), and open overlay pages "
        "are disconnected now.",
    ),
    API_TOKEN: (
        "Regenerate API token",
        "New API token?",
        "Tools that use the local API (stream decks, bots, scripts) stop working until you give "
        "them the new token (streampai-desktop urls prints it).",
    ),
}


def _path_row(path: Path | None, empty: str) -> QWidget:
    """A read-only path with an "Open folder" button."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    field = QLineEdit(str(path) if path else empty)
    field.setReadOnly(True)
    layout.addWidget(field, 1)
    if path is not None:
        folder = path if path.is_dir() else path.parent
        button = QPushButton("Open folder")
        button.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))))
        layout.addWidget(button)
    return row


class SettingsPage(Page):
    """Preferences that apply right away; errors show next to the control that caused them."""

    about_requested = Signal()

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__("Settings")
        self.vm = vm
        app = vm.app
        self._build_startup()
        self.hotkeys_card = HotkeysCard(vm)
        self.body.addWidget(self.hotkeys_card)
        self._build_server(app.settings.source("overlay_port"))
        self._build_tokens()
        self.obs_card = ObsSettingsCard(vm)
        self.body.addWidget(self.obs_card)
        self._build_appearance(app.settings.theme, app.settings.demo_when_offline)
        self._build_storage()
        self.backups_card = BackupsCard(vm)
        self.body.addWidget(self.backups_card)
        self._build_endpoints()
        self.body.addStretch(1)
        vm.server_changed.connect(lambda: self.port_spin.setValue(vm.port))

    # --- start-up and about -----------------------------------------------------------------------

    def _build_startup(self) -> None:
        card = Card("Start-up")
        self.autostart_check = QCheckBox("Start with my computer")
        self.autostart_check.setObjectName("startWithComputer")
        self.autostart_check.setToolTip(
            "Starts Streampai Desktop when you sign in to your computer, so your overlays are "
            "ready before OBS opens."
        )
        self.autostart_check.setChecked(autostart.is_enabled())  # one small file or value
        self.autostart_check.toggled.connect(self._autostart_toggled)
        row = QHBoxLayout()
        row.addWidget(self.autostart_check)
        row.addStretch(1)
        self.about_button = QPushButton("About Streampai Desktop…")
        self.about_button.setObjectName("aboutButton")
        self.about_button.clicked.connect(self.about_requested.emit)
        row.addWidget(self.about_button)
        card.layout_.addLayout(row)
        self.autostart_status = StatusLine()
        card.layout_.addWidget(self.autostart_status)
        self.body.addWidget(card)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        # The desktop's own settings may have switched the entry on or off meanwhile.
        self._show_autostart(autostart.is_enabled())

    def _show_autostart(self, on: bool) -> None:
        self.autostart_check.blockSignals(True)
        self.autostart_check.setChecked(on)
        self.autostart_check.blockSignals(False)

    def _autostart_toggled(self, on: bool) -> None:
        self.autostart_check.setEnabled(False)
        self.vm.spawn(self._set_autostart(on), "set autostart")

    async def _set_autostart(self, on: bool) -> None:
        try:
            await asyncio.to_thread(autostart.set_enabled, on)
        except OSError as exc:
            self.autostart_status.error(f"Could not change this: {exc.strerror or exc}.")
        else:
            self.autostart_status.clear()
        finally:
            self.autostart_check.setEnabled(True)
            self._show_autostart(await asyncio.to_thread(autostart.is_enabled))

    # --- overlay server ---------------------------------------------------------------------------

    def _build_server(self, port_source: str) -> None:
        card = Card(
            "Overlay server",
            "OBS loads the overlays from http://127.0.0.1 on this port. If you change it, copy "
            "the overlay URLs from the Widgets page into OBS again.",
        )
        row = QHBoxLayout()
        row.addWidget(label("Port"))
        self.port_spin = QSpinBox()
        self.port_spin.setRange(1024, 65535)
        self.port_spin.setValue(self.vm.port)
        self.port_spin.setAccessibleName("Overlay port")
        row.addWidget(self.port_spin)
        self.port_apply = QPushButton("Apply")
        self.port_apply.clicked.connect(self._apply_port)
        row.addWidget(self.port_apply)
        row.addStretch(1)
        card.layout_.addLayout(row)
        if port_source in ("command line", "environment"):
            card.layout_.addWidget(
                label(
                    f"This run's port comes from the {port_source}; Apply also saves the new "
                    "port for later runs.",
                    "muted",
                    wrap=True,
                )
            )
        self.port_status = StatusLine()
        card.layout_.addWidget(self.port_status)
        self.body.addWidget(card)

    def _apply_port(self) -> None:
        port = self.port_spin.value()
        if port == self.vm.port:
            self.port_status.ok(f"The overlay server already runs on port {port}.")
            return
        self.port_apply.setEnabled(False)
        self.port_status.busy(f"Moving the overlay server to port {port}…")
        self.vm.spawn(self._change_port(port), "change overlay port")

    async def _change_port(self, port: int) -> None:
        try:
            await self.vm.change_port(port)
        except PortInUseError as exc:
            self.port_status.error(describe(exc).text)
        except SettingsError as exc:
            self.port_status.error(str(exc).capitalize())
        else:
            self.port_status.ok(f"The overlay server now runs on port {port}.")
            obs = await offer_repair(self.window(), self.vm.obs_overlays)
            self.port_status.ok(f"The overlay server now runs on port {port}. {obs or RECOPY}")
        finally:
            self.port_apply.setEnabled(True)
            self.port_spin.setValue(self.vm.port)

    # --- tokens -----------------------------------------------------------------------------------

    def _build_tokens(self) -> None:
        card = Card(
            "Tokens",
            "The overlay token is part of every overlay URL; the API token lets other tools on "
            "this computer send test alerts. Make new ones if someone else has seen them.",
        )
        row = QHBoxLayout()
        self.token_buttons: dict[str, QPushButton] = {}
        for which, (text, _title, _warning) in TOKENS.items():
            button = QPushButton(text)
            button.clicked.connect(lambda _checked=False, w=which: self._regenerate(w))
            self.token_buttons[which] = button
            row.addWidget(button)
        row.addStretch(1)
        card.layout_.addLayout(row)
        self.token_status = StatusLine()
        card.layout_.addWidget(self.token_status)
        self.body.addWidget(card)
        # OBS connected with sources on an old URL (changed while OBS was closed): offer the fix.
        self.vm.obs_overlays.repair_needed.connect(
            lambda stale: self.vm.spawn(self._repair_obs(stale), "update OBS overlay URLs")
        )

    async def _repair_obs(self, stale: list[UrlRepair]) -> None:
        text = await offer_repair(self.window(), self.vm.obs_overlays, stale)
        if text:
            self.token_status.ok(text)

    def _regenerate(self, which: str) -> None:
        self.token_buttons[which].setEnabled(False)
        self.vm.spawn(self._confirm_and_regenerate(which), f"regenerate {which}")

    async def _confirm_and_regenerate(self, which: str) -> None:
        _text, title, warning = TOKENS[which]
        try:
            if not await confirm(self, title, warning, "Regenerate"):
                return
            self.token_status.busy("Making a new token…")
            await self.vm.regenerate_token(which)
            if which == OVERLAY_TOKEN:
                self.token_status.ok("New overlay token made.")
                obs = await offer_repair(self.window(), self.vm.obs_overlays)
                self.token_status.ok(f"New overlay token made. {obs or RECOPY}")
            else:
                self.token_status.ok("New API token made. Give it to the tools that use the API.")
        finally:
            self.token_buttons[which].setEnabled(True)

    # --- appearance and demo ----------------------------------------------------------------------

    def _build_appearance(self, theme: str, demo_when_offline: bool) -> None:
        card = Card("Appearance and demo")
        row = QHBoxLayout()
        row.addWidget(label("Theme"))
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName("Theme")
        for name in THEMES:
            self.theme_combo.addItem(THEME_LABELS.get(name, name.title()), name)
        self.theme_combo.setCurrentIndex(max(self.theme_combo.findData(theme), 0))
        self.theme_combo.currentIndexChanged.connect(self._theme_chosen)
        row.addWidget(self.theme_combo)
        row.addStretch(1)
        card.layout_.addLayout(row)
        # A check box's text does not wrap; this one is short enough for the narrowest window.
        self.demo_check = QCheckBox("Send demo events when no account is connected")
        self.demo_check.setChecked(demo_when_offline)
        self.demo_check.toggled.connect(
            lambda on: self.vm.spawn(self.vm.set_demo_when_offline(on), "save demo setting")
        )
        card.layout_.addWidget(self.demo_check)
        card.layout_.addWidget(
            label(
                "Takes effect the next time the app starts. To start or stop demo events now, "
                "use the Dashboard.",
                "muted",
                wrap=True,
            )
        )
        self.body.addWidget(card)

    def _theme_chosen(self, _index: int) -> None:
        self.vm.spawn(self.vm.set_theme(self.theme_combo.currentData()), "change theme")

    # --- files and secrets ------------------------------------------------------------------------

    def _build_storage(self) -> None:
        app = self.vm.app
        card = Card("Files and secrets")
        card.layout_.addWidget(label("Data folder (settings, event log, backups)", wrap=True))
        card.layout_.addWidget(_path_row(app.data_dir, ""))
        card.layout_.addWidget(label("Log file", wrap=True))
        card.layout_.addWidget(_path_row(app.state.log_file, "Not logging to a file this run"))
        backend = app.secrets.backend
        card.layout_.addWidget(
            label("Secrets (tokens, and later sign-ins and stream keys)", wrap=True)
        )
        if getattr(backend, "encrypted", True):
            card.layout_.addWidget(label(f"Kept in {backend.description}.", wrap=True))
        else:
            card.layout_.addWidget(
                Banner(
                    "warning",
                    f"Kept in {backend.description}: not encrypted. Anyone who can read your "
                    "files can read them.",
                )
            )
        self.body.addWidget(card)

    # --- where the app connects -------------------------------------------------------------------

    def _build_endpoints(self) -> None:
        """Each service address (the platforms' from their specs), where its value comes from,
        and the environment variable that overrides it: for self-hosters and support."""
        settings = self.vm.app.settings
        card = Card("Service addresses")
        card.layout_.addWidget(
            label(
                "Where Streampai Desktop connects. Each can be overridden for a run with the "
                "environment variable shown (for self-hosting and testing).",
                "muted",
                wrap=True,
            )
        )
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        specs = setting_specs()
        groups = [("", APP_ENDPOINTS)] + [
            (platform.label, tuple(e.key for e in platform.endpoints))
            for platform in PLATFORMS.values()
        ]
        self.endpoint_rows: dict[str, QLabel] = {}
        row = 0
        for group, keys in groups:
            for key in keys:
                spec = specs[key]
                name = spec.label or key
                if group and not name.startswith(group):
                    name = f"{group}: {name}"  # "Kick: Emote images", not just "Emote images"
                grid.addWidget(label(name, wrap=True), row, 0, Qt.AlignmentFlag.AlignTop)
                # A long address (an override pointing at a local server) wraps inside its
                # column rather than widening the page; where it comes from goes underneath.
                value = label(str(settings.get(key)), "mono", wrap=True)
                value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                value.setAccessibleName(spec.label or key)
                self.endpoint_rows[key] = value
                grid.addWidget(value, row, 1)
                source = settings.source(key)
                where = f"{source} · {spec.env}" if spec.env else source
                grid.addWidget(label(where, "muted", wrap=True), row + 1, 1)
                row += 2
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        card.layout_.addLayout(grid)
        self.body.addWidget(card)
