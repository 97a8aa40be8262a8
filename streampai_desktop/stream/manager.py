"""StreamManager: one supervised connector per enabled account, and the combined stream state.

What the hosted app ran per user on its servers (a supervisor, platform managers, a stream-state
server) runs here: :meth:`StreamManager.start` starts a connector for every enabled account; a
connector runs in a supervised :class:`~streampai_desktop.core.worker.Worker`, so one that fails
unexpectedly is logged with its traceback and restarted with capped exponential backoff and jitter
(its state says when the next attempt is); one that raises :class:`AuthFailed` waits in "needs
sign-in" until the streamer signs in again. Every state change is published as a
:class:`~streampai_desktop.core.notices.PlatformStateChanged` notice and every stream-state change
as a :class:`~streampai_desktop.core.notices.StreamStateChanged`; what runs on each channel (poll,
prediction, hype train, ad break, goals, outgoing raid) is kept from its events and published as a
:class:`~streampai_desktop.core.notices.ChannelActivityChanged` (``stream/channel_activity.py``).
Events go through ``submit`` (the
ingest path: dedupe → event log → bus); viewer counts are sampled into metrics while live, queued
(bounded) and written in batches by one worker, so a slow disk never holds up a connector.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event, ViewerCount
from streampai_desktop.core.lifecycle import freeze_after_first_connection
from streampai_desktop.core.notices import PlatformStateChanged, StreamStateChanged, publish_notice
from streampai_desktop.core.worker import Crash, Worker
from streampai_desktop.platforms.base import (
    AuthFailed,
    Connector,
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    KeptState,
    StreamInfo,
)
from streampai_desktop.platforms.registry import create_connector
from streampai_desktop.store.records import Account, MetricSample
from streampai_desktop.stream.channel_activity import ChannelActivity, ChannelActivityTracker

log = logging.getLogger(__name__)

Factory = Callable[[Account, ConnectorDeps], Connector]
MetricSink = Callable[[Sequence[MetricSample]], Awaitable[None]]

VIEWERS_METRIC = "viewers"
FOLLOWERS_METRIC = "followers"
# Samples waiting for the metrics writer; beyond this (a sink stuck for days) new ones are dropped.
METRIC_QUEUE_LIMIT = 10_000
# How long a stopping connector gets to close its HTTP session itself before it is cancelled.
CONNECTOR_STOP_GRACE = 5.0


@dataclass(slots=True)
class _Slot:
    """One account's supervised connector and what it last reported."""

    account: Account
    connector: Connector
    status: ConnectorStatus = field(default_factory=lambda: ConnectorStatus(ConnectorState.STOPPED))
    stream: StreamInfo = field(default_factory=StreamInfo)
    backoff: Backoff = field(default_factory=lambda: Backoff(2.0, 300.0))
    worker: Worker | None = None


