"""Import twitchio once, without its import-time DeprecationWarning.

twitchio 3.3's ``AiohttpAdapter`` subclasses ``aiohttp.web.Application``, which aiohttp warns
about when the class is defined. We never use that adapter (no OAuth redirect server, no
webhooks); silencing exactly that message keeps ``filterwarnings = error`` meaningful elsewhere.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore",
        message="Inheritance class AiohttpAdapter from web.Application is discouraged",
        category=DeprecationWarning,
    )
    import twitchio
    from twitchio.authentication import OAuth, Scopes
    from twitchio.exceptions import HTTPException, InvalidTokenException
    from twitchio.http import Route

__all__ = ["HTTPException", "InvalidTokenException", "OAuth", "Route", "Scopes", "twitchio"]

import logging

# twitchio logs a WARNING on every Client() suggesting its Starlette web adapter, which we never
# use; drop just that line so the streamer's log keeps its warnings meaningful.
logging.getLogger("twitchio.client").addFilter(
    lambda record: "StarletteAdapter" not in record.getMessage()
)
