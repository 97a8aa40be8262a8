"""Ordered, logged start-up steps and their teardowns, run newest first: the composition root's
bookkeeping, kept apart so ``app.py`` is only the list of what gets built.

A step registers its own teardown as soon as the thing it built exists, so a failure half-way
through start-up undoes exactly what was done. :meth:`Lifecycle.shutdown` is idempotent, and one
teardown that fails is logged and does not stop the others.

Also here: the garbage collector's start-up pause (:func:`pause_gc_for_startup`).
"""

from __future__ import annotations

import gc
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[None]]
Teardown = Callable[[], Awaitable[None] | None]


class Lifecycle:
    def __init__(self, logger: logging.Logger | None = None) -> None:
        self._log = logger or log
        self._teardowns: list[tuple[str, Teardown]] = []
        self._shutdown_started = False

    def on_shutdown(self, name: str, teardown: Teardown) -> None:
        """Register ``teardown``; teardowns run in reverse order of registration."""
        self._teardowns.append((name, teardown))

    async def run(self, steps: Iterable[Step]) -> None:
        """Run every step in order (each one timed in the debug log); on a failure, undo what
        was done and re-raise."""
        try:
            for step in steps:
                name = step.__name__.removeprefix("_init_")
                began = time.perf_counter()
                await step()
                self._log.debug(
                    "init %s done in %.0f ms", name, (time.perf_counter() - began) * 1e3
                )
        except BaseException:
            await self.shutdown()
            raise

    async def shutdown(self) -> bool:
        """Run the teardowns, newest first; False when shutdown had already run."""
        if self._shutdown_started:
            return False
        self._shutdown_started = True
        while self._teardowns:
            name, teardown = self._teardowns.pop()
            try:
                result = teardown()
                if inspect.isawaitable(result):
                    await result
                self._log.debug("stopped %s", name)
            except Exception:
                self._log.exception("error while stopping %s", name)
        return True


# --- the garbage collector during start-up -----------------------------------------------------

_gc_paused = False
_froze_at_startup = False  # start-up's objects are frozen (the entry point paused the collector)
_settled = False  # the first connection's objects are frozen too


def pause_gc_for_startup() -> None:
    """Turn the cyclic garbage collector off until :func:`resume_gc_after_startup`.

    For the process entry point, before it imports the app: start-up builds the modules,
    classes and Qt wrappers that live as long as the app, and the collector walks them again
    and again for nothing (about 70 ms before the window shows, 50 ms of a headless start, on
    the development machine). Reference counting still frees everything else meanwhile.
    """
    global _gc_paused
    if gc.isenabled():
        gc.disable()
        _gc_paused = True


def freeze_after_first_connection() -> None:
    """A platform connected for the first time: freeze what connecting built, once per process.

    The platform clients (twitchio, httpx, the EventSub socket, their modules and caches) are
    imported and built on the first connection, after start-up's freeze, and live as long as the
    app. Left in the collected generations, every full collection walks them again: in a chat
    flood those came every second or so and each paused the event loop for 5 to 10 ms (40 ms in a
    process that never froze), the largest share of the chat's p95 latency. One collection now
    (nothing is flowing yet) then a freeze; reference counting still frees whatever they drop.
    A no-op after the first call, and unless start-up froze (a test's process collects as usual).
    """
    global _settled
    if _settled or not _froze_at_startup:
        return
    _settled = True
    gc.collect()
    gc.freeze()


def resume_gc_after_startup() -> None:
    """Start-up is over (or failed): collect again, leaving out what start-up built.

    ``gc.freeze`` moves every object alive now into a generation the collector never walks, so
    later collections (pauses on the event loop, the overlays' hot path) do not re-scan it. A
    no-op unless :func:`pause_gc_for_startup` paused the collector.
    """
    global _gc_paused
    global _froze_at_startup
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        _froze_at_startup = True
        gc.enable()
