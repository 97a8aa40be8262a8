"""Connecting Facebook through the service: the Login dialog's code exchanged with the app secret
and swapped for a long-lived user token, handed once to the desktop that asked.

1. `POST /v1/platforms/facebook/authorize` (a signed-in device) → `{state, authorization_url,
   expires_in}`: Facebook's Login dialog with the app id, the service's callback, the state and
   the Page permissions (`facebook_scopes`).
2. Facebook sends the browser to `GET /v1/platforms/facebook/callback?code&state` (or
   `?error=access_denied&error_reason=user_denied...` when the streamer cancels); the service
   exchanges the code (`GET {graph}/oauth/access_token` with the secret), swaps the short-lived
   token for a long-lived one (`grant_type=fb_exchange_token`) and reads whose it is (`/me`).
3. The devices hear `{"type": "facebook_authorized", "state"}` on /v1/live; the one that asked
   takes `{access_token, expires_in, user: {id, name}}` once with
   `GET /v1/platforms/facebook/authorize/{state}`.

The desktop lists the streamer's Pages with that token and keeps the chosen Page's token, which
does not expire (Page tokens from a long-lived user token do not). So there is no refresh here:
a token Facebook stops accepting (Graph error 190) means connecting again. The steps are the ones
Kick's sign-in has (platform_signin.py); the service keeps no Facebook token and calls Facebook
for nothing but the sign-in.
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from streampai_cloud import platform_signin
from streampai_cloud.auth import require_auth
from streampai_cloud.errors import ApiError
from streampai_cloud.keys import CONFIG, FACEBOOK
from streampai_cloud.platform_signin import Callback, Connected, SignInPlatform

routes = web.RouteTableDef()

SIGN_IN = SignInPlatform("facebook", "Facebook")


def _require_configured(request: web.Request) -> None:
    if not request.app[CONFIG].facebook_configured:
        raise ApiError(
            503,
            "facebook_not_configured",
            "This Streampai service has no Facebook app configured, so Facebook cannot be "
            "connected through it.",
        )


@routes.post("/v1/platforms/facebook/authorize")
async def authorize(request: web.Request) -> web.Response:
    _require_configured(request)
    cfg = request.app[CONFIG]
    me = await require_auth(request)
    state = await platform_signin.start(request, SIGN_IN, me)
    query = urlencode(
        {
            "client_id": cfg.facebook_app_id,
            "redirect_uri": cfg.facebook_callback_url,
            "state": state,
            "response_type": "code",
            "scope": cfg.facebook_scopes,
        }
    )
    return platform_signin.started(state, f"{cfg.facebook_dialog_url}?{query}")


@routes.get("/v1/platforms/facebook/callback")
async def callback(request: web.Request) -> web.Response:
    facebook = request.app[FACEBOOK]

    async def exchange(claimed: Callback) -> Connected:
        signed_in = await facebook.sign_in(claimed.code)
        return Connected(
            handover=signed_in.as_json(),
            page_text=f"Streampai can now use Facebook as {signed_in.name}. Pick the Page to "
            "stream with in Streampai.",
        )

    configured = request.app[CONFIG].facebook_configured
    return await platform_signin.callback(request, SIGN_IN, configured, exchange)


@routes.get("/v1/platforms/facebook/authorize/{state}")
async def handover(request: web.Request) -> web.Response:
    _require_configured(request)
    me = await require_auth(request)
    return await platform_signin.hand_over(request, SIGN_IN, me)
