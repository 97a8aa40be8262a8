"""The sync engine: push the outbox, pull what changed, apply it — offline-first, exactly once.

- Local edits are already in the outbox (written in the edit's own transaction, see
  :mod:`streampai_desktop.persistence`). Pushing sends them in order with this device's
  sequence numbers; the service applies each ``seq`` once, so resending a batch whose outcome is
  unknown (a timeout) is safe.
- A pulled page and the new cursor are applied in one SQLite transaction: a crash never leaves
  half a page applied or a cursor past changes that were not.
- A field with a local edit still in the outbox keeps the local value: the service will order
  our edit, and the final value comes back in a later pull.
- When a later change from another device replaces a value we pushed, the engine says so.

The transport (HTTP to the account service) is behind :class:`SyncTransport` so the engine's
rules are tested without a network and the fault-injecting tests can wrap it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy import text

from streampai_desktop.persistence import (
    ACCOUNT_ENTITY,
    PREFERENCE_ENTITY,
    SYNCED_PREFERENCES,
    WIDGET_ENTITY,
    WIDGET_FIELDS,
)
from streampai_desktop.store import (
    AccountRepo,
    Database,
    OutboxRepo,
    PreferencesRepo,
    WidgetConfigRepo,
)
from streampai_desktop.store.models import SyncMetaRow

log = logging.getLogger(__name__)

PUSH_BATCH = 200
PULL_PAGE = 500


class SyncError(Exception):
    """Base of the transport's errors."""


class RetryLater(SyncError):
    """429/503 or a dropped connection: try again after ``seconds`` (None: use the backoff)."""

    def __init__(self, seconds: float | None = None, reason: str = "") -> None:
        super().__init__(reason or "the service asked to retry later")
        self.seconds = seconds


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
class Change:
    """One row as the service has it now: ``fields`` None means deleted (a tombstone)."""

    entity: str
    row_id: str
    version: int
    fields: dict[str, Any] | None


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
    last_synced: float | None = None
    notices: list[str] = field(default_factory=list)  # "your change was replaced", rejections


# --- blocking store work (runs on the app's database thread) ------------------------------------


def _meta(session: Any, key: str, default: Any = None) -> Any:
    row = session.get(SyncMetaRow, key)
    return default if row is None else row.value


def _set_meta(session: Any, key: str, value: Any) -> None:
    row = session.get(SyncMetaRow, key)
    if row is None:
        session.add(SyncMetaRow(key=key, value=value))
    else:
        row.value = value


def device_identity(db: Database) -> tuple[str, int]:
    """(device id, seq offset): outbox entry ``n`` is this device's mutation ``n - offset``, so a
    device's numbering starts at 1 even when the outbox has been used before."""
    with db.session() as session:
        device_id = _meta(session, "device_id")
        if device_id is None:
            pending = OutboxRepo(session).pending(limit=1)
            first = pending[0].seq if pending else None
            device_id = uuid.uuid4().hex
            offset = (first - 1) if first is not None else _last_outbox_seq(session)
            _set_meta(session, "device_id", device_id)
            _set_meta(session, "seq_offset", offset)
        return device_id, int(_meta(session, "seq_offset", 0))


def _last_outbox_seq(session: Any) -> int:
    # AUTOINCREMENT keeps its high-water mark in sqlite_sequence even after rows are deleted.
    row = session.execute(
        text("SELECT seq FROM sqlite_sequence WHERE name = 'sync_outbox'")
    ).first()
    return int(row[0]) if row else 0


def outbox_batch(db: Database, offset: int) -> list[dict[str, Any]]:
    with db.session() as session:
        entries = OutboxRepo(session).pending(PUSH_BATCH)
    return [
        {
            "seq": e.seq - offset,
            "entity": e.entity,
            "row_id": e.row_id,
            "patch": e.patch,
            "base_version": e.base_version,
        }
        for e in entries
    ]


def acknowledge(db: Database, up_to_device_seq: int, offset: int) -> None:
    with db.session() as session:
        OutboxRepo(session).acknowledge(up_to_device_seq + offset)


def pending_count(db: Database) -> int:
    with db.session() as session:
        return OutboxRepo(session).count()


def load_cursor(db: Database) -> int:
    with db.session() as session:
        return int(_meta(session, "cursor", 0))


def apply_page(db: Database, page: PullPage, pushed: dict[tuple[str, str, str], Any]) -> list[str]:
    """Apply a page and its cursor in one transaction; returns notices for the user."""
    notices: list[str] = []
    with db.session() as session:
        locally_pending: dict[tuple[str, str], set[str]] = {}
        for entry in OutboxRepo(session).pending(limit=100_000):
            fields = set(entry.patch) if entry.patch is not None else {"*deleted*"}
            locally_pending.setdefault((entry.entity, entry.row_id), set()).update(fields)
        widgets = WidgetConfigRepo(session)
        prefs = PreferencesRepo(session)
        for change in page.changes:
            keep_local = locally_pending.get((change.entity, change.row_id), set())
            if "*deleted*" in keep_local:
                continue  # our delete is on its way; it wins anyway
            if change.entity == WIDGET_ENTITY:
                _apply_widget(widgets, change, keep_local)
            elif change.entity == ACCOUNT_ENTITY:
                _apply_account(AccountRepo(session), change)
            elif change.entity == PREFERENCE_ENTITY and change.row_id in SYNCED_PREFERENCES:
                if "value" not in keep_local:
                    if change.fields is None:
                        prefs.delete(change.row_id)
                    else:
                        prefs.set(change.row_id, change.fields.get("value"))
            else:
                continue  # an entity this version does not know: ignore, keep the cursor moving
            for name, value in (change.fields or {}).items():
                mine = pushed.pop((change.entity, change.row_id, name), _MISSING)
                if mine is not _MISSING and mine != value and name not in keep_local:
                    notices.append(
                        f"Your change to {name} of {change.entity.replace('_', ' ')} "
                        f"{change.row_id!r} was replaced by a newer one from another computer."
                    )
        _set_meta(session, "cursor", page.cursor)
    return notices


