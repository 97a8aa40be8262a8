"""One supervised background task: started and stopped in one place, never lost, never silent.

Every long-running loop of the app (connectors, the sync engine, the live channel, the event-log
writer, metrics, the demo source, the alert queue) runs in a :class:`Worker`, which

- keeps a reference to its task (the loop only keeps weak ones, so a bare ``create_task`` can be
  garbage-collected mid-flight);
- logs a crash with its traceback, and restarts the loop after a :class:`~.backoff.Backoff` delay
  when asked to (``restart=``), reporting the delay and the time of the next attempt so a caller
  can show "restarting at …";
- does not restart a loop that returned on its own: that is a loop that finished;
- stops gracefully: :meth:`Worker.stop` tells the loop (``on_stop``, :attr:`Worker.stopping`,
  :meth:`Worker.sleep`), waits for it, and cancels it only if it is still running after
  ``grace`` seconds. Stopping is idempotent, and a stop during a restart wait is immediate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from streampai_desktop.core.backoff import Backoff

log = logging.getLogger(__name__)

DEFAULT_GRACE = 5.0


@dataclass(frozen=True, slots=True)
class Crash:
    """What a worker reports when its loop raised: the error and when it runs again."""

    error: Exception
    delay: float | None  # seconds until the restart; None: not restarted
    next_attempt_at: datetime | None  # UTC; None: not restarted


class Worker:
    """Runs ``run()`` as one named background task; see the module docstring.

    ``run`` is called again for every restart, so it must create a fresh coroutine each time
    (pass the bound method, not a coroutine object). ``grace=0`` suits a loop with nothing to
    finish (it is cancelled at once); a loop that must flush or close something watches
    :attr:`stopping` or uses :meth:`sleep`, or gets an ``on_stop`` that makes it return.
    """

    def __init__(
        self,
        name: str,
        run: Callable[[], Awaitable[object]],
        *,
        restart: Backoff | None = None,
        on_stop: Callable[[], Awaitable[object]] | None = None,
        on_crash: Callable[[Crash], object] | None = None,
        grace: float = DEFAULT_GRACE,
        logger: logging.Logger | None = None,
    ) -> None:
        if grace < 0:
            raise ValueError("grace must be >= 0")
        self.name = name
        self.restart = restart
        self.grace = grace
        self.crashes = 0
        self.last_error: Exception | None = None
        self.next_attempt_at: datetime | None = None
        """While waiting to restart after a crash: when the restart is due (UTC)."""
        self._run = run
        self._on_stop = on_stop
        self._on_crash = on_crash
        self._log = logger or log
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        # Set by wake() and stop(): ends a sleep() early (and is remembered until the next one).
        # A plain flag and loop futures, not asyncio.Event/timeout: those need a *running* loop
        # when the task resumes, which qasync does not promise while Qt dispatches a timer.
        self._alarm = False
        self._waiter: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Worker {self.name!r} {state} crashes={self.crashes}>"

    # --- what owners and callers read -----------------------------------------------------------

    @property
    def task(self) -> asyncio.Task[None] | None:
        return self._task

    @property
    def running(self) -> bool:
        """Started and not finished (a worker waiting to restart is running)."""
        return self._task is not None and not self._task.done()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called: the loop should finish what it does and return."""
        return self._stopping

    # --- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the loop (again, after a stop); nothing happens if it is already running."""
        if self.running:
            return
        self._stopping = False
        self._alarm = False
        self.next_attempt_at = None
        if self.restart is not None:
            self.restart.reset()
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._main(), name=self.name)

    async def stop(self) -> None:
        """Ask the loop to finish, wait for it, cancel it only past ``grace``. Idempotent."""
        first = not self._stopping
        self._stopping = True
        self.wake()
        task = self._task
        if task is None or task.done():
            return
        if task is asyncio.current_task():
            return  # the loop stops itself: it ends when it returns
        if first and self._on_stop is not None:
            try:
                await self._on_stop()
            except Exception:
                self._log.exception("%s: asking it to stop failed", self.name)
        done, _ = await asyncio.wait({task}, timeout=self.grace)
        if not done:
            if self.grace:
                self._log.warning(
                    "%s did not stop within %.0f s; cancelling it", self.name, self.grace
                )
            task.cancel()
            # asyncio.wait, not ``await task``: a cancel of our caller must not be swallowed.
            await asyncio.wait({task})

    # --- for the loop itself ----------------------------------------------------------------------

    def wake(self) -> None:
        """End the loop's current :meth:`sleep` now (new work arrived)."""
        self._alarm = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def sleep(self, seconds: float) -> bool:
        """Wait ``seconds``, or less when woken or stopped; False once the loop should return.

        A :meth:`wake` that came before the sleep is not lost: the sleep then returns at once.
        """
        if not self._alarm:
            await self._wait(seconds)
        if self._stopping:
            return False
        self._alarm = False
        return True

    async def _wait(self, seconds: float) -> None:
        """Until ``seconds`` pass or :meth:`wake`/:meth:`stop` is called."""
        assert self._loop is not None, "sleep() is for the worker's own loop"
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._waiter = waiter
        timer = self._loop.call_later(max(0.0, seconds), _resolve, waiter)
        try:
            await waiter
        finally:
            timer.cancel()
            self._waiter = None

    # --- internals --------------------------------------------------------------------------------

    async def _main(self) -> None:
        while not self._stopping:
            try:
                await self._run()
                return  # finished on its own: not restarted
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    self._log.debug("%s ended with %r while stopping", self.name, exc)
                    return
                self.crashes += 1
                self.last_error = exc
                if self.restart is None:
                    self._log.error("%s failed (%s)", self.name, exc, exc_info=exc)
                    self._report(Crash(exc, None, None))
                    return
                delay = self.restart.next_delay()
                self.next_attempt_at = self.restart.next_attempt_at
                self._log.error(
                    "%s failed (%s); restarting in %.1f s", self.name, exc, delay, exc_info=exc
                )
                self._report(Crash(exc, delay, self.next_attempt_at))
                assert self._loop is not None
                deadline = self._loop.time() + delay
                # A wake() does not cut the wait short; only stop() does.
                while not self._stopping and (left := deadline - self._loop.time()) > 0:
                    await self._wait(left)
                self.next_attempt_at = None

    def _report(self, crash: Crash) -> None:
        if self._on_crash is None:
            return
        try:
            self._on_crash(crash)
        except Exception:
            self._log.exception("%s: reporting its crash failed", self.name)


def _resolve(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_result(None)
