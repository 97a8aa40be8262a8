"""Account & Sync: sign in to the Streampai account, see the plan and the signed-in computers, and
watch (or start) the sync of widget settings and preferences.

Everything on this page talks to the account service through :class:`AccountModel`; the sync
itself runs in the app's background engine, so the page only shows its state and can ask for a
round now. Secrets (platform sign-ins, tokens) never sync, and the page says so.
"""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from streampai_desktop.cloud.engine import ChoiceRequired, SyncError
from streampai_desktop.settings import SettingsError
from streampai_desktop.ui.dialogs import ask, confirm
from streampai_desktop.ui.pages.common import Banner, Card, Page, StatusLine, label
from streampai_desktop.ui.pages.platforms import restyle
from streampai_desktop.ui.viewmodels.account import AccountModel, Device, sync_error_text
from streampai_desktop.ui.viewmodels.app_model import AppViewModel

KEEP_THIS_COMPUTER = "Keep this computer's settings"
USE_ACCOUNT = "Use the account's settings"

# SyncStatus.state → (badge text, badge style). The styles are in ui/style.py.
SYNC_BADGES: dict[str, tuple[str, str]] = {
    "idle": ("Waiting", "badge"),
    "syncing": ("Syncing…", "badgeWarn"),
    "up_to_date": ("Up to date", "badgeLive"),
    "offline": ("Offline", "badgeWarn"),
    "error": ("Sync error", "badgeError"),
    "sign_in": ("Sign in again", "badgeError"),
    "too_old": ("Update needed", "badgeError"),
}
SYNC_LINES: dict[str, str] = {
    "idle": "Sync starts in a moment.",
    "syncing": "Sending your changes and fetching the account's…",
    "up_to_date": "This computer has everything the account has.",
    "offline": "Can't reach the account service right now. Your changes are kept and sent "
    "when it is back.",
    "error": "Sync failed. Your changes are kept; it tries again by itself.",
    "sign_in": "The account service ended this sign-in. Sign in again to keep syncing.",
    "too_old": "The account service no longer accepts this version. Your changes are kept "
    "until you update Streampai Desktop.",
}
PLANS = {"free": ("Free plan", "badge"), "pro": ("Pro plan", "badgeLive")}


def ago(seconds: float) -> str:
    """ "just now", "5 min ago", "3 h ago", "2 days ago"."""
    seconds = max(0.0, seconds)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def format_wall(at: float, now: float | None = None) -> str:
    """A wall-clock time as "14:03:12 (just now)", with the date when it is not today."""
    moment = datetime.fromtimestamp(at)
    today = datetime.fromtimestamp(now if now is not None else time.time()).date()
    clock = moment.strftime("%H:%M:%S" if moment.date() == today else "%d %b %Y, %H:%M")
    return f"{clock} ({ago((now or time.time()) - at)})"


