"""Platforms: one generic row per platform spec — connect with the platform's own sign-in flow,
see each connected channel's state, disconnect.

Nothing here names a platform: rows, labels, what a connection brings and the sign-in step shown
(a code to type, or "your browser opened …") come from ``platforms/registry.py``. A platform that
is declared but not built yet is listed honestly as coming later: no button pretends to work.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.core.errors import UserFacingError, describe
from streampai_desktop.platforms.base import ConnectorState, NotReady, asks_for_permissions
from streampai_desktop.platforms.flows import (
    BrowserStep,
    ChoiceStep,
    DeviceCodeStep,
    SignInStep,
)
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.platforms.spec import PlatformSpec, SignInKind
from streampai_desktop.store import Account
from streampai_desktop.ui.dialogs import confirm
from streampai_desktop.ui.formatting import format_countdown
from streampai_desktop.ui.pages.common import Card, Page, StatusLine, label
from streampai_desktop.ui.status_text import (
    COMING_LATER,
    NOT_CONNECTED,
    STATE_BADGES,
    describe_status,
)
from streampai_desktop.ui.viewmodels.app_model import AppViewModel
from streampai_desktop.ui.viewmodels.streams import PlatformStatus

SIGN_IN_AGAIN_STATES = {ConnectorState.NEEDS_SIGN_IN, ConnectorState.ERROR}


# What signing in involves, per flow kind (said under Connect).
SIGN_IN_NOTES: dict[SignInKind, str] = {
    SignInKind.DEVICE_CODE: (
        "You approve Streampai Desktop on {label}'s own site with a short code; your password "
        "never goes through this app."
    ),
    SignInKind.BROWSER_PKCE: (
        "Your browser opens {label}'s sign-in page; your password never goes through this app."
    ),
    SignInKind.VIA_SERVICE: (
        "{label} connects through your Streampai account: sign in under Account first. Your "
        "browser then opens {label}'s sign-in page; your password never goes through this app."
    ),
}


def sign_in_note(spec: PlatformSpec) -> str:
    if spec.available:
        return SIGN_IN_NOTES[spec.sign_in].format(label=spec.label)
    return f"{spec.label} arrives in a later version."


def restyle(widget: QWidget, object_name: str) -> None:
    """Switch a widget's style-sheet look (its object name) and re-polish it."""
    if widget.objectName() != object_name:
        widget.setObjectName(object_name)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def short_url(url: str) -> str:
    """``https://www.example.com/activate?x=y`` → ``example.com/activate`` (for a button)."""
    parts = urlsplit(url)
    host = parts.netloc.removeprefix("www.")
    return f"{host}{parts.path}".rstrip("/") or url


