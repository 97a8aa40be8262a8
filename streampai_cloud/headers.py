"""Headers on every answer: no caching of (private) answers, no software versions on show."""

from __future__ import annotations

from aiohttp import web

# What the `Server` header says instead of aiohttp's default "Python/3.x aiohttp/3.x.y", which
# tells an attacker which published vulnerabilities to try.
SERVER_NAME = "streampai-cloud"


async def secure_headers(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare` hook: runs for every routed answer, errors and WebSocket upgrades
    included. Every answer is private to the caller (tokens, account data) or changes from one
    second to the next, so none may be stored by a browser or proxy cache (RFC 6749 §5.1 asks
    this of token answers; `Pragma` is for HTTP/1.0 caches)."""
    response.headers["Server"] = SERVER_NAME
    if "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Pragma"] = "no-cache"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")


def hide_server_version() -> None:
    """Name the service, not the software, also on the answers aiohttp writes before any route
    or hook runs (a request line or header it cannot parse). Process-wide, so only the `serve`
    command calls it: a test process may run other aiohttp servers that are none of ours."""
    from aiohttp import web_response

    web_response.SERVER_SOFTWARE = SERVER_NAME