def when(value: str, *, ago_only: bool = False) -> str:
    """An ISO time from the service: "3 min ago", or a local date ("24 Nov 2026")."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value or "unknown"
    if ago_only:
        return ago(time.time() - moment.timestamp())
    return moment.astimezone().strftime("%d %b %Y")


def _row(*widgets: QWidget, stretch_after: int = -1) -> QHBoxLayout:
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    for index, widget in enumerate(widgets):
        row.addWidget(widget)
        if index == stretch_after:
            row.addStretch(1)
    if stretch_after < 0:
        row.addStretch(1)
    return row


class DeviceRow(QFrame):
    """One signed-in computer: its name, when it was last seen, and Revoke (not for this one)."""

    def __init__(self, device: Device) -> None:
        super().__init__()
        self.setObjectName("deviceRow")
        self.device = device
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        text = QVBoxLayout()
        text.setSpacing(0)
        name = label(device.name)
        name.setObjectName("deviceName")
        heading = QHBoxLayout()
        heading.setSpacing(8)
        heading.addWidget(name)
        if device.current:
            heading.addWidget(label("This computer", "badgeLive"))
        heading.addStretch(1)
        text.addLayout(heading)
        self.details = label(
            f"Last seen {when(device.last_seen_at, ago_only=True)} · signed in "
            f"{when(device.created_at)}",
            "muted",
            wrap=True,
        )
        text.addWidget(self.details)
        layout.addLayout(text, 1)
        self.revoke_button = QPushButton("Sign out here" if device.current else "Revoke")
        self.revoke_button.setAccessibleName(f"Revoke {device.name}")
        self.revoke_button.setVisible(not device.current)  # this computer: use Sign out above
        layout.addWidget(self.revoke_button, 0, Qt.AlignmentFlag.AlignVCenter)


class AccountPage(Page):
    """The sign-in form while signed out; the account, its computers and sync while signed in."""

    def __init__(self, vm: AppViewModel) -> None:
        super().__init__(
            "Account & Sync",
            "Sign in to your Streampai account to keep widget settings and preferences the same "
            "on all your computers. Everything keeps working offline; platform sign-ins, stream "
            "keys and tokens never leave this computer.",
        )
        self.vm = vm
        self.model: AccountModel = vm.account
        self.device_rows: list[DeviceRow] = []
        self._build_sign_in()
        self._build_account()
        self._build_sync()
        self._build_service()
        self.body.addStretch(1)

        self.model.signed_in_changed.connect(lambda _on: self._show_signed_in())
        self.model.account_changed.connect(self._show_account)
        self.model.sync_changed.connect(self._show_sync)
        self._clock = QTimer(self)
        self._clock.setInterval(10_000)  # "2 min ago" keeps moving while the page is open
        self._clock.timeout.connect(self._show_last_synced)
        self._show_signed_in()
        self._show_account()
        self._show_sync()
        self._show_service()

    # --- signed out: the form ------------------------------------------------------------------

    def _build_sign_in(self) -> None:
        self.sign_in_card = Card(
            "Sign in",
            "Use your Streampai account, or create one here. Signing in on a second computer "
            "asks which settings to keep before anything is replaced.",
        )
        self.ended_banner = Banner("warning", "")
        self.ended_banner.hide()
        self.sign_in_card.layout_.addWidget(self.ended_banner)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setHorizontalSpacing(14)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self.email_edit = QLineEdit()
        self.email_edit.setPlaceholderText("you@example.com")
        self.email_edit.setAccessibleName("Email")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName("Password")
        self.handle_edit = QLineEdit()
        self.handle_edit.setPlaceholderText("optional, for a new account: e.g. nightowl_live")
        self.handle_edit.setAccessibleName("Handle")
        self.handle_edit.setToolTip(
            "Your public name on Streampai (your donation page's address). 3-30 lower-case "
            "letters, digits or _. Leave it empty to get one made from your email."
        )
        for edit in (self.email_edit, self.password_edit, self.handle_edit):
            edit.setMaximumWidth(420)
        form.addRow("Email", self.email_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("Handle", self.handle_edit)
        self.sign_in_card.layout_.addLayout(form)
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("primary")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.clicked.connect(lambda: self._start_sign_in(register=False))
        self.register_button = QPushButton("Create account")
        self.register_button.clicked.connect(lambda: self._start_sign_in(register=True))
        self.password_edit.returnPressed.connect(lambda: self._start_sign_in(register=False))
        self.sign_in_card.layout_.addLayout(_row(self.sign_in_button, self.register_button))
        self.form_status = StatusLine()
        self.sign_in_card.layout_.addWidget(self.form_status)
        self.body.addWidget(self.sign_in_card)

    def _form_enabled(self, on: bool) -> None:
        for widget in (
            self.email_edit,
            self.password_edit,
            self.handle_edit,
            self.sign_in_button,
            self.register_button,
        ):
            widget.setEnabled(on)

    def _start_sign_in(self, *, register: bool) -> None:
        email = self.email_edit.text().strip()
        password = self.password_edit.text()
        handle = self.handle_edit.text().strip() or None
        if not email or not password:
            self.form_status.error("Enter your email and password.")
            (self.email_edit if not email else self.password_edit).setFocus()
            return
        if register and len(password) < 8:
            self.form_status.error("Choose a password of at least 8 characters.")
            self.password_edit.setFocus()
            return
        if not self.sign_in_button.isEnabled():
            return  # already signing in (Enter pressed twice)
        self._form_enabled(False)
        self.form_status.busy("Creating your account…" if register else "Signing in…")
        self.vm.spawn(
            self._sign_in(email, password, register=register, handle=handle if register else None),
            "account sign-in",
        )

    async def _sign_in(
        self, email: str, password: str, *, register: bool, handle: str | None
    ) -> None:
        try:
            try:
                await self.model.sign_in(email, password, register=register, handle=handle)
            except ChoiceRequired:
                keep = await self.ask_which_config()
                if keep is None:
                    self.form_status.busy("Not signed in; nothing was changed.")
                    return
                self.form_status.busy(
                    "Signing in and sending this computer's settings…"
                    if keep == "this_computer"
                    else "Signing in and fetching the account's settings…"
                )
                await self.model.sign_in(email, password, keep=keep)
        except SyncError as exc:
            text = sync_error_text(exc, self.model.session_url)
            if self.model.signed_in:  # signed in, but the first sync did not finish
                self.form_status.clear()
                self.sync_status.error(f"Signed in, but the first sync failed: {text}")
            else:
                self.form_status.error(text)
        else:
            self.form_status.clear()
            self.password_edit.clear()
            self.handle_edit.clear()
        finally:
            self._form_enabled(True)

    async def ask_which_config(self) -> str | None:
        """Both sides have settings: "this_computer", "account", or None (cancelled)."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Which settings should win?",
            "This computer and your account both have widget settings and preferences. "
            "Choose which ones to keep — the other ones are replaced.",
            parent=self,
        )
        box.setObjectName("syncChoiceDialog")
        box.setInformativeText(
            f"{KEEP_THIS_COMPUTER}: they replace the account's, and every other signed-in "
            f"computer picks them up.\n\n{USE_ACCOUNT}: they replace this computer's widget "
            "settings and preferences.\n\nConnected platforms and secrets stay as they are "
            "either way."
        )
        keep = box.addButton(KEEP_THIS_COMPUTER, QMessageBox.ButtonRole.AcceptRole)
        use = box.addButton(USE_ACCOUNT, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        clicked = await ask(box)
        if clicked is keep:
            return "this_computer"
        if clicked is use:
            return "account"
        return None

    # --- signed in: the account and its computers ----------------------------------------------

    def _build_account(self) -> None:
        self.account_card = Card()
        head = QHBoxLayout()
        who = QVBoxLayout()
        who.setSpacing(2)
        top = QHBoxLayout()
        top.setSpacing(10)
        self.email_label = label("", "accountEmail")
        self.email_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plan_badge = label("", "badge")
        top.addWidget(self.email_label)
        top.addWidget(self.plan_badge)
        top.addStretch(1)
        who.addLayout(top)
        self.handle_label = label("", "muted")
        self.handle_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        who.addWidget(self.handle_label)
        head.addLayout(who, 1)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.clicked.connect(self._start_sign_out)
        head.addWidget(self.sign_out_button, 0, Qt.AlignmentFlag.AlignTop)
        self.account_card.layout_.addLayout(head)
        self.load_banner = Banner("warning", "", "Retry")
        assert self.load_banner.button is not None
        self.load_banner.button.clicked.connect(
            lambda: self.vm.spawn(self.model.load_account(), "load account")
        )
        self.load_banner.hide()
        self.account_card.layout_.addWidget(self.load_banner)
        self.account_card.layout_.addSpacing(6)
        self.account_card.layout_.addWidget(label("Computers signed in", "formSection"))
        self.devices_box = QVBoxLayout()
        self.devices_box.setSpacing(4)
        self.account_card.layout_.addLayout(self.devices_box)
        self.account_status = StatusLine()
        self.account_card.layout_.addWidget(self.account_status)
        self.body.addWidget(self.account_card)

    def _show_account(self) -> None:
        account = self.model.account or {}
        self.email_label.setText(str(account.get("email") or "Signed in"))
        handle = account.get("handle")
        self.handle_label.setText(f"@{handle}" if handle else "")
        self.handle_label.setVisible(bool(handle))
        plan = str(account.get("plan") or "")
        text, style = PLANS.get(plan, (f"{plan.title()} plan", "badge"))
        self.plan_badge.setText(text)
        self.plan_badge.setVisible(bool(plan))
        restyle(self.plan_badge, style)
        if self.model.load_error:
            self.load_banner.set_text(
                f"Could not load the account details: {self.model.load_error}"
            )
        self.load_banner.setVisible(bool(self.model.load_error))
        for row in self.device_rows:
            self.devices_box.removeWidget(row)
            row.deleteLater()
        self.device_rows = []
        for device in sorted(self.model.devices, key=lambda d: not d.current):
            row = DeviceRow(device)
            row.revoke_button.clicked.connect(lambda _c=False, d=device: self._start_revoke(d))
            self.devices_box.addWidget(row)
            self.device_rows.append(row)

    def _start_revoke(self, device: Device) -> None:
        self.vm.spawn(self._revoke(device), "revoke device")

    async def _revoke(self, device: Device) -> None:
        if not await confirm(
            self,
            f"Sign out “{device.name}”?",
            "That computer stops syncing until someone signs in on it again. Its settings stay "
            "on it.",
            "Revoke",
        ):
            return
        self.account_status.busy(f"Signing out “{device.name}”…")
        try:
            await self.model.revoke(device.id)
        except SyncError as exc:
            self.account_status.error(sync_error_text(exc, self.model.session_url))
        else:
            self.account_status.ok(f"“{device.name}” is signed out of your account.")

    def _start_sign_out(self) -> None:
        self.sign_out_button.setEnabled(False)
        self.vm.spawn(self._sign_out(), "account sign-out")

    async def _sign_out(self) -> None:
        try:
            pending = await self.model.refresh_pending()
            if pending and not await confirm(
                self,
                "Sign out with changes not sent?",
                f"{pending} change(s) on this computer have not reached your account yet. "
                "They stay here, and you choose what to keep when you sign in again.",
                "Sign out",
            ):
                return
            await self.model.sign_out()
            self.form_status.ok("Signed out. Your settings stay on this computer.")
        finally:
            self.sign_out_button.setEnabled(True)

    # --- signed in: sync ---------------------------------------------------------------------

    def _build_sync(self) -> None:
        self.sync_card = Card("Sync")
        head = QHBoxLayout()
        self.sync_badge = label("", "badge")
        head.addWidget(self.sync_badge)
        self.sync_line = label("", wrap=True)
        head.addWidget(self.sync_line, 1)
        self.sync_now_button = QPushButton("Sync now")
        self.sync_now_button.clicked.connect(self._start_sync_now)
        head.addWidget(self.sync_now_button, 0, Qt.AlignmentFlag.AlignTop)
        self.sync_card.layout_.addLayout(head)
        self.sync_detail = label("", "muted", wrap=True)
        self.sync_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.sync_card.layout_.addWidget(self.sync_detail)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the engine does not know the total in advance
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(6)
        self.progress.hide()
        self.sync_card.layout_.addWidget(self.progress)
        facts = QFormLayout()
        facts.setHorizontalSpacing(14)
        self.last_synced_label = label("")
        self.pending_label = label("")
        # "Online since 14:02:10 (3 min ago)": how long this computer has (not) been reaching
        # the account service, the first thing to look at when the other computer lags behind.
        self.connection_title = label("Reaching the service", "muted")
        self.connection_label = label("")
        facts.addRow(self.connection_title, self.connection_label)
        facts.addRow(label("Last synced", "muted"), self.last_synced_label)
        facts.addRow(label("Changes waiting to be sent", "muted"), self.pending_label)
        self.sync_card.layout_.addLayout(facts)
        self.notices_banner = Banner("info", "", "Dismiss")
        assert self.notices_banner.button is not None
        self.notices_banner.button.clicked.connect(self.model.dismiss_notices)
        self.notices_banner.hide()
        self.sync_card.layout_.addWidget(self.notices_banner)
        # One strip per edit of this computer that another computer's later edit replaced:
        # the setting, both values, and "Use mine instead".
        self.conflicts_box = QVBoxLayout()
        self.conflicts_box.setSpacing(6)
        self.sync_card.layout_.addLayout(self.conflicts_box)
        self.conflict_banners: list[Banner] = []
        self.sync_status = StatusLine()
        self.sync_card.layout_.addWidget(self.sync_status)
        self.body.addWidget(self.sync_card)

    def _show_sync(self, state: str | None = None) -> None:
        state = state or self.model.state
        text, style = SYNC_BADGES.get(state, (state.replace("_", " ").title(), "badge"))
        self.sync_badge.setText(text)
        restyle(self.sync_badge, style)
        line = SYNC_LINES.get(state, "")
        pending = self.model.pending
        if state == "syncing" and pending:
            line = f"Sending {pending} change(s) and fetching the account's…"
        self.sync_line.setText(line)
        detail = self.model.detail
        self.sync_detail.setText(f"Reason: {detail}" if detail and state != "syncing" else "")
        self.sync_detail.setVisible(bool(self.sync_detail.text()))
        self.progress.setVisible(state == "syncing")
        self.sync_now_button.setEnabled(state != "syncing")
        self.pending_label.setText("none" if pending == 0 else f"{pending} (sent at the next sync)")
        self._show_last_synced()
        notices = self.model.notices()
        if notices:
            shown = notices[-5:]
            more = len(notices) - len(shown)
            text = "\n".join(f"•  {n}" for n in shown)
            if more:
                text = f"{more} earlier notice(s) not shown.\n{text}"
            self.notices_banner.set_text(text)
        self.notices_banner.setVisible(bool(notices))
        self._show_conflicts()

    def _show_conflicts(self) -> None:
        for banner in self.conflict_banners:
            self.conflicts_box.removeWidget(banner)
            banner.deleteLater()
        self.conflict_banners = []
        for conflict in self.model.conflicts()[-5:]:
            banner = Banner("warning", self.model.describe(conflict), "Use mine instead")
            assert banner.button is not None
            banner.button.setAccessibleName(f"Use mine instead: {self.model.describe(conflict)}")
            banner.button.clicked.connect(
                lambda _=False, c=conflict: self.vm.spawn(self.model.use_mine(c), "use mine")
            )
            self.conflicts_box.addWidget(banner)
            self.conflict_banners.append(banner)

    def _show_last_synced(self) -> None:
        at = self.model.last_synced()
        self.last_synced_label.setText(format_wall(at) if at is not None else "not yet on this run")
        connection = self.model.connection()
        if connection is None:
            self.connection_label.setText("not tried yet on this run")
        else:
            online, since = connection
            word = "Online" if online else "Offline"
            self.connection_label.setText(f"{word} since {format_wall(since)}")

    def _start_sync_now(self) -> None:
        self.sync_status.clear()
        self._show_sync("syncing")  # at once: the engine's own word comes through the bus
        self.vm.spawn(self._sync_now(), "sync now")

    async def _sync_now(self) -> None:
        try:
            await self.model.sync_now()
        except SyncError as exc:
            self.sync_status.error(sync_error_text(exc, self.model.session_url))
        finally:
            self.sync_now_button.setEnabled(True)
            self._show_sync()

    # --- the service address -----------------------------------------------------------------

    def _build_service(self) -> None:
        self.service_card = Card("Account service")
        self.url_edit = QLineEdit()
        self.url_edit.setAccessibleName("Account service address")
        self.url_edit.setMinimumWidth(360)
        self.url_edit.setMaximumWidth(480)
        self.url_save = QPushButton("Save")
        self.url_save.clicked.connect(self._save_url)
        self.url_edit.returnPressed.connect(self._save_url)
        self.service_card.layout_.addLayout(_row(self.url_edit, self.url_save))
        self.url_note = label("", "muted", wrap=True)
        self.service_card.layout_.addWidget(self.url_note)
        self.url_status = StatusLine()
        self.service_card.layout_.addWidget(self.url_status)
        self.body.addWidget(self.service_card)

    def _show_service(self) -> None:
        source = self.model.service_url_source
        from_env = source in ("environment", "command line")
        editable = not self.model.signed_in and not from_env
        if not self.url_edit.hasFocus() or not editable:
            self.url_edit.setText(self.model.session_url)
        self.url_edit.setReadOnly(not editable)
        self.url_save.setVisible(editable)
        if from_env:
            note = (
                "Set by STREAMPAI_CLOUD_URL for this run."
                if source == "environment"
                else "Set on the command line for this run."
            )
        elif self.model.signed_in:
            note = "Sign out to use another account service."
        else:
            note = "Only change this if you run your own Streampai account service."
        self.url_note.setText(note)

    def _save_url(self) -> None:
        if self.url_edit.isReadOnly():
            return
        url = self.url_edit.text().strip()
        if url.rstrip("/") == self.model.session_url:
            self.url_status.clear()
            return
        self.url_save.setEnabled(False)
        self.vm.spawn(self._save_url_async(url), "save account service address")

    async def _save_url_async(self, url: str) -> None:
        try:
            await self.model.save_service_url(url)
        except SettingsError as exc:
            self.url_status.error(f"{str(exc).capitalize()}.")
        else:
            self.url_status.ok(f"Saved. Sign-ins now go to {self.model.session_url}.")
            self._show_service()
        finally:
            self.url_save.setEnabled(True)

    # --- switching views -----------------------------------------------------------------------

    def _show_signed_in(self) -> None:
        on = self.model.signed_in
        self.sign_in_card.setVisible(not on)
        self.account_card.setVisible(on)
        self.sync_card.setVisible(on)
        self.ended_banner.set_text(
            "Your sign-in ended (this computer was signed out of the account, or the session "
            "expired). Sign in again to keep syncing; your settings are still here."
        )
        self.ended_banner.setVisible(not on and self.model.session_ended)
        if on:
            self.account_status.clear()
            self.sync_status.clear()
        self._show_service()
        self._show_sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._clock.start()
        self._show_sync()
        if self.model.signed_in:  # another computer may have been signed in or out meanwhile
            self.vm.spawn(self._refresh_signed_in(), "load account")

    async def _refresh_signed_in(self) -> None:
        await self.model.refresh_pending()
        await self.model.load_account()

    def hideEvent(self, event: QHideEvent) -> None:
        self._clock.stop()
        super().hideEvent(event)
