"""The local API's control routes: what the window does, for the terminal and other tools on this
computer — platform states, platform sign-in (start, poll, cancel), disconnect, chat, and the
Streampai account (status, sign in, sign out). Same token and rules as the rest of ``/api/v1``
(documented in the README).

Every failure answers ``{"error": sentence, "title": …, "exit_code": n}``: the sentence is the one
the window shows, and ``exit_code`` is what ``streampai-desktop`` exits with for it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from aiohttp import web

from streampai_desktop.core.errors import (
    EXIT_CHOICE_REQUIRED,
    EXIT_SIGN_IN_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    UserMessage,
    describe,
)
from streampai_desktop.platforms.base import (
    AlreadyConnected,
    AuthFailed,
    ChatNotSent,
    NotConnected,
    NotReady,
)
from streampai_desktop.platforms.flows import FlowNotAvailable
from streampai_desktop.platforms.registry import UnsupportedPlatform
from streampai_desktop.server.api import json_body, require_api_token
from streampai_desktop.server.context import CONTEXT

if TYPE_CHECKING:
    from streampai_desktop.cloud.service import AccountService
    from streampai_desktop.stream.connections import PlatformService

# HTTP status per kind of failure (the exit code travels in the body).
_STATUS: list[tuple[type[BaseException], int]] = [
    (UnsupportedPlatform, 404),
    (FlowNotAvailable, 422),
    (ChatNotSent, 422),
    (AlreadyConnected, 409),
    (NotConnected, 409),
    (AuthFailed, 401),
]
_ACCOUNT_STATUS = {EXIT_CHOICE_REQUIRED: 409, EXIT_SIGN_IN_REFUSED: 401, EXIT_UNREACHABLE: 502}
KEEP_CHOICES = ("this_computer", "account")


def failure(message: UserMessage, status: int) -> web.Response:
    body = {"error": message.text, "title": message.title, "exit_code": message.exit_code}
    return web.json_response(body, status=status)


def _platform_failure(exc: Exception) -> web.Response:
    if isinstance(exc, NotReady):  # the platform cannot be reached or is busy: say so, not a 500
        return failure(UserMessage("Try again in a moment", str(exc), EXIT_UNREACHABLE), 503)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    return failure(describe(exc), status)


def _platforms(request: web.Request) -> PlatformService:
    service = request.app[CONTEXT].platforms
    if service is None:
        raise web.HTTPServiceUnavailable(text='{"error": "platforms are not running"}')
    return service


def _account(request: web.Request) -> AccountService:
    service = request.app[CONTEXT].account
    if service is None:
        raise web.HTTPServiceUnavailable(text='{"error": "the account service is not running"}')
    return service


def _usage(text: str) -> web.Response:
    return failure(UserMessage("Not understood", text, EXIT_USAGE), 422)


# --- platforms ---------------------------------------------------------------------------------


@require_api_token
async def get_platforms(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/platforms — every platform, its accounts and their live states."""
    return web.json_response({"platforms": await _platforms(request).report()})


@require_api_token
async def post_connect(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/platforms/{platform}/connect — start the platform's sign-in here; answers
    with its first step (the device code to enter, or the URL to open) once it is known.
    ``{"again": true}`` signs in again over a connected account; ``{"choice": "NAME|ID"}`` names
    the channel when the sign-in may reach several (a Facebook Page)."""
    body = await json_body(request) if request.can_read_body else {}
    again = bool(body.get("again")) if isinstance(body, dict) else False
    choice = body.get("choice") if isinstance(body, dict) else None
    if choice is not None and not isinstance(choice, str):
        return _usage('"choice" is the name or id of the channel to connect, as a string.')
    try:
        attempt = await _platforms(request).begin_sign_in(
            request.match_info["platform"], again=again, choice=choice
        )
    except Exception as exc:
        return _platform_failure(exc)
    return web.json_response(attempt.to_json(), status=202)


@require_api_token
async def get_sign_in(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/sign-ins/{id} — a sign-in's state: starting, waiting (with its step), done
    (with the account), failed (with the error) or cancelled."""
    attempt = _platforms(request).sign_ins.get(request.match_info["attempt"])
    if attempt is None:
        return _usage("There is no such sign-in (it ended long ago, or the app restarted).")
    return web.json_response(attempt.to_json())


@require_api_token
async def delete_sign_in(request: web.Request) -> web.StreamResponse:
    """DELETE /api/v1/sign-ins/{id} — cancel a sign-in that is still waiting."""
    attempt = _platforms(request).sign_ins.get(request.match_info["attempt"])
    if attempt is None:
        return _usage("There is no such sign-in.")
    attempt.cancel()
    if attempt.task is not None:
        await asyncio.wait({attempt.task}, timeout=5)
    return web.json_response(attempt.to_json())


@require_api_token
async def post_disconnect(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/platforms/{platform}/disconnect — sign out and delete its tokens."""
    try:
        gone = await _platforms(request).disconnect_platform(request.match_info["platform"])
    except Exception as exc:
        return _platform_failure(exc)
    return web.json_response({"disconnected": [a.login for a in gone]})


@require_api_token
async def post_chat(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/chat {"platform", "text"} — send chat as the connected account, within the
    platform's limit."""
    body = await json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return _usage('Send {"platform": "twitch", "text": "…"}.')
    try:
        account = await _platforms(request).send_chat_to(str(body.get("platform")), body["text"])
    except Exception as exc:
        return _platform_failure(exc)
    return web.json_response({"platform": account.platform, "account": account.login})


# --- the Streampai account -----------------------------------------------------------------------


@require_api_token
async def get_account(request: web.Request) -> web.StreamResponse:
    """GET /api/v1/account — signed in as whom, the account's computers, and the sync state."""
    return web.json_response(await _account(request).report())


@require_api_token
async def post_account_signin(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/account/signin {"email", "password", "keep"?, "register"?, "handle"?}."""
    from streampai_desktop.cloud.messages import account_failure

    body = await json_body(request)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) and body[k] for k in ("email", "password")
    ):
        return _usage('Send {"email": "…", "password": "…"}.')
    keep = body.get("keep")
    if keep is not None and keep not in KEEP_CHOICES:
        return _usage(f"keep is one of {', '.join(KEEP_CHOICES)}.")
    account = _account(request)
    try:
        await account.sign_in(
            body["email"],
            body["password"],
            register=bool(body.get("register")),
            handle=body.get("handle") or None,
            keep=keep,
        )
    except Exception as exc:
        message = account_failure(exc, account.session.base_url)
        return failure(message, _ACCOUNT_STATUS.get(message.exit_code, 500))
    return web.json_response(await account.report())


@require_api_token
async def post_account_signout(request: web.Request) -> web.StreamResponse:
    """POST /api/v1/account/signout — this computer stops syncing; its settings stay."""
    account = _account(request)
    await account.sign_out()
    return web.json_response(await account.report(details=False))


def add_routes(router: web.UrlDispatcher) -> None:
    router.add_get("/api/v1/platforms", get_platforms)
    router.add_post("/api/v1/platforms/{platform}/connect", post_connect)
    router.add_post("/api/v1/platforms/{platform}/disconnect", post_disconnect)
    router.add_get("/api/v1/sign-ins/{attempt}", get_sign_in)
    router.add_delete("/api/v1/sign-ins/{attempt}", delete_sign_in)
    router.add_post("/api/v1/chat", post_chat)
    router.add_get("/api/v1/account", get_account)
    router.add_post("/api/v1/account/signin", post_account_signin)
    router.add_post("/api/v1/account/signout", post_account_signout)
