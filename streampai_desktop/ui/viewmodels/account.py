"""The Streampai account and config sync, for the Account & Sync page.

The account service publishes :class:`~streampai_desktop.core.notices.SyncStateChanged` and
:class:`~streampai_desktop.core.notices.SyncApplied`; this listener re-announces them as Qt
signals and reads the rest of :class:`~streampai_desktop.cloud.engine.SyncStatus` (pending count,
last sync, notices) from the engine. The account itself (``/v1/me``) and its devices are asked of
the service when the page needs them; the last answer is kept, so the page still says who is
signed in while the service cannot be reached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from streampai_desktop.cloud.messages import account_failure
from streampai_desktop.core.bus import Message
from streampai_desktop.core.notices import SyncApplied, SyncStateChanged, notice_topics
from streampai_desktop.ui.viewmodels.listener import BusListener

if TYPE_CHECKING:
    from streampai_desktop.cloud.service import AccountService
    from streampai_desktop.preferences import Preferences

log = logging.getLogger("streampai_desktop.ui")

SERVICE_URL = "account_service_url"


@dataclass(frozen=True, slots=True)
class Device:
    """A computer signed in to the account (``/v1/devices``)."""

    id: str
    name: str
    created_at: str
    last_seen_at: str
    current: bool


def sync_error_text(exc: BaseException, service_url: str) -> str:
    """What to tell the streamer when the account service refused or could not be reached."""
    return account_failure(exc, service_url).text


class AccountModel(BusListener):
    """Sign-in state, the account, its devices and the sync status, live."""

    signed_in_changed = Signal(bool)
    account_changed = Signal()  # account details or devices (re)loaded, or failed to load
    sync_changed = Signal()  # state, pending count, last sync or notices
    sync_applied = Signal()  # another computer's changes were written here

    def __init__(
        self, account: AccountService, preferences: Preferences, parent: QObject | None = None
    ) -> None:
        topics = notice_topics(SyncStateChanged, SyncApplied)
        super().__init__(account.bus, topics, name="ui-account", maxsize=200, parent=parent)
        self._account = account
        self._preferences = preferences
        # The engine stamps loop time; keep the loop to convert it even from a Qt slot that runs
        # while the loop is between iterations.
        self._loop = asyncio.get_running_loop()
        self.signed_in = False
        self.account: dict[str, Any] | None = None
        self.devices: list[Device] = []
        self.load_error = ""
        self.session_ended = False  # the service ended this sign-in (revoked elsewhere)
        self.pending = 0
        self._dismissed = 0  # notices before this index were dismissed
        self._pending_tasks: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """First look, before the window shows: signed in? how many changes wait? Local only
        (keyring and database); the account's details are asked of the service when the page
        opens, so a slow or unreachable service never delays the start."""
        self._set_signed_in(await self._account.session.signed_in())
        await self.refresh_pending()

    async def close(self) -> None:
        for pending in list(self._pending_tasks):
            pending.cancel()
        await asyncio.gather(*self._pending_tasks, return_exceptions=True)
        await super().close()

    # --- what the page reads -------------------------------------------------------------------

    @property
    def service_url(self) -> str:
        return str(self._preferences.settings.get(SERVICE_URL))

    @property
    def service_url_source(self) -> str:
        """ "environment", "saved", "default" (or "command line")."""
        return self._preferences.settings.source(SERVICE_URL)

    @property
    def session_url(self) -> str:
        """The address the session talks to now (differs from the setting until applied)."""
        return self._account.session.base_url

    @property
    def state(self) -> str:
        return self._account.sync.status.state

    @property
    def detail(self) -> str:
        return self._account.sync.status.detail

    def last_synced(self) -> float | None:
        """Wall-clock time (``time.time()``) of the last completed sync, or None."""
        at = self._account.sync.status.last_synced
        if at is None:
            return None
        return time.time() - (self._loop.time() - at)

    def connection(self) -> tuple[bool, float] | None:
        """(reaching the service?, since when as ``time.time()``): "online since 14:02";
        None until the first sync round of this run has ended."""
        status = self._account.sync.status
        if status.online is None or status.since is None:
            return None
        return status.online, status.since.timestamp()

    def notices(self) -> list[str]:
        """Notices the streamer has not dismissed, oldest first."""
        return list(self._account.sync.status.notices[self._dismissed :])

    def dismiss_notices(self) -> None:
        self._dismissed = len(self._account.sync.status.notices)
        for conflict in list(self._account.sync.status.conflicts):
            self._account.dismiss_conflict(conflict)
        self.sync_changed.emit()

    def conflicts(self) -> list[Any]:
        """Edits of this computer that lost to another's and can be re-applied, oldest first."""
        return list(self._account.sync.status.conflicts)

    def describe(self, conflict: Any) -> str:
        from streampai_desktop.cloud.engine import describe

        return describe(conflict)

    async def use_mine(self, conflict: Any) -> bool:
        """ "Use mine instead": this computer's value wins again, as a new edit."""
        try:
            return await self._account.use_mine(conflict)
        finally:
            self.sync_changed.emit()

    # --- bus -----------------------------------------------------------------------------------

    def handle(self, message: Message) -> None:
        payload = message.payload
        if isinstance(payload, SyncStateChanged):
            if payload.state == "sign_in" and self.signed_in:
                # The refresh token was refused (this computer was revoked, or it expired):
                # the session forgot it, so show the sign-in form with the reason.
                self.session_ended = True
                self._set_signed_in(False)
            self.pending = self._account.sync.status.pending
            self.sync_changed.emit()
            if payload.state in ("up_to_date", "offline", "error"):
                self._spawn_pending_count()
        elif isinstance(payload, SyncApplied):
            self.sync_applied.emit()

    def _spawn_pending_count(self) -> None:
        task = self._loop.create_task(self._quiet_pending(), name="ui-pending")
        self._pending_tasks.add(task)
        task.add_done_callback(self._pending_tasks.discard)

    async def _quiet_pending(self) -> None:
        try:
            await self.refresh_pending()
        except Exception:  # a count is not worth a dialog; the next status message retries
            log.debug("could not count pending changes", exc_info=True)

    async def refresh_pending(self) -> int:
        """Count the local edits not yet acknowledged by the service."""
        count = await self._account.pending_count()
        if count != self.pending:
            self.pending = count
            self.sync_changed.emit()
        return count

    # --- actions -------------------------------------------------------------------------------

    def _set_signed_in(self, on: bool) -> None:
        if on != self.signed_in:
            self.signed_in = on
            if not on:
                self.account, self.devices, self.load_error = None, [], ""
            self.signed_in_changed.emit(on)

    async def load_account(self) -> None:
        """Ask the service for the account and its devices; failures land in ``load_error``."""
        from streampai_desktop.cloud.engine import SignInRequired, SyncError

        try:
            account, devices = await self._account.account_details()
        except SignInRequired:
            self.session_ended = True
            self._set_signed_in(False)
            return
        except SyncError as exc:
            self.load_error = sync_error_text(exc, self.session_url)
        else:
            self.load_error = ""
            self.account = account
            self.devices = [
                Device(
                    str(d.get("id", "")),
                    str(d.get("name") or "Streampai Desktop"),
                    str(d.get("created_at") or ""),
                    str(d.get("last_seen_at") or ""),
                    bool(d.get("current")),
                )
                for d in devices
            ]
        self.account_changed.emit()

    async def sign_in(
        self,
        email: str,
        password: str,
        *,
        register: bool = False,
        handle: str | None = None,
        keep: str | None = None,
    ) -> None:
        """Sign in (or register) and run the first sync (see ``AccountService.sign_in``).

        Raises :class:`~streampai_desktop.cloud.engine.ChoiceRequired` when both sides have a
        config (nothing is kept: the page asks, then calls again with ``keep``); other failures
        raise :class:`SyncError` (wrong password, offline), with the sign-in kept if it worked.
        """
        try:
            await self._account.sign_in(
                email, password, register=register, handle=handle, keep=keep
            )
        finally:
            signed_in = await self._account.session.signed_in()
            self.session_ended = False
            self._set_signed_in(signed_in)
            if signed_in:
                self.sync_changed.emit()
                await self.load_account()

    async def sign_out(self) -> None:
        await self._account.sign_out()
        self.session_ended = False
        self._set_signed_in(False)
        self.sync_changed.emit()

    async def revoke(self, device_id: str) -> None:
        """Sign another computer out of the account; then reload the list."""
        from streampai_desktop.cloud.engine import SyncError

        try:
            await self._account.session.request("DELETE", f"/v1/devices/{device_id}")
        except SyncError:
            # The session reads every answer as JSON, so the service's "204 No Content" for a
            # done revoke arrives as an error too: the reloaded list says what really happened.
            await self.load_account()
            if self.load_error or any(d.id == device_id for d in self.devices):
                raise
            return
        await self.load_account()

    async def sync_now(self) -> None:
        await self._account.sync.sync_now()
        await self.refresh_pending()

    async def save_service_url(self, url: str) -> str:
        """Save the service address (raises SettingsError); applied now when signed out."""
        saved = str(await self._preferences.save(SERVICE_URL, url))
        if not self.signed_in and self.service_url != self.session_url:
            # Nothing is tied to the old address while signed out: point the session at the
            # effective address now (its HTTP client is made again on the next request).
            await self._account.session.close()
            self._account.session.base_url = self.service_url.rstrip("/")
        return saved
