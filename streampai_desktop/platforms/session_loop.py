"""What every connector does the same way: report its state and stream, and run one session
after another until stopped.

A platform's connector subclasses :class:`SessionLoop` and writes only ``_session`` (one
connection to its platform, from sign-in to drop). The loop turns the two errors that cross the
connector boundary into what the streamer sees: :class:`~.base.AuthFailed` ends the run with
"needs sign-in" (retrying cannot help), :class:`~.base.NotReady` waits out the platform's own
wait when it gave one, else the backoff, and starts the next session.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from datetime import datetime
from typing import Any, ClassVar

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.platforms.base import (
    AuthFailed,
    ConnectorDeps,
    ConnectorState,
    ConnectorStatus,
    NotReady,
    StreamInfo,
)

log = logging.getLogger(__name__)


class SessionLoop:
    label: ClassVar[str] = "platform"  # "Twitch", "YouTube": in log lines

    def __init__(self, deps: ConnectorDeps, backoff: Backoff) -> None:
        self.deps = deps
        self.backoff = backoff
        self.status = ConnectorStatus(ConnectorState.STOPPED)
        self.stream = StreamInfo()
        self._stop = asyncio.Event()

    async def _session(self) -> None:
        """One connection to the platform; returns or raises when it ends."""
        raise NotImplementedError

    # --- state ------------------------------------------------------------------------------------

    def _set_state(
        self, state: ConnectorState, reason: str = "", next_at: datetime | None = None
    ) -> None:
        self.status = ConnectorStatus(state, reason, next_at)
        self.deps.on_state(self.status)

    def _patch_stream(self, **changes: Any) -> None:
        new = dataclasses.replace(self.stream, **changes)
        if new != self.stream:
            self.stream = new
            self.deps.on_stream(new)

    async def _pause(self, seconds: float) -> None:
        """Sleep, or return early when stopped."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop.wait()

    # --- lifecycle --------------------------------------------------------------------------------

    async def run(self) -> None:
        self._stop.clear()
        self._set_state(ConnectorState.CONNECTING)
        while not self._stop.is_set():
            try:
                await self._session()
            except AuthFailed as exc:
                if self._stop.is_set():
                    break
                self._set_state(ConnectorState.NEEDS_SIGN_IN, str(exc))
                raise
            except NotReady as exc:
                if self._stop.is_set():
                    break
                # The platform's own wait (a rate limit's reset) when it gave one, else the
                # backoff.
                delay = self.backoff.next_delay(exc.retry_after or None)
                log.info("%s connection lost (%s); next attempt in %.1f s", self.label, exc, delay)
                self._set_state(ConnectorState.RECONNECTING, str(exc), self.backoff.next_attempt_at)
                await self._pause(delay)
        self._set_state(ConnectorState.STOPPED)

    async def stop(self) -> None:
        self._stop.set()
