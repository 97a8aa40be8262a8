"""The sync engine: push the outbox, pull what changed, apply it — offline-first, exactly once.

- Local edits are already in the outbox (written in the edit's own transaction, see
  :mod:`streampai_desktop.store.operations`). Pushing sends them in order with this device's
  sequence numbers; the service applies each ``seq`` once, so resending a batch whose outcome is
  unknown (a timeout) is safe.
- What a pulled change does to local rows (one transaction per page, local edits kept until the
  service has ordered them) is :mod:`streampai_desktop.store.sync_state`'s job.
- When a later change from another device replaces a value we pushed, the engine says so.

The transport (HTTP to the account service) is behind :class:`SyncTransport` so the engine's
rules are tested without a network and the fault-injecting tests can wrap it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.worker import Worker
from streampai_desktop.store import Database, hlc
from streampai_desktop.store.sync_state import (
    Change,
    Pushed,
    PushedValues,
    SetAside,
    SyncConflict,
    acknowledge,
    apply_page,
    deleted_conflict,
    device_identity,
    load_cursor,
    outbox_batch,
    pending_count,
    set_aside,
)

if TYPE_CHECKING:
    from streampai_desktop.cloud.media import MediaMover

# re-exported: the transport and the account service use them
__all__ = ["Change", "SyncConflict", "pending_count"]

log = logging.getLogger(__name__)

PULL_PAGE = 500


class SyncError(Exception):
    """Base of the transport's errors."""


class RetryLater(SyncError):
    """429/503 or a dropped connection: try again after ``seconds`` (None: use the backoff)."""

    def __init__(self, seconds: float | None = None, reason: str = "") -> None:
        super().__init__(reason or "the service asked to retry later")
        self.seconds = seconds


class Refused(SyncError):
    """The service answered with a 4xx: a wrong password, an email already registered, …"""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class OutcomeUnknown(SyncError):
    """The request may or may not have been applied (a timeout): resend the same batch."""


class SignInRequired(SyncError):
    """The refresh token was refused: the user must sign in again."""


class ChoiceRequired(SyncError):
    """Signing in found a config on both sides: the user must pick which one to keep."""

    def __init__(self, account: dict[str, Any]) -> None:
        super().__init__(
            "This account already has a configuration. Keep this computer's settings (they "
            "replace the account's) or take the account's (they replace this computer's)?"
        )
        self.account = account


class ClientTooOld(SyncError):
    """The service refuses this version; the outbox is kept until the app is updated."""


@dataclass(frozen=True, slots=True)
class PushResult:
    seq: int
    status: str  # "applied" | "duplicate" | "rejected"
    version: int | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PullPage:
    changes: list[Change]
    cursor: int  # pass as ``since`` next time
    more: bool


class SyncTransport(Protocol):
    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]: ...
    async def pull(self, since: int, limit: int) -> PullPage: ...


@dataclass(slots=True)
class SyncStatus:
    """What the Account & Sync page shows."""

    state: str = "idle"  # idle | syncing | up_to_date | offline | error | sign_in | too_old
    detail: str = ""
    pending: int = 0
    last_synced: float | None = None  # the event loop's clock
    last_synced_at: datetime | None = None  # the same moment, UTC wall clock (for the terminal)
    # Whether the last finished round reached the service (None: no round has finished yet),
    # and since when (UTC) that has been so: "online since 14:02", "offline since 13:58".
    online: bool | None = None
    since: datetime | None = None
    notices: list[str] = field(default_factory=list)  # "your change was replaced", rejections
    # Edits of this computer that did not survive and can still be re-applied ("use mine
    # instead"), oldest first; each is also in ``notices`` as text.
    conflicts: list[SyncConflict] = field(default_factory=list)


def describe(conflict: SyncConflict) -> str:
    """The notice text: the widget, the setting, both values."""
    from streampai_desktop.widgets.labels import setting_label

    what = conflict.name or conflict.row_id
    if conflict.entity == "widget_config":
        setting = setting_label(conflict.widget_type, conflict.field)
        where = f"{setting} of {what}"
    else:
        setting = conflict.field
        where = f"{conflict.row_id}" if conflict.entity == "preference" else what
    if conflict.kind == "deleted":
        others = f" and {conflict.more} other setting(s)" if conflict.more else ""
        return (
            f"{what} was deleted on another computer, so your change to {setting}{others} "
            f"({_show(conflict.mine)}) was not kept."
        )
    return (
        f"Your change to {where} ({_show(conflict.mine)}) was replaced by a later change from "
        f"another computer ({_show(conflict.theirs)})."
    )


def _show(value: Any) -> str:
    text = "no value" if value is None else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


# Answers to a push that are about who sent it or when (sign in again, not allowed, wrong
# address, a timeout, a gap in the numbering, too old, slow down), not about what it holds: the
# batch is retried as it is. Any other 4xx refuses the content, which one mutation may be to
# blame for (a value the service cannot read, a body too large).
NOT_ABOUT_CONTENT = frozenset({401, 403, 404, 408, 409, 426, 429})


