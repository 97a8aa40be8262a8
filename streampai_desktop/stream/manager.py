"""StreamManager: one supervised connector per enabled account, and the combined stream state.

What the hosted app ran per user on its servers (a supervisor, platform managers, a stream-state
server) runs here: :meth:`StreamManager.start` starts a connector for every enabled account; a
connector that fails unexpectedly is restarted with capped exponential backoff and jitter; one that
raises :class:`AuthFailed` waits in "needs sign-in" until the streamer signs in again. Every state
change is published on the bus topic ``app`` as ``{"type": "platform_state", ...}`` and every
stream-state change as ``{"type": "stream_state", ...}``. Events go through ``submit`` (the ingest
path: dedupe → event log → bus); viewer counts are sampled into metrics while live.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from streampai_desktop.core.bus import TOPIC_APP, EventBus
from streampai_desktop.core.events import Event, ViewerCount
from streampai_desktop.platforms.base import (
    AuthFailed,
    Backoff,
    Connector,
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    StreamInfo,
)
from streampai_desktop.platforms.registry import create_connector
from streampai_desktop.store.records import Account, MetricSample

log = logging.getLogger(__name__)

Factory = Callable[[Account, ConnectorDeps], Connector]
MetricSink = Callable[[Sequence[MetricSample]], Awaitable[None]]

VIEWERS_METRIC = "viewers"
FOLLOWERS_METRIC = "followers"


@dataclass(slots=True)
class _Slot:
    """One account's supervised connector and what it last reported."""

    account: Account
    connector: Connector
    status: ConnectorStatus = field(default_factory=lambda: ConnectorStatus(ConnectorState.STOPPED))
    stream: StreamInfo = field(default_factory=StreamInfo)
    task: asyncio.Task[None] | None = None
    backoff: Backoff = field(default_factory=lambda: Backoff(2.0, 300.0))


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
    ) -> None:
        self.bus = bus
        self._submit = submit
        self._options = connector_options or {}
        self._factory = factory or (lambda acc, deps: create_connector(acc, deps, **self._options))
        self._metric_sink = metric_sink
        self._restart_backoff = restart_backoff
        self._slots: dict[str, _Slot] = {}
        self._metric_tasks: set[asyncio.Task[None]] = set()

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
            submit=self._submit_event,
            on_state=lambda status: self._on_state(slot_ref[0], status),
            on_stream=lambda info: self._on_stream(slot_ref[0], info),
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
        slot.task = asyncio.create_task(
            self._supervise(slot), name=f"connector-{account.platform}-{account.login}"
        )

    async def disable(self, account_id: str) -> None:
        """Stop the account's connector (disable, sign-out, removal); its state becomes stopped."""
        slot = self._slots.pop(account_id, None)
        if slot is None:
            return
        await slot.connector.stop()
        if slot.task is not None:
            # Let the connector close its HTTP session itself; cancel only if it hangs.
            done, _ = await asyncio.wait({slot.task}, timeout=5)
            if not done:
                slot.task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await slot.task
        self._on_state(slot, ConnectorStatus(ConnectorState.STOPPED))
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
        for task in list(self._metric_tasks):
            with contextlib.suppress(Exception):
                await task

    async def _supervise(self, slot: _Slot) -> None:
        while True:
            try:
                await slot.connector.run()
                return  # stopped on purpose
            except asyncio.CancelledError:
                raise
            except AuthFailed as exc:
                # Retrying cannot help; the Platforms page offers "sign in" (→ enable again).
                self._on_state(slot, ConnectorStatus(ConnectorState.NEEDS_SIGN_IN, str(exc)))
                return
            except Exception as exc:
                delay = slot.backoff.next_delay()
                log.error(
                    "%s connector for %s failed (%s); restarting in %.0f s",
                    slot.account.platform,
                    slot.account.login,
                    exc,
                    delay,
                    exc_info=exc,
                )
                reason = f"Something went wrong ({type(exc).__name__}); retrying."
                next_at = datetime.now(UTC) + timedelta(seconds=delay)
                self._on_state(slot, ConnectorStatus(ConnectorState.ERROR, reason, next_at))
                await asyncio.sleep(delay)

    # --- what the UI reads ---------------------------------------------------------------------

    def connector(self, account_id: str) -> Connector | None:
        slot = self._slots.get(account_id)
        return slot.connector if slot else None

    def states(self) -> dict[str, ConnectorStatus]:
        """Account id → the connector's visible state."""
        return {aid: slot.status for aid, slot in self._slots.items()}

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
        slot.status = status
        self.bus.publish(
            TOPIC_APP,
            {
                "type": "platform_state",
                "account_id": slot.account.id,
                "platform": slot.account.platform,
                "login": slot.account.login,
                **status.to_json(),
            },
        )

    def _on_stream(self, slot: _Slot, info: StreamInfo) -> None:
        previous, slot.stream = slot.stream, info
        self.bus.publish(
            TOPIC_APP,
            {
                "type": "stream_state",
                "account_id": slot.account.id,
                "platform": slot.account.platform,
                "stream": info.to_json(),
                "combined": self.combined().to_json(),
            },
        )
        if info.followers is not None and info.followers != previous.followers:
            now = datetime.now(UTC)
            self._record(MetricSample(slot.account.platform, FOLLOWERS_METRIC, now, info.followers))

    async def _submit_event(self, event: Event) -> bool:
        # Every viewer poll while live arrives as a ViewerCount event: that is the sample.
        if isinstance(event, ViewerCount) and not event.test:
            self._record(
                MetricSample(event.platform.value, VIEWERS_METRIC, event.at, event.viewers)
            )
        return await self._submit(event)

    def _record(self, sample: MetricSample) -> None:
        if self._metric_sink is None:
            return
        task = asyncio.create_task(self._write_metrics([sample]))
        self._metric_tasks.add(task)
        task.add_done_callback(self._metric_tasks.discard)

    async def _write_metrics(self, samples: list[MetricSample]) -> None:
        assert self._metric_sink is not None
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
