"""Test events and previews.

A test "on stream" POSTs a fake event to ``/api/v1/events`` with the API token rather than calling
the services directly, so what the streamer tests is the same path a stream deck or bot uses
(token, JSON, dedupe, the alert queue, every open overlay with the saved settings) — a broken API
shows up here first, not during a stream.

A preview never goes there: it is a preview session (``server/preview.py``) that one page in the
streamer's browser shows — the editor's unsaved draft and fake events, sent to that page only,
never through the alert queue and never to OBS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.core.events import Event
from streampai_desktop.server.preview import PreviewSessions, PreviewShown
from streampai_desktop.server.urls import api_base_url
from streampai_desktop.stream.demo import DemoSource
from streampai_desktop.widgets import WIDGETS

if TYPE_CHECKING:
    from streampai_desktop.server.control import OverlayService
    from streampai_desktop.ui.tasks import TaskSet

log = logging.getLogger("streampai_desktop.ui")

# A forgotten preview stops by itself this long after its last use (start, edit, test).
PREVIEW_SECONDS = 300
WAIT_FOR_PAGE = 0.2  # demo events start once the preview page has connected


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
    "charity_donation": DemoSource.charity_donation,
    "kicks_gift": DemoSource.kicks_gift,
    "hype_train_begin": DemoSource.hype_train_begin,
    "hype_train_level_up": DemoSource.hype_train_level_up,
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

    @property
    def previews(self) -> PreviewSessions:
        return self._overlays.previews

    def preview_url(self, widget_id: str, preview_id: str) -> str:
        return self._overlays.preview_url(widget_id, preview_id)

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
    """One widget instance's preview: a preview session that shows the editor's draft, and a
    fake event of each of the widget's test kinds in turn, every few seconds, until stopped (or
    until it has not been used for a few minutes)."""

    running_changed = Signal(bool)

    def __init__(
        self,
        tests: TestEvents,
        tasks: TaskSet,
        widget_id: str,
        widget_type: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._tests = tests
        self._tasks = tasks
        self.widget_id = widget_id
        self.widget_type = widget_type
        spec = WIDGETS.get(widget_type)
        # The widget's test events in turn, one every ``interval`` seconds.
        self.kinds = tuple(kind for kind, _ in spec.test_events) if spec else ()
        self.interval = spec.preview_interval if spec else 3.0
        self.preview_id: str | None = None
        self.url = ""
        self._task: asyncio.Task[None] | None = None
        self._next = 0  # index into ``kinds`` of the next demo event
        self._wake = asyncio.Event()  # a test resets the wait for the next demo event
        self._last_use = 0.0  # time.monotonic() of the last start, edit or test

    @property
    def available(self) -> bool:
        return bool(self.kinds)

    @property
    def running(self) -> bool:
        return self.preview_id is not None

    @property
    def pages(self) -> int:
        """How many browser pages show this preview now."""
        return self._tests.previews.pages(self.preview_id) if self.preview_id else 0

    def start(self, config: dict[str, Any], first: str | None = None) -> str:
        """Open the preview session showing ``config`` and start the demo events (``first``
        first); the preview page's URL, to open in the browser."""
        if self.preview_id is None and self.kinds:
            self.preview_id = self._tests.previews.open(self.widget_id, self.widget_type, config)
            self.url = self._tests.preview_url(self.widget_id, self.preview_id)
            self._next = self.kinds.index(first) if first in self.kinds else 0
            self._touch()
            self._task = self._tasks.spawn(self._run(), "widget preview")
            self.running_changed.emit(True)
        return self.url

    def update(self, config: dict[str, Any]) -> None:
        """The draft changed: the preview page shows it now."""
        if self.preview_id is not None:
            self._tests.previews.set_config(self.preview_id, config)
            self._touch()

    def show(self, kind: str) -> PreviewShown:
        """Show a fake ``kind`` event in the preview now; the next demo event waits its turn."""
        if self.preview_id is None:
            return PreviewShown(0)
        self._touch()
        self._wake.set()
        return self._tests.previews.show(self.preview_id, self._tests.make(kind))

    def stop(self) -> None:
        """End the session (the page says the preview ended) and the demo events."""
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
        preview_id, self.preview_id = self.preview_id, None
        if preview_id is None:
            return
        self._tests.previews.close(preview_id)
        # The window may already be gone when the app quits mid-preview.
        with contextlib.suppress(RuntimeError):
            self.running_changed.emit(False)

    def _touch(self) -> None:
        self._last_use = time.monotonic()

    async def _run(self) -> None:
        try:
            while (
                time.monotonic() - self._last_use < PREVIEW_SECONDS and self.preview_id is not None
            ):
                if not self.pages:  # the browser is still opening the page: wait for it
                    await asyncio.sleep(WAIT_FOR_PAGE)
                    continue
                # The next kind that shows something (a switched-off alert type shows nothing).
                for _ in self.kinds:
                    kind = self.kinds[self._next % len(self.kinds)]
                    self._next += 1
                    shown = self._tests.previews.show(self.preview_id, self._tests.make(kind))
                    if not shown.skipped:
                        break
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval)
        finally:
            if self._task is asyncio.current_task():
                self._task = None
                self.stop()
