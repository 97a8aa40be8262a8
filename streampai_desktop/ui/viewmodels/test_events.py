"""Test events and previews: fake events sent through the local API, like any other tool's.

The test buttons POST to ``/api/v1/events`` with the API token rather than calling the services
directly, so what the streamer tests is the same path a stream deck or bot uses (token, JSON,
dedupe, the alert queue) — a broken API shows up here first, not during a stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.core.events import Event
from streampai_desktop.server.urls import api_base_url
from streampai_desktop.stream.demo import DemoSource
from streampai_desktop.widgets import WIDGETS

if TYPE_CHECKING:
    from streampai_desktop.server.control import OverlayService
    from streampai_desktop.ui.tasks import TaskSet

log = logging.getLogger("streampai_desktop.ui")

PREVIEW_SECONDS = 120  # a forgotten preview stops by itself


class TestEventError(UserFacingError):
    title = "The test event was not sent"


# Event kind → the demo factory that makes one (the same fake data the demo mode sends). Which
# kinds a widget's test buttons and preview send is the widget spec's ``test_events``.
FACTORIES: dict[str, Callable[[DemoSource], Event]] = {
    "follow": DemoSource.follow,
    "subscription": DemoSource.subscription,
    "gift_subscription": DemoSource.gift,
    "cheer": DemoSource.cheer,
    "raid": DemoSource.raid,
    "donation": DemoSource.donation,
    "channel_point_redemption": DemoSource.redemption,
    "super_chat": DemoSource.super_chat,
    "membership": DemoSource.membership,
    "chat_message": DemoSource.chat_message,
}
assert {kind for spec in WIDGETS.values() for kind, _ in spec.test_events} <= set(FACTORIES), (
    "every test event a widget offers needs a factory"
)


async def _never(_event: Event) -> bool:  # DemoSource is only used for its factories here
    return False


class TestEvents:
    """Makes demo events and sends them to the running app's local API."""

    def __init__(self, overlays: OverlayService) -> None:
        self._overlays = overlays
        self._demo = DemoSource(_never)

    def make(self, kind: str) -> Event:
        return FACTORIES[kind](self._demo)

    async def send(self, kind: str) -> dict[str, Any]:
        """POST a fresh ``kind`` test event to ``/api/v1/events``; the API's JSON answer."""
        import httpx  # only when a test button is used: keeps start-up light

        event = self.make(kind)
        url = f"{api_base_url(self._overlays.port)}/events"
        headers = {"Authorization": f"Bearer {self._overlays.tokens.api}"}
        try:
            async with httpx.AsyncClient(timeout=5.0) as client:
                response = await client.post(url, json=event.to_json(), headers=headers)
        except httpx.HTTPError as exc:
            raise TestEventError(
                f"The overlay server did not answer ({exc.__class__.__name__}). Check that it "
                "runs (status bar) and try again."
            ) from exc
        try:
            body: Any = response.json()
        except ValueError:
            body = {}
        if response.status_code not in (200, 202):
            reason = body.get("error") if isinstance(body, dict) else None
            raise TestEventError(
                f"The local API refused the test event ({response.status_code}"
                f"{': ' + reason if reason else ''})."
            )
        return body if isinstance(body, dict) else {}


class Preview(QObject):
    """Sends a widget type's fake events every few seconds until stopped (or for two minutes)."""

    running_changed = Signal(bool)
    failed = Signal(str)

    def __init__(
        self, tests: TestEvents, tasks: TaskSet, widget_type: str, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._tests = tests
        self._tasks = tasks
        spec = WIDGETS.get(widget_type)
        # The widget's test events in turn, one every ``interval`` seconds.
        self.kinds = tuple(kind for kind, _ in spec.test_events) if spec else ()
        self.interval = spec.preview_interval if spec else 3.0
        self._task: asyncio.Task[None] | None = None

    @property
    def available(self) -> bool:
        return bool(self.kinds)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self.running or not self.kinds:
            return
        self._task = self._tasks.spawn(self._run(), "widget preview")
        self.running_changed.emit(True)

    def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        self.running_changed.emit(False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        ends = loop.time() + PREVIEW_SECONDS
        try:
            for kind in itertools.cycle(self.kinds):
                if loop.time() > ends:
                    break
                try:
                    await self._tests.send(kind)
                except TestEventError as exc:
                    self.failed.emit(str(exc))
                    break
                await asyncio.sleep(self.interval)
        finally:
            if self._task is asyncio.current_task():
                self._task = None
                # The window may already be gone when the app quits mid-preview.
                with contextlib.suppress(RuntimeError):
                    self.running_changed.emit(False)
