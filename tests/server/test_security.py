"""Every security rule of the overlay server, against a real server on 127.0.0.1."""

from __future__ import annotations

import aiohttp
import pytest

from streampai_desktop.server import OverlayServer, PortInUseError

from .conftest import RunningServer


async def test_healthz_is_open_and_says_nothing_private(running: RunningServer) -> None:
    async with running.http.get(f"{running.base}/healthz") as resp:
        assert resp.status == 200
        body = await resp.text()
    assert running.tokens.overlay not in body and running.tokens.api not in body


async def test_binds_loopback_only(running: RunningServer) -> None:
    runner = running.server._runner
    assert runner is not None
    assert [addr[0] for addr in runner.addresses] == ["127.0.0.1"]


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
async def test_local_host_names_are_served(running: RunningServer, host: str) -> None:
    headers = {"Host": f"{host}:{running.port}"}
    async with running.http.get(f"{running.base}/healthz", headers=headers) as resp:
        assert resp.status == 200


@pytest.mark.parametrize(
    "host", ["evil.example:{port}", "127.0.0.1:1", "127.0.0.1", "", "localhost.evil.example:{port}"]
)
@pytest.mark.allow_logs(r"refused a request for Host")
async def test_foreign_host_is_refused_dns_rebinding(running: RunningServer, host: str) -> None:
    headers = {"Host": host.format(port=running.port)}
    url = f"{running.base}/overlay/alert_box?token={running.tokens.overlay}"
    async with running.http.get(url, headers=headers) as resp:
        assert resp.status == 403
        assert "<html" not in await resp.text()


@pytest.mark.parametrize("token", [None, "", "wrong", "API"])
async def test_overlay_page_needs_the_overlay_token(running: RunningServer, token) -> None:
    if token == "API":
        token = running.tokens.api  # the API token is not an overlay token
    query = "" if token is None else f"?token={token}"
    async with running.http.get(f"{running.base}/overlay/alert_box{query}") as resp:
        assert resp.status == 401
        body = await resp.text()
    assert "Copy it again from Streampai Desktop" in body
    # The same answer for an unknown widget: a wrong token learns nothing about what exists.
    async with running.http.get(f"{running.base}/overlay/nonexistent{query}") as resp:
        assert resp.status == 401 and await resp.text() == body


async def test_overlay_page_with_token_has_csp_and_no_caching(running: RunningServer) -> None:
    url = f"{running.base}/overlay/alert_box?token={running.tokens.overlay}"
    async with running.http.get(url) as resp:
        assert resp.status == 200
        assert resp.content_type == "text/html"
        csp = resp.headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "object-src 'none'" in csp
        assert "unsafe-eval" not in csp and "script-src 'self' 'unsafe-inline'" not in csp
        assert resp.headers["X-Content-Type-Options"] == "nosniff"
        assert resp.headers["Cache-Control"] == "no-store"
        assert "alert_box-abc123.js" in await resp.text()
    async with running.http.get(
        f"{running.base}/overlay/nonexistent?token={running.tokens.overlay}"
    ) as resp:
        assert resp.status == 404


@pytest.mark.parametrize(
    "path",
    [
        "/overlay/assets/..%2F..%2Fsecrets.json",
        "/overlay/assets/%2E%2E%2Fsecrets.json",
        "/overlay/assets/.hidden",
        "/overlay/assets/../../secrets.json",
        "/overlay/..%2Fsecrets.json",
        "/secrets.json",
    ],
)
async def test_no_path_traversal(running: RunningServer, path: str) -> None:
    async with running.http.get(
        f"{running.base}{path}?token={running.tokens.overlay}", allow_redirects=False
    ) as resp:
        assert resp.status in (401, 404)
        assert "do-not-serve-me" not in await resp.text()


async def test_assets_are_served(running: RunningServer) -> None:
    async with running.http.get(f"{running.base}/overlay/assets/alert_box-abc123.js") as resp:
        assert resp.status == 200
        assert "immutable" in resp.headers["Cache-Control"]
        assert await resp.text() == "console.log('alert box')"


@pytest.mark.allow_logs(r"refused a GET /overlay/ws from origin")
async def test_websocket_refuses_foreign_origin_and_bad_token(running: RunningServer) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await running.http.ws_connect(
            running.overlay_ws(), headers={"Origin": "https://evil.example"}
        )
    assert info.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await running.http.ws_connect(running.overlay_ws("wrong"))
    assert info.value.status == 401
    ws = await running.http.ws_connect(
        running.overlay_ws(), headers={"Origin": f"http://127.0.0.1:{running.port}"}
    )
    await ws.close()


async def test_api_needs_the_api_token(running: RunningServer) -> None:
    url = f"{running.base}/api/v1/events"
    body = {"kind": "follow", "platform": "twitch"}
    for headers in (
        {},
        running.api_headers("wrong"),
        running.api_headers(running.tokens.overlay),
        {"Authorization": f"Basic {running.tokens.api}"},
    ):
        async with running.http.post(url, json=body, headers=headers) as resp:
            assert resp.status == 401
            assert await resp.json() == {"error": "unauthorized"}
    async with running.http.get(f"{running.base}/api/v1/status") as resp:
        assert resp.status == 401


async def test_every_api_route_needs_the_api_token(running: RunningServer) -> None:
    """Every route under /api/v1 (the terminal's control routes too), listed from the router
    itself so a new route cannot forget the token."""
    import re

    routes = [
        (route.method, re.sub(r"\{[^}]+\}", "x", route.resource.canonical))
        for route in running.server.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1")
        and route.method != "HEAD"
    ]
    assert len(routes) >= 15, routes
    for method, path in routes:
        async with running.http.request(
            method,
            f"{running.base}{path}",
            json={},
            headers=running.api_headers("wrong"),
        ) as resp:
            assert resp.status == 401, (method, path, resp.status)


@pytest.mark.allow_logs(r"refused a POST /api/v1/events from origin")
async def test_api_refuses_posts_from_web_pages(running: RunningServer) -> None:
    headers = {**running.api_headers(), "Origin": "https://evil.example"}
    async with running.http.post(
        f"{running.base}/api/v1/events",
        json={"kind": "follow", "platform": "twitch"},
        headers=headers,
    ) as resp:
        assert resp.status == 403
    # A plain HTML form can only send form encodings: refused before anything happens.
    async with running.http.post(
        f"{running.base}/api/v1/events",
        data="kind=follow",
        headers={**running.api_headers(), "Content-Type": "application/x-www-form-urlencoded"},
    ) as resp:
        assert resp.status == 415
    assert running.bus.published == 0, "no event reached the bus"


async def test_nothing_changes_state_on_get(running: RunningServer) -> None:
    before = running.bus.published
    for path in ("/api/v1/events", "/api/v1/events?kind=follow&platform=twitch"):
        async with running.http.get(f"{running.base}{path}", headers=running.api_headers()) as resp:
            assert resp.status == 405
    assert running.bus.published == before


async def test_port_in_use_is_reported_with_a_free_suggestion(running: RunningServer) -> None:
    clash = OverlayServer(running.server.ctx)
    with pytest.raises(PortInUseError) as info:
        await clash.start()
    assert info.value.port == running.port
    assert info.value.suggestion and info.value.suggestion != running.port
    assert "already in use" in str(info.value)