class SignInPanel(QFrame):
    """The flow's current step: a code to type on the platform's site (with a countdown), the
    consent page the browser opened (a button to open it again), or — when the sign-in reaches
    several channels (a Facebook user's Pages) — the list to pick one from; and Cancel."""

    cancel_requested = Signal()

    def __init__(self, platform_label: str) -> None:
        super().__init__()
        self.platform_label = platform_label
        self.setObjectName("deviceCodePanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(8)
        self.instructions = label("", wrap=True)
        layout.addWidget(self.instructions)
        self.code = label("", "deviceCode")
        self.code.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(26)
        font.setBold(True)
        font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 6)
        self.code.setFont(font)
        self.code.setAccessibleName("Sign-in code")
        layout.addWidget(self.code)
        self.choices = QListWidget()
        self.choices.setObjectName("signInChoices")
        self.choices.setAccessibleName("Choose one")
        self.choices.setMaximumHeight(160)
        self.choices.itemDoubleClicked.connect(lambda _item: self._choose())
        self.choices.hide()
        layout.addWidget(self.choices)
        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open")
        self.open_button.setObjectName("primary")
        self.open_button.clicked.connect(self._open)
        self.copy_button = QPushButton("Copy code")
        self.copy_button.clicked.connect(self._copy)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel_requested.emit)
        self.choose_button = QPushButton("Connect this one")
        self.choose_button.setObjectName("primary")
        self.choose_button.clicked.connect(self._choose)
        self.choose_button.hide()
        self._choice_step: ChoiceStep | None = None
        self.choices.currentRowChanged.connect(lambda row: self.choose_button.setEnabled(row >= 0))
        for button in (self.open_button, self.copy_button, self.choose_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        layout.addLayout(buttons)
        self.waiting = label("", "muted", wrap=True)
        layout.addWidget(self.waiting)
        self._url = ""
        self._expires_at = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.hide()

    def show_step(self, step: SignInStep) -> None:
        if isinstance(step, DeviceCodeStep):
            self.show_code(step.user_code, step.verification_uri, step.expires_at)
        elif isinstance(step, ChoiceStep):
            self.show_choice(step)
        else:
            self.show_browser(step)

    def show_choice(self, step: ChoiceStep) -> None:
        """The platform answered; the streamer picks which channel (Page) to connect."""
        self._timer.stop()
        self._choice_step = step
        self.instructions.setText(step.prompt)
        self.code.hide()
        self.open_button.hide()
        self.copy_button.hide()
        self.choices.clear()
        for choice in step.choices:
            text = f"{choice.label} — {choice.detail}" if choice.detail else choice.label
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, choice.id)
            item.setToolTip(f"id {choice.id}")
            self.choices.addItem(item)
        self.choices.show()
        self.choose_button.setEnabled(False)
        self.choose_button.show()
        self.waiting.setText("")
        self.show()

    def _choose(self) -> None:
        step, item = self._choice_step, self.choices.currentItem()
        if step is None or item is None:
            return
        chosen = item.data(Qt.ItemDataRole.UserRole)
        step.choose(next(c for c in step.choices if c.id == chosen))
        self.choose_button.setEnabled(False)
        self.waiting.setText(f"Connecting {item.text()}…")

    def show_code(self, user_code: str, verification_uri: str, expires_at: float) -> None:
        """Show ``user_code``; ``expires_at`` is on the ``time.monotonic()`` clock."""
        self._url = verification_uri
        self._expires_at = expires_at
        where = short_url(verification_uri)
        self.instructions.setText(
            f"Open <b>{where}</b>, sign in to {self.platform_label} if asked, and enter this code:"
        )
        self.code.setText(user_code)
        self.code.show()
        self.open_button.setText(f"Open {where}")
        self.copy_button.setText("Copy code")
        self.copy_button.show()
        self._tick()
        self._timer.start()
        self.show()

    def show_browser(self, step: BrowserStep) -> None:
        """The consent page is open in the browser (or could not be opened: then a button)."""
        self._url = step.url
        where = short_url(step.url)
        self.instructions.setText(
            f"Your browser opened <b>{where}</b>. Approve Streampai Desktop there; this "
            "page continues by itself."
            if step.opened
            else f"Open <b>{where}</b> in your browser and approve Streampai Desktop there."
        )
        self.code.setText("")
        self.code.hide()
        self.copy_button.hide()
        self.open_button.setText(f"Open {where}" + (" again" if step.opened else ""))
        self.waiting.setText(f"Waiting for you to approve on {self.platform_label}…")
        self.show()

    def reset(self) -> None:
        self._timer.stop()
        self.code.setText("")
        self._choice_step = None
        self.choices.clear()
        self.choices.hide()
        self.choose_button.hide()
        self.open_button.show()
        self.hide()

    def _tick(self) -> None:
        left = self._expires_at - time.monotonic()
        if left <= 0:
            self._timer.stop()
            self.waiting.setText("The code expired. Cancel and connect again for a new one.")
            return
        self.waiting.setText(
            f"Waiting for you to approve on {self.platform_label}… "
            f"The code expires in {format_countdown(left)}."
        )

    def _open(self) -> None:
        QDesktopServices.openUrl(QUrl(self._url))

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.code.text())
        self.copy_button.setText("Copied")


