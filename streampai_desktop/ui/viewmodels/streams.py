"""Connected accounts, their connectors' states and the live stream, for the Platforms page, the
Dashboard and the status bar.

The stream manager publishes every connector state change (``platform_state``) and every stream
state change (``stream_state``) on the bus topic ``app``; this listener keeps the latest of each
and re-announces them as Qt signals. The accounts themselves come from the store (read on start
and after a sign-in or a disconnect).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from streampai_desktop import persistence
from streampai_desktop.core.bus import TOPIC_APP, Message
from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.platforms.base import (
    ConnectorState,
    ConnectorStatus,
    NotReady,
    StreamInfo,
)
from streampai_desktop.stream.manager import VIEWERS_METRIC
from streampai_desktop.ui.viewmodels.listener import BusListener

if TYPE_CHECKING:
    from streampai_desktop.app import App
    from streampai_desktop.store.records import Account, MetricSample

log = logging.getLogger("streampai_desktop.ui")

ShowCode = Callable[[Any], Awaitable[None]]
Point = tuple[datetime, float]


class ChatNotSent(Exception):
    """Sending from the dashboard failed; the message says where and why (shown inline)."""


@dataclass(frozen=True, slots=True)
class PlatformStatus:
    """One account's connector state as the UI shows it."""

    account_id: str
    platform: str
    login: str
    status: ConnectorStatus

    @property
    def state(self) -> ConnectorState:
        return self.status.state


