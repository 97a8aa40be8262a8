"""A real overlay server on 127.0.0.1 with a real bus and ingest path, for the server tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from streampai_desktop.core.alerts import AlertQueue, QueueSettings
from streampai_desktop.core.bus import EventBus
from streampai_desktop.secrets import new_token
from streampai_desktop.server import OverlayServer, ServerContext
from streampai_desktop.server.context import Tokens
from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.widgets.instances import WidgetInstance

PAGE_HTML = (
    '<!doctype html><html><body><div id="app"></div>'
    '<script type="module" src="/overlay/assets/page-abc123.js"></script></body></html>'
)


@dataclass
class RunningServer:
    server: OverlayServer
    bus: EventBus
    ingest: EventIngest
    tokens: Tokens
    port: int
    http: aiohttp.ClientSession

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def overlay_ws(self, token: str | None = None) -> str:
        return f"{self.base}/overlay/ws?token={token or self.tokens.overlay}"

    def api_headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.tokens.api}"}


@pytest.fixture
def overlay_dist(tmp_path: Path) -> Path:
    """A stand-in bundle: these tests are about serving rules, not the Vue pages themselves."""
    dist = tmp_path / "overlay_dist"
    (dist / "assets").mkdir(parents=True)
    for widget in ("alert_box", "chat_box"):
        (dist / f"{widget}.html").write_text(PAGE_HTML.replace("page", widget))
    (dist / "assets" / "alert_box-abc123.js").write_text("console.log('alert box')")
    (tmp_path / "secrets.json").write_text('{"overlay_token": "do-not-serve-me"}')
    return dist


@pytest.fixture
async def running(free_port: int, overlay_dist: Path) -> AsyncIterator[RunningServer]:
    bus = EventBus()
    ingest = EventIngest(bus)
    tokens = Tokens(overlay=new_token(), api=new_token())
    # The widget instances as the server reads them (a mapping, like the widget service).
    widgets = {
        w.id: w
        for w in (
            WidgetInstance("alert_box", "alert_box", "Alert Box", {"gap_ms": 1000}),
            WidgetInstance("chat_box", "chat_box", "Chat Box", {"max_messages": 50}),
            WidgetInstance("chat_box-2", "chat_box", "Chat Box 2", {"max_messages": 5}),
        )
    }
    # A real alert queue that never plans an alert: the server tests drive its controls only.
    alerts = AlertQueue(bus, lambda event, alert_id: None, QueueSettings, lambda: False)

    emotes = EmoteCache(overlay_dist.parent / "emotes", {})
    ctx = ServerContext(
        bus=bus,
        port=free_port,
        tokens=tokens,
        overlay_dist=overlay_dist,
        data_dir=overlay_dist.parent,
        emotes=emotes,
        ingest=ingest,
        widgets=widgets,  # type: ignore[arg-type]
        alerts=alerts,
        server_id="test-server",
    )
    server = OverlayServer(ctx)
    await server.start()
    async with aiohttp.ClientSession() as http:
        yield RunningServer(server, bus, ingest, tokens, free_port, http)
    await server.stop()
    await emotes.close()