_MISSING: Any = object()


def _apply_account(repo: AccountRepo, change: Change) -> None:
    platform, _, user_id = change.row_id.partition(":")
    existing = next(
        (a for a in repo.list() if a.platform == platform and a.platform_user_id == user_id), None
    )
    if change.fields is None:
        if existing is not None:
            repo.remove(existing.id)
        return
    fields = change.fields
    login = str(fields.get("login") or (existing.login if existing else user_id))
    repo.upsert(
        platform,
        user_id,
        login,
        str(fields.get("display_name") or login),
        bool(fields.get("enabled", existing.enabled if existing else True)),
    )


def _apply_widget(repo: WidgetConfigRepo, change: Change, keep_local: set[str]) -> None:
    current = repo.get(change.row_id)
    if change.fields is None:
        if current is not None:
            repo.delete(change.row_id)
        return
    fields = {k: v for k, v in change.fields.items() if k in WIDGET_FIELDS and k not in keep_local}
    if current is None:
        if not {"widget_type", "config"} <= set(change.fields):
            return  # a partial row we never saw created: wait for the full one
        repo.create(
            change.fields["widget_type"],
            change.fields.get("name", change.fields["widget_type"]),
            change.fields["config"],
            id=change.row_id,
        )
        return
    if "config" in fields:
        repo.update_config(change.row_id, fields["config"])
    if "name" in fields:
        repo.rename(change.row_id, fields["name"])


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
        on_status: Callable[[SyncStatus], None] | None = None,
        poll_seconds: float = 30.0,
        max_backoff: float = 300.0,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self._run_db = run_db
        self.transport = transport
        self._on_applied = on_applied
        self._on_status = on_status
        self.poll_seconds = poll_seconds
        self.max_backoff = max_backoff
        self._rng = rng or random.Random()
        self.status = SyncStatus()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        # Values this device pushed, until a pull shows what the service settled on.
        self._pushed: dict[tuple[str, str, str], Any] = {}

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="sync-engine")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def poke(self) -> None:
        """Something changed (a local edit, or the live channel said the service did)."""
        self._wake.set()

    def _set(self, state: str, detail: str = "") -> None:
        self.status.state, self.status.detail = state, detail
        if self._on_status:
            self._on_status(self.status)

    async def sync_now(self) -> None:
        """One full round: push everything pending, then pull until up to date."""
        async with self._lock:
            self._set("syncing")
            await self._push_all()
            await self._pull_all()
            self.status.pending = await self._run_db(pending_count, self.db)
            self.status.last_synced = asyncio.get_running_loop().time()
            self._set("up_to_date")

    async def _push_all(self) -> None:
        device_id, offset = await self._run_db(device_identity, self.db)
        while True:
            batch = await self._run_db(outbox_batch, self.db, offset)
            if not batch:
                return
            self.status.pending = len(batch)
            results = await self.transport.push(device_id, batch)  # errors propagate to the loop
            done = [r for r in results if r.status in ("applied", "duplicate", "rejected")]
            if not done:
                raise RetryLater(None, "the service applied none of the batch")
            for result in done:
                if result.status == "rejected":
                    self.status.notices.append(
                        f"A change was refused by the service: {result.reason}"
                    )
            by_seq = {m["seq"]: m for m in batch}
            for result in done:
                mutation = by_seq.get(result.seq)
                if mutation and result.status == "applied" and mutation["patch"]:
                    for name, value in mutation["patch"].items():
                        self._pushed[(mutation["entity"], mutation["row_id"], name)] = value
            await self._run_db(acknowledge, self.db, max(r.seq for r in done), offset)

    async def _pull_all(self) -> None:
        cursor = await self._run_db(load_cursor, self.db)
        changed = False
        while True:
            page = await self.transport.pull(cursor, PULL_PAGE)
            notices = await self._run_db(apply_page, self.db, page, self._pushed)
            self.status.notices.extend(notices)
            changed = changed or bool(page.changes)
            cursor = page.cursor
            if not page.more:
                break
        if changed and self._on_applied:
            await self._on_applied()

    async def _loop(self) -> None:
        failures = 0
        while True:
            delay = self.poll_seconds
            try:
                await self.sync_now()
                failures = 0
            except RetryLater as exc:
                failures += 1
                delay = exc.seconds if exc.seconds is not None else self._backoff(failures)
                self._set("offline", f"{exc}; retrying in {delay:.0f} s")
            except OutcomeUnknown:
                failures += 1
                delay = self._backoff(failures)
                self._set("offline", f"no answer from the service; retrying in {delay:.0f} s")
            except SignInRequired:
                self._set("sign_in", "Sign in again to keep syncing.")
                delay = 3600.0
            except ClientTooOld as exc:
                self._set("too_old", str(exc))
                delay = 3600.0
            except Exception as exc:  # a bug or a malformed answer: say so, keep the outbox
                failures += 1
                delay = self._backoff(failures)
                log.exception("sync failed")
                self._set("error", f"{type(exc).__name__}: {exc}")
            self._wake.clear()
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass

    def _backoff(self, failures: int) -> float:
        """Capped exponential backoff with full jitter."""
        return self._rng.uniform(0.5, min(self.max_backoff, 2.0 ** min(failures, 16)))