class AccountLine(QFrame):
    """One signed-in channel: who, the connector's state, Sign in again and Disconnect."""

    sign_in_requested = Signal()
    disconnect_requested = Signal(str)  # account id

    def __init__(self, account: Account) -> None:
        super().__init__()
        self.setObjectName("accountLine")
        self.account = account
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 4, 0, 0)
        text = QVBoxLayout()
        text.setSpacing(2)
        name = account.display_name or account.login
        shown = name if name.lower() == account.login.lower() else f"{name} ({account.login})"
        self.channel = label(f"Signed in as <b>{shown}</b>", "channelName")
        self.channel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        text.addWidget(self.channel)
        self.detail = label("", "muted", wrap=True)
        text.addWidget(self.detail)
        row.addLayout(text, 1)
        self.badge = label("", "badge")
        row.addWidget(self.badge, 0, Qt.AlignmentFlag.AlignVCenter)
        self.sign_in_again = QPushButton("Sign in again")
        self.sign_in_again.setObjectName("primary")
        self.sign_in_again.clicked.connect(self.sign_in_requested.emit)
        row.addWidget(self.sign_in_again, 0, Qt.AlignmentFlag.AlignVCenter)
        self.disconnect_button = QPushButton("Disconnect…")
        self.disconnect_button.clicked.connect(
            lambda: self.disconnect_requested.emit(self.account.id)
        )
        row.addWidget(self.disconnect_button, 0, Qt.AlignmentFlag.AlignVCenter)

    def update_status(self, status: PlatformStatus | None) -> None:
        if status is None:
            self.badge.setText("Stopped")
            restyle(self.badge, "badge")
            self.detail.setText("Not running.")
            self.sign_in_again.hide()
            return
        text, style = STATE_BADGES.get(status.state, (status.state.value, "badge"))
        self.badge.setText(text)
        restyle(self.badge, style)
        detail = describe_status(status)
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))
        # Also beside a working account whose sign-in predates what the app asks for now.
        self.sign_in_again.setVisible(
            status.state in SIGN_IN_AGAIN_STATES or asks_for_permissions(status.status)
        )


