"""One error shape for the whole API: `{"error": {"code", "message"}}` plus optional details."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


class ApiError(Exception):
    """Raised by handlers; the middleware turns it into a JSON error response."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details


class PlatformRefused(Exception):
    """A platform the service calls for the streamer (Kick, Facebook) refused the request: a bad
    or used code, a revoked grant. Trying again will not help; starting over may."""

    def __init__(self, status: int, detail: str, platform: str = "The platform") -> None:
        super().__init__(f"{platform} refused it (HTTP {status}): {detail}")
        self.status = status
        self.detail = detail


class PlatformUnavailable(Exception):
    """A platform could not be reached, failed, rate limited the app or answered something the
    service cannot read. Nothing is known to be wrong with the request: try again later."""


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **details: Any
) -> web.Response:
    """A JSON error response in the API's one shape."""
    body: dict[str, Any] = {"code": code, "message": message, **details}
    return web.json_response({"error": body}, status=status, headers=headers)


# aiohttp's own HTTP exceptions (unknown route, wrong method, body too large) get stable codes too.
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    400: "bad_request",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Convert ApiError, aiohttp HTTP errors and crashes into JSON errors; log only the crashes."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message, exc.headers, **exc.details)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "allow"}
        return error_response(exc.status, code, exc.reason, headers)
    except (UnicodeError, RecursionError) as exc:
        # Input the validators should have refused reached code that cannot take it (text that
        # is not valid Unicode, a structure too deep to walk). It is still the client's input:
        # answer 400, and warn so that the missing check gets added.
        log.warning(
            "undecodable input reached %s %s: %s", request.method, request.path, type(exc).__name__
        )
        if _already_answering(request):
            raise
        return error_response(
            400, "invalid_request", "The request holds text or structure the service cannot read."
        )
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _already_answering(request):
            raise
        return error_response(500, "internal", "Something went wrong on our side; try again.")


def _already_answering(request: web.Request) -> bool:
    """True once a response has started (a WebSocket after its handshake): a second response
    would be written into that stream, so the error must end the connection instead."""
    return request.writer.output_size > 0