def parse_time(value: object) -> datetime | None:
    """An ISO time from a bus payload (``...Z``), or None."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def stream_from_json(data: Mapping[str, Any]) -> StreamInfo:
    """The inverse of ``StreamInfo.to_json`` (``uptime_s`` is derived, so it is ignored)."""
    return StreamInfo(
        live=bool(data.get("live")),
        title=str(data.get("title") or ""),
        category=str(data.get("category") or ""),
        started_at=parse_time(data.get("started_at")),
        viewers=_int_or_none(data.get("viewers")),
        followers=_int_or_none(data.get("followers")),
        subscribers=_int_or_none(data.get("subscribers")),
    )


def status_from_json(data: Mapping[str, Any]) -> ConnectorStatus:
    try:
        state = ConnectorState(str(data.get("state")))
    except ValueError:
        state = ConnectorState.ERROR
    return ConnectorStatus(
        state=state,
        reason=str(data.get("reason") or ""),
        next_attempt_at=parse_time(data.get("next_attempt_at")),
        since=parse_time(data.get("since")) or datetime.now(UTC),
    )


def merge_series(series: Iterable[Sequence[Point]]) -> list[Point]:
    """Several platforms' viewer samples as one total over time.

    Each platform's count holds until its next sample, so at every sample time the total is the
    sum of every platform's latest known count.
    """
    tagged = sorted(
        ((at, index, value) for index, points in enumerate(series) for at, value in points),
        key=lambda item: item[0],
    )
    latest: dict[int, float] = {}
    merged: list[Point] = []
    for at, index, value in tagged:
        latest[index] = value
        merged.append((at, sum(latest.values())))
    return merged


class StreamsModel(BusListener):
    """Accounts, connector states and the combined stream state, live."""

    accounts_changed = Signal()
    states_changed = Signal()  # any account's connector state
    stream_changed = Signal(object)  # StreamInfo (combined across platforms)

    def __init__(self, app: App, parent: QObject | None = None) -> None:
        super().__init__(app.bus, [TOPIC_APP], name="ui-streams", maxsize=1000, parent=parent)
        self._app = app
        self.accounts: list[Account] = []
        self.statuses: dict[str, PlatformStatus] = {}
        self.stream: StreamInfo = app.streams.combined()
        self._load_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        super().start()
        if self._load_task is None:
            self._load_task = asyncio.get_running_loop().create_task(
                self._initial_load(), name="ui-load-accounts"
            )

    async def _initial_load(self) -> None:
        try:
            await self.reload_accounts()
        except Exception as exc:  # the pages still work from the live messages
            asyncio.get_running_loop().call_exception_handler(
                {"message": "reading the connected accounts", "exception": exc}
            )

    async def reload_accounts(self) -> None:
        """Re-read the accounts from the store and the states from the stream manager."""
        self.accounts = list(await self._app.run_db(persistence.load_accounts, self._app.db))
        known = {a.id: a for a in self.accounts}
        running = self._app.streams.states()
        statuses: dict[str, PlatformStatus] = {}
        for account_id, account in known.items():
            status = running.get(account_id)
            previous = self.statuses.get(account_id)
            if status is None and previous is not None:
                status = previous.status
            statuses[account_id] = PlatformStatus(
                account_id,
                account.platform,
                account.login,
                status or ConnectorStatus(ConnectorState.STOPPED),
            )
        self.statuses = statuses
        self.accounts_changed.emit()
        self.states_changed.emit()
        self._set_stream(self._app.streams.combined())

    # --- what the pages read -------------------------------------------------------------------

    def accounts_for(self, platform: str) -> list[Account]:
        return [a for a in self.accounts if a.platform == platform]

    def status_of(self, account_id: str) -> PlatformStatus | None:
        return self.statuses.get(account_id)

    def connected_accounts(self) -> list[PlatformStatus]:
        return [s for s in self.statuses.values() if s.state is ConnectorState.CONNECTED]

    @property
    def can_chat(self) -> bool:
        return bool(self.connected_accounts())

    # --- bus -----------------------------------------------------------------------------------

    def handle(self, message: Message) -> None:
        payload = message.payload
        if not isinstance(payload, dict):
            return
        kind = payload.get("type")
        if kind == "platform_state":
            account_id = str(payload.get("account_id", ""))
            if not account_id:
                return
            self.statuses[account_id] = PlatformStatus(
                account_id,
                str(payload.get("platform", "")),
                str(payload.get("login", "")),
                status_from_json(payload),
            )
            self.states_changed.emit()
        elif kind == "stream_state":
            combined = payload.get("combined")
            if isinstance(combined, Mapping):
                self._set_stream(stream_from_json(combined))

    def _set_stream(self, stream: StreamInfo) -> None:
        self.stream = stream
        self.stream_changed.emit(stream)

    # --- actions -------------------------------------------------------------------------------

    async def sign_in_twitch(self, show_code: ShowCode) -> None:
        """The device code flow; raises AuthFailed/NotReady with a message for the page."""
        await self._app.sign_in_twitch(show_code)
        await self.reload_accounts()

    async def disconnect_account(self, account_id: str) -> None:
        await self._app.disconnect_account(account_id)
        self.statuses.pop(account_id, None)
        await self.reload_accounts()

    async def send_chat(self, text: str) -> int:
        """Send ``text`` to every connected channel; returns how many got it.

        Raises :class:`ChatNotSent` naming the channels that refused it, and why.
        """
        targets = self.connected_accounts()
        if not targets:
            raise ChatNotSent("No channel is connected; connect one on the Platforms page.")
        failures: list[str] = []
        for target in targets:
            try:
                await self._app.streams.send_chat(target.account_id, text)
            except (NotReady, UserFacingError, LookupError) as exc:
                failures.append(f"{target.platform.title()} ({target.login}): {exc}")
        if failures:
            sent = len(targets) - len(failures)
            prefix = "Not sent to " if sent == 0 else f"Sent to {sent}, but not to "
            raise ChatNotSent(prefix + "; ".join(failures))
        return len(targets)

    async def viewer_history(self, since: datetime) -> list[Point]:
        """This stream's viewer samples (every connected platform, summed), oldest first."""
        until = datetime.now(UTC) + timedelta(seconds=1)
        platforms = sorted({a.platform for a in self.accounts})
        series: list[list[Point]] = []
        for platform in platforms:
            samples: list[MetricSample] = await self._app.run_db(
                persistence.metric_samples, self._app.db, platform, VIEWERS_METRIC, since, until
            )
            series.append([(s.at, float(s.value)) for s in samples])
        return merge_series(series)

    async def close(self) -> None:
        task, self._load_task = self._load_task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await super().close()