class PlatformRow(Card):
    """One platform, drawn from its spec: name, what it brings, Connect (its own sign-in flow),
    then each connected channel and its live state — or, for a later platform, an honest note."""

    def __init__(self, spec: PlatformSpec, vm: AppViewModel) -> None:
        super().__init__()
        self.spec = spec
        self.vm = vm
        row = QHBoxLayout()
        text = QVBoxLayout()
        text.addWidget(label(spec.label, "sectionTitle"))
        text.addWidget(label(spec.brings, "muted", wrap=True))
        row.addLayout(text, 1)
        self.state = label(NOT_CONNECTED if spec.available else COMING_LATER, "badge")
        row.addWidget(self.state, 0, Qt.AlignmentFlag.AlignVCenter)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setEnabled(spec.available)
        self.connect_button.setToolTip(sign_in_note(spec))
        row.addWidget(self.connect_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.layout_.addLayout(row)
        self.note = label(sign_in_note(spec), "muted", wrap=True)
        self.layout_.addWidget(self.note)
        self.lines: dict[str, AccountLine] = {}
        self._sign_in_task: asyncio.Task[None] | None = None
        if not spec.available:
            return
        self.connect_button.setObjectName("primary")
        self.connect_button.clicked.connect(self.start_sign_in)
        self.code_panel = SignInPanel(spec.label)
        self.code_panel.cancel_requested.connect(self.cancel_sign_in)
        self.layout_.addWidget(self.code_panel)
        self.accounts_box = QVBoxLayout()
        self.accounts_box.setSpacing(6)
        self.layout_.addLayout(self.accounts_box)
        self.status = StatusLine()
        self.layout_.addWidget(self.status)
        vm.streams.accounts_changed.connect(self.update_accounts)
        vm.streams.states_changed.connect(self.update_states)
        self.update_accounts()

    @property
    def signing_in(self) -> bool:
        return self._sign_in_task is not None and not self._sign_in_task.done()

    # --- accounts and states ----------------------------------------------------------------------

    def update_accounts(self) -> None:
        accounts = self.vm.streams.accounts_for(self.spec.id)
        wanted = {a.id for a in accounts}
        for account_id in list(self.lines):
            if account_id not in wanted:
                line = self.lines.pop(account_id)
                self.accounts_box.removeWidget(line)
                line.deleteLater()
        for account in accounts:
            if account.id not in self.lines:
                line = AccountLine(account)
                line.sign_in_requested.connect(self.start_sign_in)
                line.disconnect_requested.connect(self._disconnect)
                self.lines[account.id] = line
                self.accounts_box.addWidget(line)
        connected = bool(accounts)
        self.connect_button.setVisible(not connected)
        self.note.setVisible(not connected)
        self.state.setVisible(not connected)
        self.update_states()

    def update_states(self) -> None:
        trouble = False
        for account_id, line in self.lines.items():
            status = self.vm.streams.status_of(account_id)
            line.update_status(status)
            line.sign_in_again.setEnabled(not self.signing_in)
            trouble = trouble or (status is not None and status.state in SIGN_IN_AGAIN_STATES)
        if trouble and self.status.objectName() == "inlineOk":
            self.status.clear()  # "Connected to …" is no longer true

    def needs_ticking(self) -> bool:
        """A next-attempt countdown is on screen."""
        return any(
            (s := self.vm.streams.status_of(aid)) is not None
            and s.status.next_attempt_at is not None
            and s.state is not ConnectorState.CONNECTED
            for aid in self.lines
        )

    # --- sign-in ----------------------------------------------------------------------------------

    def start_sign_in(self) -> None:
        if self.signing_in:
            return
        self.connect_button.setEnabled(False)
        self.status.busy(f"Starting the {self.spec.label} sign-in…")
        self._sign_in_task = self.vm.spawn(self._sign_in(), f"{self.spec.label} sign-in")
        self.update_states()

    def cancel_sign_in(self) -> None:
        if self._sign_in_task is not None:
            self._sign_in_task.cancel()

    async def _show_step(self, step: SignInStep) -> None:
        # Called by the flow once the platform gave us a code (or the browser opened); the flow
        # then waits for the streamer's approval, so this returns at once and the panel stays.
        self.status.clear()
        self.code_panel.show_step(step)

    async def _sign_in(self) -> None:
        try:
            await self.vm.sign_in(self.spec.id, self._show_step)
        except asyncio.CancelledError:
            self.status.busy("Sign-in cancelled.")
            raise
        except NotReady as exc:
            self.status.error(f"Could not sign in: {exc}. Check your connection and try again.")
        except UserFacingError as exc:
            self.status.error(describe(exc).text)
        else:
            accounts = self.vm.streams.accounts_for(self.spec.id)
            who = accounts[-1].login if accounts else "your channel"
            self.status.ok(
                f"Connected to {who}. Demo events stopped: your overlays now show your channel."
            )
        finally:
            self.code_panel.reset()
            self.connect_button.setEnabled(True)
            self._sign_in_task = None
            self.update_states()

    # --- disconnect -------------------------------------------------------------------------------

    def _disconnect(self, account_id: str) -> None:
        self.vm.spawn(self.disconnect_account(account_id), "disconnect account")

    async def disconnect_account(self, account_id: str) -> bool:
        line = self.lines.get(account_id)
        login = line.account.login if line else "this channel"
        ok = await confirm(
            self,
            f"Disconnect {self.spec.label}?",
            f"Streampai Desktop stops receiving chat and events from {login}, and its sign-in "
            "is deleted from this computer. You can connect again at any time.",
            "Disconnect",
        )
        if not ok:
            return False
        if line is not None:
            line.disconnect_button.setEnabled(False)
        self.status.busy(f"Disconnecting {login}…")
        try:
            await self.vm.streams.disconnect_account(account_id)
        finally:
            if line is not None and account_id in self.lines:
                line.disconnect_button.setEnabled(True)
        self.status.ok(f"Disconnected {login}.")
        return True


class PlatformsPage(Page):
    """One row per platform in the registry."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Platforms",
            "Connect your channels to get their chat, alerts and stream stats. Until one is "
            "connected, demo events keep your overlays busy so you can set up your scenes.",
        )
        self.rows: dict[str, PlatformRow] = {
            spec.id: PlatformRow(spec, vm) for spec in PLATFORMS.values()
        }
        for row in self.rows.values():
            self.body.addWidget(row)
        self.body.addStretch(1)
        # Ticks the "next attempt in N s" countdown while one is on screen.
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    def _tick(self) -> None:
        if not self.isVisible():
            return
        for row in self.rows.values():
            if row.spec.available and row.needs_ticking():
                row.update_states()
