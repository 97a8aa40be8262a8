"""Facebook sign-in through the Streampai account service; the Page's token lives only in the
keyring.

Facebook's code exchange needs the app secret, which a desktop app cannot keep, so the account
service does it (``streampai_cloud``'s Facebook endpoints). Signing in goes as
``service_signin`` describes, the consent page being Facebook's Login dialog; the service swaps
the user token for a long-lived one and hands it over (once). With it the desktop checks what
the streamer allowed (``/me/permissions``), lists their Pages (``/me/accounts``, each with its
own Page token) and asks which one streams (one: no question); that Page's token goes to the
keyring. The user token is not kept.

A Page token from a long-lived user token does not expire; when Facebook refuses it anyway
(error 190: the password changed, the app was removed) or a permission is taken back (10, 200),
the connector says "needs sign-in" with the permission named. There is no refresh.

All of it needs a Streampai account: without one, :class:`AccountRequired` says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from streampai_desktop.platforms.base import AuthFailed, NotReady
from streampai_desktop.platforms.facebook.client import (
    COMMENT_PERMISSION,
    LIST_PERMISSION,
    READ_PERMISSION,
    GraphEndpoints,
    graph_error,
)
from streampai_desktop.platforms.flows import Ask, Choice, ChoiceStep, SignedInAccount
from streampai_desktop.platforms.service_signin import (
    HTTP_TIMEOUT_S,
    POLL_INTERVAL_S,
    AccountRequired,
    PlatformNotConfigured,
    PlatformService,
    ServiceSignIn,
    account_needed,
)
from streampai_desktop.secrets import SecretStore

__all__ = [
    "ACCOUNT_NEEDED",
    "HTTP_TIMEOUT_S",
    "OPTIONAL",
    "REQUIRED",
    "AccountRequired",
    "FacebookAuthenticator",
    "FacebookNotConfigured",
    "FacebookService",
    "PageToken",
    "PageTokenStore",
    "create_authenticator",
    "token_key",
]

# Without these the app cannot list the Pages or read a live video's comments at all.
REQUIRED = (LIST_PERMISSION, READ_PERMISSION)
# Without this the Page's comments are read but the app cannot comment as the Page.
OPTIONAL = {COMMENT_PERMISSION: "commenting as the Page"}

ACCOUNT_NEEDED = account_needed("Facebook")
FacebookNotConfigured = PlatformNotConfigured  # the service has no Facebook app (id and secret)


class FacebookService(PlatformService):
    """The account service's Facebook endpoints, called as this computer's Streampai sign-in."""

    platform = "facebook"
    label = "Facebook"
    cannot_connect = "cannot connect Facebook"


# --- the Page's token ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PageToken:
    """A Page's token and what the sign-in that gave it did not allow (by permission name)."""

    token: str
    user_id: str = ""
    declined: tuple[str, ...] = ()


def token_key(page_id: str) -> str:
    """The keyring entry holding one Page's token."""
    return f"facebook:{page_id}:page_token"


