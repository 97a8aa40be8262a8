"""Preview sessions: a page in the streamer's browser that shows the settings being edited, with
fake events, and that nothing else ever sees.

The settings editor opens a session for one widget instance; the session's id goes into the
page's URL (``/overlay/{widget}?token=…&preview={id}``, the same page OBS loads). The page
subscribes with that id, and from then on gets exactly what the editor pushes to the session: the
unsaved draft config and fake events, sent straight to it.

A preview page is not an overlay: the hub keeps it out of its fan-out (no real alerts, chat or
saved configs reach it), out of the connected counts (the alert queue never waits for it, the
status bar does not count it), and nothing pushed to a session reaches any other page — so a
preview never goes on air in OBS, and the real alert queue is not touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiohttp import web

from streampai_desktop.core.bus import TOPIC_ALERTS, TOPIC_CHAT
from streampai_desktop.core.events import CHAT_TOPIC_KINDS, Event
from streampai_desktop.server.frames import envelope
from streampai_desktop.widgets import alert_box, get_widget
from streampai_desktop.widgets.media import with_available_media

log = logging.getLogger(__name__)

# A page whose session is gone gets this, stops reconnecting and says the preview ended.
PREVIEW_END = "preview_end"


class PreviewPage(Protocol):
    """What a session needs of a connected page (the hub's ``OverlayClient``)."""

    ws: web.WebSocketResponse

    def offer(self, frame: bytes) -> None: ...

    def flush(self) -> bool: ...


@dataclass(slots=True)
class PreviewSession:
    """One preview: the widget instance it previews, the draft it shows, the pages showing it."""

    id: str
    widget: str  # instance id
    widget_type: str
    config: dict[str, Any]
    pages: set[PreviewPage] = field(default_factory=set)

    def config_frame(self) -> bytes:
        return envelope("config", {"widget": self.widget, "config": self.config})


@dataclass(frozen=True, slots=True)
class PreviewShown:
    """What :meth:`PreviewSessions.show` did: ``pages`` it reached, or why it shows nothing."""

    pages: int
    skipped: str = ""  # "off" (the alert type is switched off), "minimum" (below the minimum)


class PreviewSessions:
    """Every open preview session, by id. Shared by the servers of one app (a port change keeps
    the sessions; their pages reconnect like any overlay)."""

    def __init__(self, have_media: Callable[[str], bool] = lambda ref: True) -> None:
        self._sessions: dict[str, PreviewSession] = {}
        self._closing: set[asyncio.Task[Any]] = set()  # keep references until they finish
        # Whether this computer has a picked file: a synced config may name one that has not
        # arrived yet, and a preview shows the built-in default then, like the overlays do.
        self.have_media = have_media

    def open(self, widget: str, widget_type: str, config: Mapping[str, Any]) -> str:
        """A new session showing ``config`` (a draft, repaired before use); its id."""
        preview_id = secrets.token_urlsafe(16)
        self._sessions[preview_id] = PreviewSession(
            preview_id, widget, widget_type, self._usable(widget_type, config)
        )
        log.info("preview of %s opened", widget)
        return preview_id

    def _usable(self, widget_type: str, config: Mapping[str, Any]) -> dict[str, Any]:
        spec = get_widget(widget_type)
        usable = _usable(widget_type, config)
        return with_available_media(usable, spec.defaults if spec else {}, self.have_media)

    def get(self, preview_id: str) -> PreviewSession | None:
        return self._sessions.get(preview_id)

    def pages(self, preview_id: str) -> int:
        """How many pages show this preview now."""
        session = self._sessions.get(preview_id)
        return len(session.pages) if session else 0

    def set_config(self, preview_id: str, config: Mapping[str, Any]) -> None:
        """Show ``config`` (the editor's current draft) on the session's pages."""
        session = self._sessions.get(preview_id)
        if session is None:
            return
        usable = self._usable(session.widget_type, config)
        if usable == session.config:
            return
        session.config = usable
        self._send(session, session.config_frame())

    def show(self, preview_id: str, event: Event) -> PreviewShown:
        """Show a fake ``event`` on the session's pages only, with the session's draft."""
        session = self._sessions.get(preview_id)
        if session is None:
            return PreviewShown(0)
        frame, skipped = preview_frame(session, event)
        if frame is None:
            return PreviewShown(0, skipped)
        return PreviewShown(self._send(session, frame))

    def close(self, preview_id: str) -> None:
        """End the session: its pages are told so (they stop reconnecting) and disconnected."""
        session = self._sessions.pop(preview_id, None)
        if session is None:
            return
        log.info("preview of %s closed", session.widget)
        self._send(session, envelope(PREVIEW_END, {"widget": session.widget}))
        for page in list(session.pages):
            task = asyncio.create_task(page.ws.close(message=b"preview ended"))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        session.pages.clear()

    def close_all(self) -> None:
        for preview_id in list(self._sessions):
            self.close(preview_id)

    # --- the hub's side ------------------------------------------------------------------------

    def attach(self, preview_id: str, widget: str, page: PreviewPage) -> PreviewSession | None:
        """A page subscribed to ``preview_id`` for ``widget``; None when no such session is open."""
        session = self._sessions.get(preview_id)
        if session is None or session.widget != widget:
            return None
        session.pages.add(page)
        return session

    def detach(self, preview_id: str, page: PreviewPage) -> None:
        session = self._sessions.get(preview_id)
        if session is not None:
            session.pages.discard(page)

    def _send(self, session: PreviewSession, frame: bytes) -> int:
        sent = 0
        for page in list(session.pages):
            page.offer(frame)
            if page.flush():
                sent += 1
            else:  # a stalled preview tab: it reconnects and gets the draft again
                session.pages.discard(page)
                with contextlib.suppress(Exception):
                    task = asyncio.create_task(page.ws.close(message=b"too slow"))
                    self._closing.add(task)
                    task.add_done_callback(self._closing.discard)
        return sent


def _usable(widget_type: str, config: Mapping[str, Any]) -> dict[str, Any]:
    """The draft with values the widget cannot use replaced by defaults (the form is still being
    typed into: a half-typed colour must not blank the preview)."""
    spec = get_widget(widget_type)
    if spec is None:
        return dict(config)
    repaired, _problems = spec.repair(config)
    return repaired


def preview_frame(session: PreviewSession, event: Event) -> tuple[bytes | None, str]:
    """The frame that shows ``event`` on a preview page of the session's widget type, or
    (None, why not)."""
    spec = get_widget(session.widget_type)
    if spec is None:
        return None, ""
    if TOPIC_ALERTS in spec.topics and event.alertable:
        type_config = session.config.get("types", {}).get(event.kind, {})
        resolved = alert_box.resolve(session.config, event, random.Random())
        if resolved is None:
            return None, "off" if not type_config.get("enabled", True) else "minimum"
        alert_id = f"preview-{uuid.uuid4().hex}"
        data = {
            "alert_id": alert_id,
            "event": event.to_json(),
            "settings": resolved.settings,
            "variation": resolved.variation,
        }
        return envelope("alert", data, alert_id), ""
    if TOPIC_CHAT in spec.topics and event.kind in CHAT_TOPIC_KINDS:
        return envelope("event", {"topic": TOPIC_CHAT, "event": event.to_json()}, event.id), ""
    return None, ""