class StreamManager:
    """Supervises connectors; see the module docstring."""

    def __init__(
        self,
        bus: EventBus,
        submit: Callable[[Event], Awaitable[bool]],
        *,
        factory: Factory | None = None,
        metric_sink: MetricSink | None = None,
        connector_options: dict[str, Any] | None = None,
        restart_backoff: tuple[float, float] = (2.0, 300.0),
        kept: KeptState | None = None,
    ) -> None:
        self.bus = bus
        self._submit = submit
        self._kept = kept  # what connectors keep across restarts (YouTube's quota count)
        self._options = connector_options or {}
        self._factory = factory or (lambda acc, deps: create_connector(acc, deps, **self._options))
        self._metric_sink = metric_sink
        self._restart_backoff = restart_backoff
        self._slots: dict[str, _Slot] = {}
        self._metric_queue: list[MetricSample] = []
        self.metrics_dropped = 0
        self.activity = ChannelActivityTracker(bus)
        self._metric_writer = Worker(
            "metrics writer", self._drain_metrics, restart=Backoff(1.0, 60.0), logger=log
        )

    # --- lifecycle --------------------------------------------------------------------------------

    async def start(self, accounts: Sequence[Account]) -> None:
        """Start a connector for every enabled account (call once at app start)."""
        for account in accounts:
            if account.enabled:
                await self.enable(account)

    async def enable(self, account: Account) -> None:
        """Start (or restart, e.g. after a new sign-in) the account's connector."""
        await self.disable(account.id)
        slot_ref: list[_Slot] = []
        deps = ConnectorDeps(
            submit=lambda event: self._submit_event(slot_ref[0], event),
            on_state=lambda status: self._on_state(slot_ref[0], status),
            on_stream=lambda info: self._on_stream(slot_ref[0], info),
            kept=self._kept,
        )
        try:
            connector = self._factory(account, deps)
        except Exception as exc:
            log.error(
                "cannot start a connector for %s account %s: %s",
                account.platform,
                account.login,
                exc,
            )
            return
        slot = _Slot(account, connector, backoff=Backoff(*self._restart_backoff))
        slot_ref.append(slot)
        self._slots[account.id] = slot
        if self._metric_sink is not None:
            self._metric_writer.start()
        slot.worker = Worker(
            f"{account.platform} connector for {account.login}",
            lambda: self._run_connector(slot),
            restart=slot.backoff,
            on_stop=connector.stop,
            on_crash=lambda crash: self._on_crash(slot, crash),
            grace=CONNECTOR_STOP_GRACE,
            logger=log,
        )
        slot.worker.start()

    async def disable(self, account_id: str) -> None:
        """Stop the account's connector (disable, sign-out, removal); its state becomes stopped."""
        slot = self._slots.pop(account_id, None)
        if slot is None:
            return
        if slot.worker is not None:
            await slot.worker.stop()  # connector.stop(), then cancelled only if it hangs
        self._on_state(slot, ConnectorStatus(ConnectorState.STOPPED))
        self.activity.forget(account_id)
        if slot.stream.live:
            self._on_stream(slot, StreamInfo())

    async def sign_out(self, account_id: str) -> None:
        """Stop the connector and delete the account's tokens."""
        slot = self._slots.get(account_id)
        await self.disable(account_id)  # first: a closing client must not save tokens back
        if slot is not None:
            await slot.connector.sign_out()

    async def stop(self) -> None:
        """Stop everything (app quit)."""
        for account_id in list(self._slots):
            await self.disable(account_id)
        await self._metric_writer.stop()  # writes what is still queued
        self.activity.stop()

    async def _run_connector(self, slot: _Slot) -> None:
        """One run of the connector; a return (stopped, or needs sign-in) is not restarted."""
        try:
            await slot.connector.run()
        except AuthFailed as exc:
            # Retrying cannot help; the Platforms page offers "sign in" (→ enable again).
            self._on_state(slot, ConnectorStatus(ConnectorState.NEEDS_SIGN_IN, str(exc)))

    def _on_crash(self, slot: _Slot, crash: Crash) -> None:
        # The worker logged it with its traceback; the streamer sees a sentence and the retry time.
        reason = f"Something went wrong ({type(crash.error).__name__}); retrying."
        self._on_state(slot, ConnectorStatus(ConnectorState.ERROR, reason, crash.next_attempt_at))

    # --- what the UI reads ---------------------------------------------------------------------

    def connector(self, account_id: str) -> Connector | None:
        slot = self._slots.get(account_id)
        return slot.connector if slot else None

    def states(self) -> dict[str, ConnectorStatus]:
        """Account id → the connector's visible state."""
        return {aid: slot.status for aid, slot in self._slots.items()}

    def channel_activity(self) -> dict[str, ChannelActivity]:
        """Account id → what runs on that channel now (poll, prediction, hype train, …)."""
        return self.activity.all()

    def stream_states(self) -> dict[str, StreamInfo]:
        """Account id → that platform's stream state."""
        return {aid: slot.stream for aid, slot in self._slots.items()}

    def combined(self) -> StreamInfo:
        """One stream state across platforms: live if any is; counts summed."""
        return combine([slot.stream for slot in self._slots.values()])

    async def send_chat(self, account_id: str, text: str) -> None:
        slot = self._slots.get(account_id)
        if slot is None:
            raise LookupError(f"no running connector for account {account_id!r}")
        await slot.connector.send_chat(text)

    # --- callbacks from connectors ----------------------------------------------------------------

    def _on_state(self, slot: _Slot, status: ConnectorStatus) -> None:
        if status.state is ConnectorState.CONNECTED:
            slot.backoff.reset()
            freeze_after_first_connection()
        slot.status = status
        account = slot.account
        publish_notice(
            self.bus, PlatformStateChanged(account.id, account.platform, account.login, status)
        )

    def _on_stream(self, slot: _Slot, info: StreamInfo) -> None:
        previous, slot.stream = slot.stream, info
        publish_notice(
            self.bus,
            StreamStateChanged(slot.account.id, slot.account.platform, info, self.combined()),
        )
        if info.followers is not None and info.followers != previous.followers:
            now = datetime.now(UTC)
            self._record(MetricSample(slot.account.platform, FOLLOWERS_METRIC, now, info.followers))

    async def _submit_event(self, slot: _Slot, event: Event) -> bool:
        self.activity.observe(slot.account.id, slot.account.platform, event)
        # Every viewer poll while live arrives as a ViewerCount event: that is the sample.
        if isinstance(event, ViewerCount) and not event.test:
            self._record(
                MetricSample(event.platform.value, VIEWERS_METRIC, event.at, event.viewers)
            )
        return await self._submit(event)

    def _record(self, sample: MetricSample) -> None:
        if self._metric_sink is None:
            return
        if len(self._metric_queue) >= METRIC_QUEUE_LIMIT:
            self.metrics_dropped += 1
            if self.metrics_dropped == 1:
                log.warning("metric samples are not being written; dropping new ones")
            return
        self._metric_queue.append(sample)
        self._metric_writer.wake()

    async def _drain_metrics(self) -> None:
        """The metrics writer: whatever is queued, in one batch, each time it is woken."""
        while True:
            await self._write_metrics()
            if not await self._metric_writer.sleep(3600.0):
                await self._write_metrics()  # what arrived while stopping
                return

    async def _write_metrics(self) -> None:
        if not self._metric_queue or self._metric_sink is None:
            return
        samples, self._metric_queue = self._metric_queue, []
        try:
            await self._metric_sink(samples)
        except Exception as exc:  # a full disk must not take the stream down
            log.error("could not record %d metric sample(s): %s", len(samples), exc)


def combine(streams: Sequence[StreamInfo]) -> StreamInfo:
    """The combined stream state shown on the dashboard."""
    live = [s for s in streams if s.live]
    shown = live[0] if live else (streams[0] if streams else StreamInfo())
    starts = [s.started_at for s in live if s.started_at is not None]

    def total(values: list[int | None]) -> int | None:
        known = [v for v in values if v is not None]
        return sum(known) if known else None

    return StreamInfo(
        live=bool(live),
        title=shown.title,
        category=shown.category,
        started_at=min(starts) if starts else None,
        viewers=total([s.viewers for s in live]) if live else None,
        followers=total([s.followers for s in streams]),
        subscribers=total([s.subscribers for s in streams]),
    )
