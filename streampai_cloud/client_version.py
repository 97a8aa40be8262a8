"""Refuse app versions the service no longer speaks to, before they touch any data.

The refusal is a 426 the app shows as "update Streampai Desktop"; it keeps its outbox, so
nothing edited offline is lost by the refusal.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from streampai_cloud.errors import error_response
from streampai_cloud.keys import CONFIG

HEADER = "Streampai-Client-Version"
# ASCII digits only (`\d` would also match other scripts' digits).
_VERSION = re.compile(r"^(\d{1,6})\.(\d{1,6})(?:\.(\d{1,6}))?", re.ASCII)


def parse_version(text: str) -> tuple[int, int, int] | None:
    match = _VERSION.match(text.strip())
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3] or 0)


@web.middleware
async def client_version_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Requests without the header (browsers, donation pages) pass; the desktop always sends it."""
    sent = request.headers.get(HEADER)
    # Unknown routes and methods answer 404/405 first: that is about the URL, not the app.
    version = parse_version(sent) if sent is not None else None
    # A value without a leading X.Y[.Z] is ignored like a missing header: it cannot be an old app.
    if version is not None and request.match_info.http_exception is None:
        minimum = request.app[CONFIG].min_client_version
        if version < (parse_version(minimum) or (0, 0, 0)):
            return error_response(
                426,
                "client_too_old",
                # The parsed version, not the header: a client's text is not echoed back.
                f"Streampai Desktop {'.'.join(map(str, version))} is too old for the account "
                f"service; update to {minimum} or newer. Your unsynced changes are kept and "
                "sync after the update.",
                minimum_version=minimum,
            )
    return await handler(request)
