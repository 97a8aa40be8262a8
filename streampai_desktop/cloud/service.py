"""The account service: signing in to the Streampai account, and sync control.

It owns the account session (refresh token in the keyring), the sync engine and the live
channel; after another computer's changes land it asks the services that own the data to re-read
(widgets, synced preferences, platform accounts) and announces it as a typed notice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.core.notices import SyncApplied, SyncStateChanged, publish_notice
from streampai_desktop.store import Database, operations, sync_state

if TYPE_CHECKING:  # httpx is imported when sync starts: the window does not need it to show
    from streampai_desktop.cloud.engine import SyncEngine, SyncStatus
    from streampai_desktop.cloud.live import LiveChannel
    from streampai_desktop.cloud.transport import AccountSession

log = logging.getLogger(__name__)

RunDb = Callable[..., Awaitable[Any]]
Reload = Callable[[], Awaitable[None]]

# Who this computer is signed in as, kept locally (never synced, not a secret) so that the
# status can say so while the service cannot be asked.
SIGNED_IN_AS = "account_signed_in_as"


class AccountService:
    def __init__(
        self,
        bus: EventBus,
        db: Database,
        run_db: RunDb,
        *,
        service_url: str,
        secrets: Any,
        submit: Callable[[Event], Awaitable[bool]],
        reloads: list[Reload],
    ) -> None:
        from streampai_desktop.cloud.engine import SyncEngine
        from streampai_desktop.cloud.live import LiveChannel
        from streampai_desktop.cloud.media import MediaMover, stored_media_refs
        from streampai_desktop.cloud.platform_access import PlatformAccess
        from streampai_desktop.cloud.transport import AccountSession, HttpTransport, local_row_ids
        from streampai_desktop.platforms.service_relay import relay_for

        self.bus = bus
        self._db = db
        self._run_db = run_db
        self._reloads = reloads  # what re-reads synced data, in order
        self.session: AccountSession = AccountSession(service_url, secrets)
        transport = HttpTransport(self.session, lambda: run_db(local_row_ids, db))
        # Picked media live in the data folder, beside the database.
        self.media = MediaMover(self.session, db.path.parent, lambda: run_db(stored_media_refs, db))
        # ``on_applied`` also runs when only a picked file arrived: the widgets re-read what
        # their overlays show.
        self.sync: SyncEngine = SyncEngine(
            db,
            run_db,
            transport,
            on_applied=self._applied,
            on_status=self._status,
            media=self.media,
        )
        # Platforms that go through the service (Kick) call it with this session and get what
        # it relays through this computer's live channel.
        self.relay = relay_for(secrets)
        self._platform_access = PlatformAccess(self.session)
        self.relay.attach(self._platform_access)
        self.live: LiveChannel = LiveChannel(
            self.session, lambda version: self.sync.poke(), submit, relay=self.relay
        )
        self._trouble = ""  # the sync trouble last logged, until sync is back

    async def start(self) -> None:
        """Start syncing when this computer is signed in."""
        if await self.session.signed_in():
            self.resume()

    def resume(self) -> None:
        self.sync.start()
        self.live.start()

    async def stop(self) -> None:
        await self.live.stop()
        await self.sync.stop()
        self.relay.detach(self._platform_access)
        await self.session.close()

    async def pending_count(self) -> int:
        """Local edits not yet acknowledged by the service."""
        return int(await self._run_db(sync_state.pending_count, self._db))

    def local_edit(self) -> None:
        """A synced setting changed here: push it now (never waited on by a poll timer)."""
        self.sync.poke()

    async def use_mine(self, conflict: Any) -> bool:
        """ "Use mine instead" for a :class:`~streampai_desktop.store.sync_state.SyncConflict`:
        this computer's value becomes a new edit (a later stamp than the one that replaced it,
        so it wins everywhere), the owners re-read, and it is pushed at once."""
        done = bool(await self._run_db(sync_state.reapply, self._db, conflict))
        self.sync.resolve(conflict)
        log.info("sync: using this computer's value again: %s", _show_setting(conflict))
        if done:
            for reload in self._reloads:
                await reload()
            publish_notice(self.bus, SyncApplied())
            self.sync.poke()
        return done

    def dismiss_conflict(self, conflict: Any) -> None:
        """Keep the other computer's value: forget ``conflict``."""
        self.sync.resolve(conflict)
        log.info("sync: keeping the other computer's value: %s", _show_setting(conflict))

    async def sign_in(
        self,
        email: str,
        password: str,
        *,
        register: bool = False,
        handle: str | None = None,
        keep: str | None = None,
    ) -> dict[str, Any]:
        """Sign in (or register) to the Streampai account, then sync.

        When both this computer and the account already have a config, ``keep`` says which one
        wins: "this_computer" pushes every local row, "account" drops local edits and pulls.
        Without a choice in that case :class:`ChoiceRequired` is raised after signing out again,
        so nothing is kept half-way (and no stale device stays in the account's list): the
        caller asks, then calls again with ``keep``. When the first sync fails after a good
        sign-in (offline half-way, a refused change), the sign-in is kept, the background engine
        retries, and the error is raised for the caller to show.
        """
        from streampai_desktop.cloud.engine import ChoiceRequired, SyncError

        if register:
            account = await self.session.register(email, password, handle)
        else:
            account = await self.session.sign_in(email, password)
        await self._remember(account)
        try:
            page = await self.sync.transport.pull(0, 1)
            if page.changes and keep is None:
                raise ChoiceRequired(account)
        except ChoiceRequired:
            await self.sign_out()
            raise
        except Exception:
            self.resume()
            raise
        if keep == "account":
            await self._run_db(sync_state.discard_local_sync_state, self._db)
        elif keep == "this_computer" or not page.changes:
            await self._run_db(sync_state.queue_full_snapshot, self._db)
        try:
            await self.sync.sync_now()
        except SyncError as exc:  # signed in all the same: the background loop retries
            log.warning("first sync after signing in failed: %s", exc)
        self.resume()
        return account

    async def sign_out(self) -> None:
        await self.live.stop()
        await self.sync.stop()
        await self.session.sign_out()
        await self._run_db(operations.save_preference, self._db, SIGNED_IN_AS, None)

    async def _remember(self, account: dict[str, Any]) -> None:
        who = account.get("email") or account.get("handle")
        if isinstance(who, str) and who != await self.signed_in_as():
            await self._run_db(operations.save_preference, self._db, SIGNED_IN_AS, who)

    async def signed_in_as(self) -> str | None:
        """The account's email as this computer last heard it from the service."""
        who = (await self._run_db(operations.load_preferences, self._db)).get(SIGNED_IN_AS)
        return who if isinstance(who, str) and who else None

    async def _applied(self) -> None:
        """Another computer's changes landed: every owner re-reads, then the UI hears of it."""
        for reload in self._reloads:
            await reload()
        publish_notice(self.bus, SyncApplied())

    async def account_details(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The signed-in account and its computers, from the service (SyncError when it
        cannot be asked; SignInRequired when the sign-in was revoked)."""
        me = await self.session.request("GET", "/v1/me")
        listed = await self.session.request("GET", "/v1/devices")
        devices = listed.get("devices", []) if isinstance(listed, dict) else []
        account = dict(me.get("account") or {})
        await self._remember(account)
        return account, [d for d in devices if isinstance(d, dict)]

    async def report(self, *, details: bool = True) -> dict[str, Any]:
        """Signed in as whom, this computer's sync state, and (``details``) the account's
        computers: what ``account status`` and ``GET /api/v1/account`` show."""
        from streampai_desktop.cloud.engine import SyncError

        signed_in = await self.session.signed_in()
        body: dict[str, Any] = {
            "signed_in": signed_in,
            "service_url": self.session.base_url,
            "sync": await self.sync_report(signed_in),
        }
        if signed_in and details:
            try:
                body["account"], body["devices"] = await self.account_details()
            except SyncError as exc:
                body["error"] = str(exc)
            else:
                body["sync"]["signed_in_as"] = await self.signed_in_as()
        return body

    async def sync_report(self, signed_in: bool | None = None) -> dict[str, Any]:
        """This computer's sync, without asking the service (``GET /api/v1/status``'s ``sync``):
        signed in as whom, online or not and since when (``since``, with ``detail`` saying
        why when not), the last sync, the changes waiting to upload and the notices. Times are
        ISO-8601 UTC."""
        if signed_in is None:
            signed_in = await self.session.signed_in()
        signed_in_as = await self.signed_in_as() if signed_in else None
        pending = await self.pending_count()
        # Read the status after the awaits, all at once: a round that ends during one of them
        # must not give a report half from before it and half from after ("syncing" yet offline).
        status = self.sync.status
        return {
            "state": status.state if signed_in else "signed_out",
            "detail": status.detail,
            "signed_in_as": signed_in_as,
            "online": status.online if signed_in else None,
            "since": _iso(status.since) if signed_in else None,
            "pending": pending,
            "last_synced_at": _iso(status.last_synced_at),
            "notices": list(status.notices),
        }

    def _status(self, status: SyncStatus) -> None:
        # A headless computer has only its log to say that sync stopped and came back.
        if status.state in ("offline", "error", "sign_in", "too_old"):
            if status.state != self._trouble:  # once per kind of trouble, not per retry
                log.info("sync is %s: %s", status.state.replace("_", " "), status.detail)
                self._trouble = status.state
        elif status.state == "up_to_date" and self._trouble:
            log.info("sync is back: up to date")
            self._trouble = ""
        publish_notice(self.bus, SyncStateChanged(status.state, status.detail))


def _show_setting(conflict: Any) -> str:
    where = f"{conflict.name} ({conflict.row_id})" if conflict.name else conflict.row_id
    return f"{conflict.field} of {where}"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")
