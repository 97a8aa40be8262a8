"""OBS on the Dashboard (one line — "OBS: streaming 01:23:45, 6,000 kbps, dropped frames 0.1%" —
with the scene and the stream and record buttons) and Settings → OBS (where OBS is, its password,
and what the connection says)."""

from __future__ import annotations

from collections.abc import Awaitable

from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLineEdit, QPushButton

from streampai_desktop.core.errors import UserFacingError, describe
from streampai_desktop.obs.errors import SETTINGS_PATH
from streampai_desktop.obs.service import ObsStatus
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.pages.common import Card, StatusLine, label
from streampai_desktop.ui.viewmodels.app_model import AppViewModel


class ObsDashboardCard(Card):
    """OBS's line, and (while connected) the scene and the stream and record buttons."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__()
        self.vm = vm
        self.obs = vm.obs
        top = QHBoxLayout()
        self.line = label("", "obsLine", wrap=True)
        self.line.setAccessibleName("OBS status")
        top.addWidget(self.line, 1)
        self.scene_combo = QComboBox()
        self.scene_combo.setAccessibleName("OBS scene")
        self.scene_combo.setToolTip("Switch OBS to this scene")
        self.scene_combo.activated.connect(self._scene_chosen)
        top.addWidget(self.scene_combo)
        self.stream_button = QPushButton("Start streaming")
        self.stream_button.clicked.connect(
            lambda: vm.spawn(self._toggle_stream(), "OBS stream button")
        )
        top.addWidget(self.stream_button)
        self.record_button = QPushButton("Start recording")
        self.record_button.clicked.connect(
            lambda: vm.spawn(self._toggle_record(), "OBS record button")
        )
        top.addWidget(self.record_button)
        self.layout_.addLayout(top)
        self.status = StatusLine()
        self.layout_.addWidget(self.status)
        self.obs.changed.connect(self.show_status)
        self.show_status(self.obs.status)

    def show_status(self, status: ObsStatus) -> None:
        self.line.setText(status.line())
        connected = status.connected
        for widget in (self.scene_combo, self.stream_button, self.record_button):
            widget.setVisible(connected)
        if not connected:
            return
        if [self.scene_combo.itemText(i) for i in range(self.scene_combo.count())] != list(
            status.scenes
        ):
            self.scene_combo.blockSignals(True)
            self.scene_combo.clear()
            self.scene_combo.addItems(list(status.scenes))
            self.scene_combo.blockSignals(False)
        if status.scene is not None:
            self.scene_combo.setCurrentText(status.scene)
        stream, record = status.streaming, status.recording
        self.stream_button.setText("Stop streaming" if stream.active else "Start streaming")
        self.stream_button.setEnabled(stream.state not in ("starting", "stopping"))
        self.record_button.setText("Stop recording" if record.active else "Start recording")
        self.record_button.setEnabled(record.state not in ("starting", "stopping"))

    def _scene_chosen(self, index: int) -> None:
        scene = self.scene_combo.itemText(index)
        if scene and scene != self.obs.status.scene:
            self.vm.spawn(self._run(self.obs.set_scene(scene)), "switch OBS scene")

    async def _toggle_stream(self) -> None:
        if self.obs.status.streaming.active:
            asked = await confirm(
                self,
                "Stop streaming?",
                "OBS stops sending your stream: your viewers see the stream end.",
                "Stop streaming",
            )
            if asked:
                await self._run(self.obs.set_streaming(False))
        else:
            await self._run(self.obs.set_streaming(True))

    async def _toggle_record(self) -> None:
        await self._run(self.obs.set_recording(not self.obs.status.recording.active))

    async def _run(self, action: Awaitable[None]) -> None:
        self.status.clear()
        try:
            await action
        except UserFacingError as exc:
            self.status.error(describe(exc).text)


class ObsSettingsCard(Card):
    """Where OBS is and its password; what the connection says, with what to do in OBS."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "OBS",
            "Streampai switches scenes, starts and stops your stream and keeps your overlays' "
            "sources right through OBS's WebSocket server (OBS 28 or later). In OBS open "
            f"{SETTINGS_PATH}, tick “Enable WebSocket server”, and copy the address and "
            "password from Show Connect Info.",
        )
        self.vm = vm
        self.obs = vm.obs
        row = QHBoxLayout()
        row.addWidget(label("Address"))
        self.url_field = QLineEdit(self.obs.status.url)
        self.url_field.setObjectName("obsUrl")
        self.url_field.setAccessibleName("OBS WebSocket address")
        self.url_field.setPlaceholderText("ws://127.0.0.1:4455")
        row.addWidget(self.url_field, 2)
        row.addWidget(label("Password"))
        self.password_field = QLineEdit()
        self.password_field.setObjectName("obsPassword")
        self.password_field.setAccessibleName("OBS WebSocket password")
        self.password_field.setEchoMode(QLineEdit.EchoMode.Password)
        row.addWidget(self.password_field, 1)
        self.connect_button = QPushButton("Connect")
        self.connect_button.clicked.connect(lambda: vm.spawn(self._connect(), "connect to OBS"))
        row.addWidget(self.connect_button)
        self.layout_.addLayout(row)
        self.env_note = None
        if self.obs.url_source == "environment":
            self.env_note = label(
                "This run's address comes from the environment (STREAMPAI_OBS_URL); Connect "
                "saves the one above for later runs.",
                "muted",
                wrap=True,
            )
            self.layout_.addWidget(self.env_note)
        # The answer to the repair question ("Always update OBS"), and the way to take it back.
        # (short: a check box does not wrap, and the page must not scroll sideways at 860 px)
        self.always_update = QCheckBox("Update OBS by itself when overlay addresses change")
        self.always_update.setToolTip("After a new overlay token or a new port")
        self.always_update.setObjectName("obsAlwaysUpdate")
        self.always_update.setChecked(vm.obs_overlays.always_update)
        self.always_update.toggled.connect(
            lambda on: vm.spawn(vm.obs_overlays.set_always_update(on), "OBS always-update setting")
        )
        vm.obs_overlays.always_update_changed.connect(self._show_always_update)
        self.layout_.addWidget(self.always_update)
        self.state = label("", "obsState", wrap=True)
        self.layout_.addWidget(self.state)
        self.details = label("", "muted", wrap=True)
        self.layout_.addWidget(self.details)
        self.result = StatusLine()
        self.layout_.addWidget(self.result)
        self.obs.changed.connect(self.show_status)
        self.show_status(self.obs.status)

    def _show_always_update(self, on: bool) -> None:
        if self.always_update.isChecked() != on:  # chosen in the repair question meanwhile
            self.always_update.blockSignals(True)
            self.always_update.setChecked(on)
            self.always_update.blockSignals(False)

    def show_status(self, status: ObsStatus) -> None:
        self.password_field.setPlaceholderText(
            "saved" if self.obs.has_password else "none (if OBS asks for none)"
        )
        if status.connected:
            self.state.setText(
                f"Connected to OBS {status.obs_version} (obs-websocket "
                f"{status.websocket_version}) at {status.url}."
            )
            what = status.line().removeprefix("OBS: ")
            self.details.setText(what[:1].upper() + what[1:])
            self.details.setVisible(True)
            if self.result.objectName() == "inlineError":
                self.result.clear()
        else:
            self.state.setText(status.line())
            self.details.setText(status.error or "")
            self.details.setVisible(bool(status.error))

    async def _connect(self) -> None:
        url = self.url_field.text().strip() or None
        password = self.password_field.text() or None  # empty: keep the saved one
        self.connect_button.setEnabled(False)
        self.result.busy("Connecting to OBS…")
        try:
            status = await self.obs.connect_obs(url, password)
        except UserFacingError as exc:
            self.result.error(describe(exc).text)
        else:
            self.password_field.clear()
            self.result.flash(f"Connected to OBS {status.obs_version}.")
        finally:
            self.connect_button.setEnabled(True)
            self.url_field.setText(self.obs.status.url)