class PageTokenStore:
    """One Page's token in the secret store (JSON)."""

    def __init__(self, secrets: SecretStore, page_id: str) -> None:
        self._secrets = secrets
        self.key = token_key(page_id)

    async def load(self) -> PageToken | None:
        raw = await self._secrets.get(self.key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return PageToken(
                str(data["token"]),
                str(data.get("user_id") or ""),
                tuple(str(p) for p in data.get("declined") or ()),
            )
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry: the same as signed out

    async def save(self, page: PageToken) -> None:
        value = {"token": page.token, "user_id": page.user_id, "declined": list(page.declined)}
        await self._secrets.set(self.key, json.dumps(value))

    async def delete(self) -> None:
        await self._secrets.delete(self.key)


# --- signing in ------------------------------------------------------------------------------


async def _graph_get(
    http: httpx.AsyncClient,
    endpoints: GraphEndpoints,
    token: str,
    path: str,
    params: dict[str, str],
) -> dict[str, Any]:
    try:
        response = await http.get(
            f"{endpoints.api_url}/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )
    except httpx.HTTPError as exc:
        raise NotReady(f"Facebook is not reachable ({type(exc).__name__})") from exc
    if response.status_code >= 400:
        error = graph_error(response, needs=LIST_PERMISSION, rate_limit_wait_s=60.0)
        if isinstance(error, AuthFailed | NotReady):
            raise error
        raise AuthFailed(f"Facebook did not list your Pages: {error}.")
    try:
        body = response.json()
    except ValueError:
        raise NotReady("Facebook sent an answer that is not JSON") from None
    return body if isinstance(body, dict) else {}


class FacebookAuthenticator(ServiceSignIn):
    """A Facebook sign-in through the account service, for ``flows.run_via_service``, then the
    Page choice (:meth:`choose`)."""

    service_type = FacebookService

    def __init__(
        self,
        secrets: SecretStore,
        endpoints: GraphEndpoints,
        *,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        super().__init__(secrets, poll_interval_s=poll_interval_s)
        self._endpoints = endpoints
        self._user_token: str | None = None

    async def _connected(self, body: dict[str, Any]) -> SignedInAccount:
        """Who signed in: a person, not yet the Page (:meth:`choose` comes next)."""
        token = body.get("access_token")
        who = body.get("user") or {}
        if not isinstance(token, str) or not token:
            raise NotReady("the account service handed over no Facebook token")
        self._user_token = token
        user_id = str(who.get("id") or "") if isinstance(who, dict) else ""
        name = str(who.get("name") or user_id) if isinstance(who, dict) else ""
        return SignedInAccount(user_id, name, name)

    async def choose(self, signed_in: SignedInAccount, ask: Ask) -> SignedInAccount:
        """Check the permissions, list the Pages, ask which one; save its token."""
        assert self._user_token is not None, "wait() first"
        token = self._user_token
        granted = await self._permissions(token)
        missing = [p for p in REQUIRED if granted.get(p) != "granted"]
        if missing:
            raise AuthFailed(
                "The Facebook sign-in did not allow "
                f"{', '.join(missing)}, which Streampai Desktop needs to find your Page's live "
                "videos and read their comments. Connect again and leave "
                f"{'it' if len(missing) == 1 else 'them'} ticked."
            )
        pages = await self._pages(token)
        if not pages:
            raise AuthFailed(
                "Your Facebook account manages no Page. Facebook Live comments reach apps only "
                "from a Page: create one (or get a role on one), then connect again."
            )
        choices = tuple(
            Choice(str(p["id"]), str(p.get("name") or p["id"]), str(p.get("category") or ""))
            for p in pages
        )
        step = ChoiceStep(
            f"{signed_in.display_name or 'Your account'} manages several Facebook Pages: "
            "which one do you stream from?",
            "page",
            choices,
        )
        chosen = await ask(step)
        page = next(p for p in pages if str(p["id"]) == chosen.id)
        declined = tuple(p for p in OPTIONAL if granted.get(p) != "granted")
        await PageTokenStore(self._secrets, chosen.id).save(
            PageToken(str(page["access_token"]), signed_in.platform_user_id, declined)
        )
        return SignedInAccount(chosen.id, chosen.label, chosen.label)

    async def _permissions(self, token: str) -> dict[str, str]:
        body = await _graph_get(self._http, self._endpoints, token, "me/permissions", {})
        return {
            str(p.get("permission")): str(p.get("status"))
            for p in body.get("data") or ()
            if isinstance(p, dict)
        }

    async def _pages(self, token: str) -> list[dict[str, Any]]:
        """Every Page of the user that came with its own token (``/me/accounts``, all pages)."""
        pages: list[dict[str, Any]] = []
        params: dict[str, str] = {"fields": "id,name,category,access_token", "limit": "100"}
        for _ in range(20):  # 2,000 Pages: more is not a streamer's account
            body = await _graph_get(self._http, self._endpoints, token, "me/accounts", params)
            data = body.get("data") or []
            pages.extend(p for p in data if isinstance(p, dict) and p.get("access_token"))
            paging = body.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not data or not paging.get("next") or not after:
                break
            params = {**params, "after": str(after)}
        return pages

    async def close(self) -> None:
        self._user_token = None
        await super().close()


def create_authenticator(*, settings: Any, secrets: SecretStore) -> FacebookAuthenticator:
    """The spec's sign-in factory."""
    endpoints = GraphEndpoints.from_settings(settings) if settings else GraphEndpoints()
    return FacebookAuthenticator(secrets, endpoints)
