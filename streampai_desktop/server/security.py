"""Local-server hygiene (after Anki's mediasrv): Host and Origin checks, tokens, security headers.

- Host must be ``127.0.0.1:{port}``, ``localhost:{port}`` or ``[::1]:{port}``: a web page on some
  other site that points its own DNS name at 127.0.0.1 (DNS rebinding) gets 403.
- A request that carries an Origin must come from one of those same origins; this refuses
  WebSocket upgrades and POSTs from other sites (browsers always send Origin on both).
- Tokens are compared in constant time; a missing or wrong token gets a bare 401.
- Every response gets nosniff, no-referrer and, on pages, a strict CSP.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from streampai_desktop.server.context import CONTEXT

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def allowed_hosts(port: int) -> frozenset[str]:
    return frozenset({f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"})


def allowed_origins(port: int) -> frozenset[str]:
    return frozenset(f"http://{host}" for host in allowed_hosts(port))


def content_security_policy(port: int) -> str:
    # CSP host sources cannot name an IPv6 literal; 'self' covers a page loaded from [::1].
    ws_sources = f"ws://127.0.0.1:{port} ws://localhost:{port}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; media-src 'self'; font-src 'self'; "
        f"connect-src 'self' {ws_sources}; object-src 'none'; base-uri 'none'; form-action 'none'"
    )


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison; an empty expected token never matches."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def unauthorized(*, json_body: bool) -> web.Response:
    """401 that says nothing about which part was wrong."""
    if json_body:
        return web.json_response(
            {"error": "unauthorized"}, status=401, headers={"WWW-Authenticate": "Bearer"}
        )
    return web.Response(
        status=401,
        text="This overlay link is not valid any more. Copy it again from Streampai Desktop.",
    )


@web.middleware
async def host_and_origin_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    port = request.app[CONTEXT].port
    host = request.headers.get("Host", "")
    if host not in allowed_hosts(port):
        log.warning(
            "refused a request for Host %r (only this computer's addresses are served)", host[:100]
        )
        return web.Response(status=403, text="Forbidden host")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in allowed_origins(port):
        log.warning("refused a %s %s from origin %r", request.method, request.path, origin[:100])
        return web.Response(status=403, text="Forbidden origin")
    return await handler(request)


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _add_headers(request, exc)
        raise
    _add_headers(request, response)
    return response


def _add_headers(request: web.Request, response: web.StreamResponse) -> None:
    if response.prepared:  # a WebSocket response has already sent its headers
        return
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if response.content_type == "text/html":
        port = request.app[CONTEXT].port
        response.headers.setdefault("Content-Security-Policy", content_security_policy(port))
        response.headers.setdefault("Cache-Control", "no-store")