def refuses_content(refused: Refused) -> bool:
    return 400 <= refused.status < 500 and refused.status not in NOT_ABOUT_CONTENT


def describe_set_aside(mutation: dict[str, Any], aside: SetAside, reason: str) -> str:
    """The notice for a change the service refused even on its own: what it was, and why."""
    patch, row_id = mutation["patch"], mutation["row_id"]
    after = f"was refused by the account service, so it stays on this computer only: {reason}"
    if mutation["entity"] == "widget_config":
        what = aside.name or row_id
        if patch is None:
            return f"Deleting {what} {after}"
        from streampai_desktop.widgets.labels import setting_label

        changed = sorted(k for k in patch if k != "widget_type") or [""]
        setting = setting_label(aside.widget_type, changed[0]) if changed[0] else "settings"
        others = f" and {len(changed) - 1} other setting(s)" if len(changed) > 1 else ""
        shown = f" ({_show(patch.get(changed[0]))})" if changed[0] else ""
        return f"Your change to {setting}{others} of {what}{shown} {after}"
    kind = "the preference" if mutation["entity"] == "preference" else "the connected account"
    value = f" ({_show(patch.get('value'))})" if patch and "value" in patch else ""
    return f"Your change to {kind} {row_id}{value} {after}"


# Whether a state means the service was reached: a round that ended up to date did; one that
# could not reach it, or was turned away (sign in again, update the app), or failed on a bad
# answer did not. "syncing" and "idle" keep whatever the last finished round said.
ONLINE_STATES = {
    "up_to_date": True,
    "offline": False,
    "error": False,
    "sign_in": False,
    "too_old": False,
}


def failure_state(exc: Exception) -> tuple[str, str]:
    """The status (state, detail) after a round that ``exc`` stopped."""
    if isinstance(exc, RetryLater):
        return "offline", str(exc)
    if isinstance(exc, OutcomeUnknown):
        return "offline", "no answer from the service"
    if isinstance(exc, SignInRequired):
        return "sign_in", "Sign in again to keep syncing."
    if isinstance(exc, ClientTooOld):
        return "too_old", str(exc)
    return "error", f"{type(exc).__name__}: {exc}"


# --- the background loop ----------------------------------------------------------------------


RunDb = Callable[..., Awaitable[Any]]


