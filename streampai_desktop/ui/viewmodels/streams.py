"""Connected accounts, their connectors' states and the live stream, for the Platforms page, the
Dashboard and the status bar.

The stream manager publishes every connector state change (``PlatformStateChanged``) and every
stream state change (``StreamStateChanged``); the platform service announces connected and
removed accounts (``AccountsChanged``). This listener keeps the latest of each and re-announces
them as Qt signals.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.bus import Message
from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.core.notices import (
    AccountsChanged,
    PlatformStateChanged,
    StreamStateChanged,
    notice_topics,
)
from streampai_desktop.platforms.base import (
    ChatNotSent,
    ConnectorState,
    ConnectorStatus,
    NotReady,
    StreamInfo,
)
from streampai_desktop.platforms.flows import ShowStep
from streampai_desktop.platforms.registry import platform_label
from streampai_desktop.stream.manager import VIEWERS_METRIC
from streampai_desktop.ui.viewmodels.listener import BusListener

if TYPE_CHECKING:
    from streampai_desktop.store import Account
    from streampai_desktop.stream.connections import PlatformService

log = logging.getLogger("streampai_desktop.ui")

Point = tuple[datetime, float]


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

    def __init__(self, platforms: PlatformService, parent: QObject | None = None) -> None:
        topics = notice_topics(PlatformStateChanged, StreamStateChanged, AccountsChanged)
        super().__init__(platforms.bus, topics, name="ui-streams", maxsize=1000, parent=parent)
        self.platforms = platforms
        self.accounts: list[Account] = []
        self.statuses: dict[str, PlatformStatus] = {}
        self.stream: StreamInfo = platforms.combined()
        self._load_task: asyncio.Task[None] | None = None
        self._reload_tasks: set[asyncio.Task[None]] = set()

    def start(self) -> None:
        super().start()
        if self._load_task is None:
            self._load_task = asyncio.get_running_loop().create_task(
                self._quiet_reload(), name="ui-load-accounts"
            )

    async def _quiet_reload(self) -> None:
        try:
            await self.reload_accounts()
        except Exception as exc:  # the pages still work from the live messages
            asyncio.get_running_loop().call_exception_handler(
                {"message": "reading the connected accounts", "exception": exc}
            )

    async def reload_accounts(self) -> None:
        """Re-read the accounts from the store and the states from the stream manager."""
        self.accounts = await self.platforms.accounts()
        running = self.platforms.states()
        statuses: dict[str, PlatformStatus] = {}
        for account in self.accounts:
            status = running.get(account.id)
            previous = self.statuses.get(account.id)
            if status is None and previous is not None:
                status = previous.status
            statuses[account.id] = PlatformStatus(
                account.id,
                account.platform,
                account.login,
                status or ConnectorStatus(ConnectorState.STOPPED),
            )
        self.statuses = statuses
        self.accounts_changed.emit()
        self.states_changed.emit()
        self._set_stream(self.platforms.combined())

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

    def chat_limit(self) -> int:
        """The longest message every connected channel accepts (from the platforms' specs)."""
        return self.platforms.chat_limit([s.platform for s in self.connected_accounts()])

    # --- bus -----------------------------------------------------------------------------------

    def handle(self, message: Message) -> None:
        payload = message.payload
        if isinstance(payload, PlatformStateChanged):
            self.statuses[payload.account_id] = PlatformStatus(
                payload.account_id, payload.platform, payload.login, payload.status
            )
            self.states_changed.emit()
        elif isinstance(payload, StreamStateChanged):
            self._set_stream(payload.combined)
        elif isinstance(payload, AccountsChanged):
            task = asyncio.get_running_loop().create_task(
                self._quiet_reload(), name="ui-reload-accounts"
            )
            self._reload_tasks.add(task)
            task.add_done_callback(self._reload_tasks.discard)

    def _set_stream(self, stream: StreamInfo) -> None:
        self.stream = stream
        self.stream_changed.emit(stream)

    # --- actions -------------------------------------------------------------------------------

    async def sign_in(self, platform_id: str, show: ShowStep) -> None:
        """The platform's sign-in flow; raises AuthFailed/NotReady with a message for the page."""
        await self.platforms.sign_in(platform_id, show)
        await self.reload_accounts()

    async def disconnect_account(self, account_id: str) -> None:
        await self.platforms.disconnect(account_id)
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
                await self.platforms.send_chat(target.account_id, text)
            except (NotReady, UserFacingError, LookupError, ValueError) as exc:
                failures.append(f"{platform_label(target.platform)} ({target.login}): {exc}")
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
            samples = await self.platforms.metric_samples(platform, VIEWERS_METRIC, since, until)
            series.append([(s.at, float(s.value)) for s in samples])
        return merge_series(series)

    async def close(self) -> None:
        tasks = [t for t in (self._load_task, *self._reload_tasks) if t is not None]
        self._load_task = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await super().close()
