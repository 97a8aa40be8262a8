"""Background work started from the UI, with a reference kept to every task.

asyncio only keeps weak references to tasks, so a task started from a button click and then
forgotten can be garbage-collected mid-flight. :class:`TaskSet` holds each task until it finishes
and hands any failure to the loop's exception handler, which ``ui.errors`` turns into a log line
and a dialog — so no error from a click is ever silently lost.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


class TaskSet:
    """Owns the tasks the UI starts; :meth:`cancel_all` ends them on shutdown."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        # The loop is remembered so a click delivered while the loop is between iterations
        # (or a test driving widgets between run_until_complete calls) still schedules its task.
        self._loop = loop or asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coro: Coroutine[Any, Any, T], name: str) -> asyncio.Task[T]:
        """Run ``coro`` on the running loop; failures reach the loop's exception handler."""
        task = self._loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()  # also marks it retrieved, so asyncio does not warn at GC
        if exc is not None:
            task.get_loop().call_exception_handler(
                {"message": f"error in {task.get_name()}", "exception": exc, "task": task}
            )

    async def wait_idle(self) -> None:
        """Wait until every task started so far (and any they start) has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def cancel_all(self) -> None:
        """Cancel every task and wait for them to unwind."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*tasks, return_exceptions=True)