class SyncEngine:
    """Pushes and pulls in the background; ``sync_now`` does one round at once."""

    def __init__(
        self,
        db: Database,
        run_db: RunDb,
        transport: SyncTransport,
        *,
        on_applied: Callable[[], Awaitable[None]] | None = None,
        media: MediaMover | None = None,
        on_status: Callable[[SyncStatus], None] | None = None,
        poll_seconds: float = 30.0,
        max_backoff: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self._run_db = run_db
        self.transport = transport
        self._on_applied = on_applied
        # Moves picked files (alert images, sounds) along with the configs that name them.
        self.media = media
        self._on_status = on_status
        self.poll_seconds = poll_seconds
        self.backoff = Backoff(min(1.0, max_backoff), max_backoff, rng)
        self.status = SyncStatus()
        # Stops at once (grace 0): an interrupted round loses nothing, the outbox is kept.
        self._worker = Worker("sync engine", self._loop, grace=0, logger=log)
        self._lock = asyncio.Lock()
        # Values this device pushed, until a pull shows what the service settled on.
        self._pushed: PushedValues = {}

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        await self._worker.stop()

    def poke(self) -> None:
        """Something changed (a local edit, or the live channel said the service did)."""
        self._worker.wake()

    def _set(self, state: str, detail: str = "") -> None:
        self.status.state, self.status.detail = state, detail
        online = ONLINE_STATES.get(state)  # None: a round under way says nothing new
        if online is not None and online != self.status.online:
            # Back online at the moment of the sync that got through (so "since" is never
            # after "last synced"); offline from now.
            since = self.status.last_synced_at if online else None
            self.status.online, self.status.since = online, since or datetime.now(UTC)
        if self._on_status:
            self._on_status(self.status)

    async def sync_now(self) -> None:
        """One full round at once ("Sync now"): push everything pending, then pull until up to
        date. Raises what stopped it, after the status says so (a failed round must not leave
        the page saying "Syncing…" until the background loop's next turn)."""
        try:
            await self._round()
        except Exception as exc:
            self._set(*failure_state(exc))
            raise

    async def _round(self) -> None:
        async with self._lock:
            self._set("syncing")
            await self._push_all()
            await self._pull_all()
            self.status.pending = await self._run_db(pending_count, self.db)
            self.status.last_synced = asyncio.get_running_loop().time()
            self.status.last_synced_at = datetime.now(UTC)
            self._set("up_to_date")

    async def _push_all(self) -> None:
        device_id, offset = await self._run_db(device_identity, self.db)
        while True:
            batch = await self._run_db(outbox_batch, self.db, offset)
            if not batch:
                return
            self.status.pending = len(batch)
            if self.media is not None:  # first the files the batch names, then the batch
                self.status.notices.extend(await self.media.upload_for(batch))
            try:
                results = await self.transport.push(device_id, batch)  # errors go to the loop
            except Refused as refused:  # the batch as a whole: find the mutation it cannot take
                results, offset = await self._push_one_by_one(device_id, batch, offset, refused)
                if not results:
                    continue
            done = [r for r in results if r.status in ("applied", "duplicate", "rejected")]
            if not done:
                raise RetryLater(None, "the service applied none of the batch")
            by_seq = {m["seq"]: m for m in batch}
            for result in done:
                if result.status != "rejected":
                    continue
                mutation = by_seq.get(result.seq)
                if mutation and mutation["patch"] and "deleted" in result.reason:
                    # Deletes win: the row went on another computer before this edit arrived.
                    conflict = await self._run_db(
                        deleted_conflict,
                        self.db,
                        mutation["entity"],
                        mutation["row_id"],
                        mutation["patch"],
                    )
                    if conflict is not None:
                        self._conflict(conflict)
                    continue
                self.status.notices.append(f"A change was refused by the service: {result.reason}")
            acked_ms = hlc.now_ms()
            for result in done:
                mutation = by_seq.get(result.seq)
                if mutation and result.status == "applied" and mutation["patch"]:
                    for name, value in mutation["patch"].items():
                        self._pushed[(mutation["entity"], mutation["row_id"], name)] = Pushed(
                            value, mutation.get("stamp"), acked_ms
                        )
            await self._run_db(acknowledge, self.db, max(r.seq for r in done), offset)

    async def _push_one_by_one(
        self, device_id: str, batch: list[dict[str, Any]], offset: int, refused: Refused
    ) -> tuple[list[PushResult], int]:
        """The service refused ``batch`` as a whole for what it holds: push its mutations one at
        a time, in order, up to the first one it refuses on its own. That one is set aside (see
        :func:`~streampai_desktop.store.sync_state.set_aside`: its value stays on this computer)
        with a notice, instead of blocking every later edit forever. Returns the results of the
        mutations pushed, for the caller to settle as usual, and the new seq offset."""
        if not refuses_content(refused):
            raise refused
        results: list[PushResult] = []
        for mutation in batch:
            try:
                results += await self.transport.push(device_id, [mutation])
            except Refused as exc:
                if not refuses_content(exc):
                    raise
                aside = await self._run_db(set_aside, self.db, mutation["seq"], offset)
                text = describe_set_aside(mutation, aside, str(exc))
                log.warning("sync: %s", text)
                self.status.notices.append(text)
                return results, aside.offset
        return results, offset

    async def _pull_all(self) -> None:
        cursor = await self._run_db(load_cursor, self.db)
        changed = False
        while True:
            page = await self.transport.pull(cursor, PULL_PAGE)
            if self.media is not None:  # the files first: the config appears with its media
                await self.media.fetch_for(page.changes)
            conflicts = await self._run_db(
                apply_page, self.db, page.changes, page.cursor, self._pushed
            )
            for conflict in conflicts:
                self._conflict(conflict)
            changed = changed or bool(page.changes)
            cursor = page.cursor
            if not page.more:
                break
        if self.media is not None and await self.media.fetch_missing():
            changed = True  # a file that arrived late: the overlays switch to it
        if changed and self._on_applied:
            await self._on_applied()

    def _conflict(self, conflict: SyncConflict) -> None:
        text = describe(conflict)
        log.info("sync: %s", text)
        self.status.notices.append(text)
        if conflict.kind == "replaced":
            # A newer conflict on the same setting replaces the older one.
            self.status.conflicts = [
                c
                for c in self.status.conflicts
                if (c.entity, c.row_id, c.field)
                != (conflict.entity, conflict.row_id, conflict.field)
            ]
            self.status.conflicts.append(conflict)

    def resolve(self, conflict: SyncConflict) -> None:
        """Forget ``conflict`` (re-applied or dismissed)."""
        self.status.conflicts = [c for c in self.status.conflicts if c != conflict]

    async def _loop(self) -> None:
        while True:
            delay = self.poll_seconds
            try:
                await self._round()
                self.backoff.reset()
            except RetryLater as exc:
                delay = self.backoff.next_delay(exc.seconds)
                self._set("offline", f"{exc}; retrying in {delay:.0f} s")
            except OutcomeUnknown:
                delay = self.backoff.next_delay()
                self._set("offline", f"no answer from the service; retrying in {delay:.0f} s")
            except SignInRequired:
                self._set("sign_in", "Sign in again to keep syncing.")
                delay = 3600.0
            except ClientTooOld as exc:
                self._set("too_old", str(exc))
                delay = 3600.0
            except Exception as exc:  # a bug or a malformed answer: say so, keep the outbox
                delay = self.backoff.next_delay()
                log.exception("sync failed")
                self._set("error", f"{type(exc).__name__}: {exc}")
            if not await self._worker.sleep(delay):
                return
