"""HTTP transport to the Streampai account service, and the signed-in session.

The service names rows with UUIDs; the app names widgets and preferences with readable ids
(``alert_box``, ``theme``) so that OBS URLs stay stable. Each local id maps to a UUID5, the same
on every computer, so the default Alert Box of two computers is one row in the account. Upserts
carry the local id in a field (``local_id``, or ``key`` for preferences); a tombstone carries no
fields, so it is matched against the UUIDs of the rows this computer has.

The refresh token lives in the secret store (keyring); the short-lived access token only in
memory. A 401 refreshes once; a refused refresh means "sign in again".
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # httpx is imported on the first request: not needed to start the app
    import httpx

from streampai_desktop import __version__
from streampai_desktop.cloud.engine import (
    Change,
    ClientTooOld,
    OutcomeUnknown,
    PullPage,
    PushResult,
    Refused,
    RetryLater,
    SignInRequired,
    SyncError,
)
from streampai_desktop.secrets import SecretStore
from streampai_desktop.store.operations import ACCOUNT_ENTITY, PREFERENCE_ENTITY, WIDGET_ENTITY

REFRESH_TOKEN = "cloud_refresh_token"
ROW_NAMESPACE = uuid.UUID("6f1c2a0e-3b7d-4f59-9a57-5e7a1f0c2b11")
ID_FIELD = {WIDGET_ENTITY: "local_id", PREFERENCE_ENTITY: "key", ACCOUNT_ENTITY: "local_id"}


def row_uuid(entity: str, local_id: str) -> str:
    """The service's id for a local row: the same on every computer."""
    return str(uuid.uuid5(ROW_NAMESPACE, f"{entity}:{local_id}"))


def device_name() -> str:
    """How this computer appears in the account's list of signed-in computers."""
    import platform

    return f"Streampai Desktop on {platform.node() or 'this computer'}"[:100]


class AccountSession:
    """Sign-in state against one service URL; every request goes through :meth:`request`."""

    def __init__(self, base_url: str, secrets: SecretStore, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.secrets = secrets
        self._timeout = timeout
        self._http: httpx.AsyncClient | None = None
        self._access: str | None = None
        self.device_id: str | None = None  # the service's id for this sign-in

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def signed_in(self) -> bool:
        return bool(await self.secrets.get(REFRESH_TOKEN))

    async def register(self, email: str, password: str, handle: str | None = None) -> dict:
        body = {"email": email, "password": password, "device_name": device_name()}
        if handle:
            body["handle"] = handle
        return await self._start(await self._send("POST", "/v1/auth/register", json=body))

    async def sign_in(self, email: str, password: str) -> dict:
        body = {"email": email, "password": password, "device_name": device_name()}
        return await self._start(await self._send("POST", "/v1/auth/signin", json=body))

    async def sign_out(self) -> None:
        refresh = await self.secrets.get(REFRESH_TOKEN)
        if refresh:
            with contextlib.suppress(SyncError):  # offline: the local sign-out still happens
                await self.request("POST", "/v1/auth/signout", json={"refresh_token": refresh})
        await self.secrets.delete(REFRESH_TOKEN)
        self._access = None

    async def _start(self, response: httpx.Response) -> dict:
        body = _json(response)
        await self.secrets.set(REFRESH_TOKEN, body["refresh_token"])
        self._access = body["access_token"]
        self.device_id = body.get("device_id")
        return dict(body.get("account") or {})

    async def _refresh(self) -> None:
        refresh = await self.secrets.get(REFRESH_TOKEN)
        if not refresh:
            raise SignInRequired("not signed in")
        response = await self._send("POST", "/v1/auth/refresh", json={"refresh_token": refresh})
        if response.status_code in (400, 401):
            await self.secrets.delete(REFRESH_TOKEN)
            raise SignInRequired(_message(response))
        body = _json(response)
        await self.secrets.set(REFRESH_TOKEN, body["refresh_token"])  # rotated: the old one dies
        self._access = body["access_token"]

    async def access_token(self, *, renew: bool = False) -> str:
        """A current access token (for the live channel, which authenticates in its URL)."""
        if self._access is None or renew:
            await self._refresh()
        assert self._access is not None
        return self._access

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """An authorised request; the JSON answer, or a :class:`SyncError` subclass."""
        return _json(await self._authorised(lambda: self._send(method, path, auth=True, **kwargs)))

    async def exists(self, path: str) -> bool:
        """An authorised HEAD: True on 200, False on 404 (other answers raise as usual)."""
        response = await self._authorised(lambda: self._send("HEAD", path, auth=True))
        if response.status_code == 404:
            return False
        if response.status_code >= 300:
            _json(response)  # any other refusal raises
        return True

    async def put_file(self, path: str, file: Path, content_type: str) -> Any:
        """An authorised PUT of a file's bytes, read from disk in chunks as they are sent (a
        100 MB video is never in memory whole); the JSON answer. A 401 re-reads the file."""
        size = (await asyncio.to_thread(file.stat)).st_size
        headers = {"Content-Type": content_type, "Content-Length": str(size)}
        return _json(
            await self._authorised(
                lambda: self._send(
                    "PUT", path, auth=True, content=_file_chunks(file), headers=headers
                )
            )
        )

    @contextlib.asynccontextmanager
    async def download(self, path: str) -> AsyncIterator[AsyncIterator[bytes]]:
        """An authorised GET whose body is read in chunks as it arrives: ``async with
        session.download(path) as chunks: async for chunk in chunks: …``. A refusal (404, …)
        raises before the block runs, as :meth:`request` does."""
        response = await self._authorised(lambda: self._send("GET", path, auth=True, stream=True))
        try:
            if response.status_code >= 300:
                await response.aread()  # a short error body: ``_json`` reads its message
                _json(response)
                raise SyncError(f"unexpected answer {response.status_code} for {path}")

            async def chunks() -> AsyncGenerator[bytes, None]:
                with self._http_errors():
                    async for chunk in response.aiter_bytes(_CHUNK):
                        yield chunk

            body = chunks()
            try:
                yield body
            finally:
                await body.aclose()  # the reader may stop early (a file too large)
        finally:
            await response.aclose()

    async def _authorised(self, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        """``send()`` with the access token; one refresh and resend on a 401."""
        if self._access is None:
            await self._refresh()
        response = await send()
        if response.status_code == 401:
            await response.aclose()
            await self._refresh()
            response = await send()
            if response.status_code == 401:
                await response.aread()
                raise SignInRequired(_message(response))
        return response

    async def _send(
        self, method: str, path: str, *, auth: bool = False, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request. With ``stream`` the body is not read yet (the caller reads it, then
        closes the response), except an error's, which :func:`_message` needs."""
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self._timeout,
                headers={"Streampai-Client-Version": __version__},
            )
        headers = dict(kwargs.pop("headers", {}) or {})
        if auth and self._access:
            headers["Authorization"] = f"Bearer {self._access}"
        with self._http_errors():
            request = self._http.build_request(method, path, headers=headers, **kwargs)
            response = await self._http.send(request, stream=stream)
            if stream and response.status_code in (426, 429, 502, 503, 504):
                await response.aread()
        if response.status_code in (429, 502, 503, 504):
            raise RetryLater(_retry_after(response), _message(response))
        if response.status_code == 426:
            raise ClientTooOld(_message(response))
        return response

    @contextlib.contextmanager
    def _http_errors(self) -> Iterator[None]:
        """httpx's network errors as the engine's: a timeout may or may not have been applied,
        anything else on the way means "try again later"."""
        import httpx

        try:
            yield
        except httpx.TimeoutException as exc:
            raise OutcomeUnknown(f"no answer from {self.base_url}") from exc
        except httpx.TransportError as exc:
            raise RetryLater(None, f"cannot reach {self.base_url} ({type(exc).__name__})") from exc


_CHUNK = 1 << 20  # media move in 1 MiB pieces: a 100 MB file never sits in memory whole


async def _file_chunks(file: Path) -> AsyncIterator[bytes]:
    """A file's bytes in chunks, each read off the event loop."""
    handle = await asyncio.to_thread(file.open, "rb")
    try:
        while chunk := await asyncio.to_thread(handle.read, _CHUNK):
            yield chunk
    finally:
        handle.close()


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("Retry-After", "")))
    except ValueError:
        return None


def _message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        return str(error.get("message") or error) if isinstance(error, dict) else str(error)
    except ValueError:
        return f"HTTP {response.status_code}"


def _json(response: httpx.Response) -> Any:
    if 400 <= response.status_code < 500:
        raise Refused(f"{_message(response)} (HTTP {response.status_code})", response.status_code)
    if response.status_code >= 400:
        raise SyncError(f"{_message(response)} (HTTP {response.status_code})")
    if response.status_code == 204:
        return None
    try:
        return response.json()
    except ValueError:
        raise SyncError(
            f"the service sent something that is not JSON ({response.status_code})"
        ) from None


def push_body(mutations: list[dict[str, Any]]) -> bytes:
    """The push request's JSON. A value JSON cannot carry (NaN, Infinity, text that is not
    Unicode) is refused here as the service would refuse it (400), never sent as something
    that is not JSON; the engine then finds the mutation that holds it and sets it aside."""
    try:
        text = json.dumps(
            {"mutations": mutations}, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
        return text.encode("utf-8")
    except ValueError as exc:  # UnicodeEncodeError is one too
        raise Refused(
            f"it holds a value JSON cannot carry (NaN, Infinity or broken text): {exc}", 400
        ) from None


LocalIds = Callable[[], Awaitable[dict[str, tuple[str, str]]]]


@dataclass
class HttpTransport:
    """The engine's :class:`~streampai_desktop.cloud.engine.SyncTransport` over HTTP."""

    session: AccountSession
    local_ids: LocalIds  # server row UUID → (entity, local id) for the rows this computer has

    async def push(self, device_id: str, mutations: list[dict[str, Any]]) -> list[PushResult]:
        wire = []
        for m in mutations:
            deleting = m["patch"] is None
            patch = None if deleting else {**m["patch"], ID_FIELD[m["entity"]]: m["row_id"]}
            wire.append(
                {
                    "device_id": str(uuid.UUID(device_id)),
                    "seq": m["seq"],
                    "entity": m["entity"],
                    "row_id": row_uuid(m["entity"], m["row_id"]),
                    "op": "delete" if deleting else "upsert",
                    "patch": patch,
                    "base_version": m["base_version"],
                    "stamp": m.get("stamp"),
                }
            )
        body = await self.session.request(
            "POST",
            "/v1/sync/push",
            content=push_body(wire),
            headers={"Content-Type": "application/json"},
        )
        return [
            PushResult(int(r["seq"]), str(r["status"]), r.get("version"), r.get("reason") or "")
            for r in body.get("results", [])
        ]

    async def pull(self, since: int, limit: int) -> PullPage:
        body = await self.session.request(
            "GET", "/v1/sync/pull", params={"since": since, "limit": limit, "per_setting": 1}
        )
        known: dict[str, tuple[str, str]] | None = None
        changes = []
        for row in body.get("changes", []):
            entity, fields = row["entity"], row.get("fields") or {}
            local = fields.get(ID_FIELD.get(entity, ""))
            if not isinstance(local, str):
                if known is None:
                    known = await self.local_ids()
                local = known.get(row["row_id"], (entity, None))[1]
            if local is None:
                continue  # a tombstone of a row this computer never had
            fields = {k: v for k, v in fields.items() if k != ID_FIELD.get(entity)}
            stamps = row.get("field_stamps")
            changes.append(
                Change(
                    entity,
                    local,
                    int(row["version"]),
                    None if row.get("deleted") else fields,
                    stamps if isinstance(stamps, dict) else None,
                )
            )
        return PullPage(changes, int(body["next"]), bool(body.get("has_more")))


def local_row_ids(db: Any) -> dict[str, tuple[str, str]]:
    """Server row UUID → (entity, local id) for every synced row this computer has. Blocking."""
    from streampai_desktop.store.sync_state import synced_rows

    return {row_uuid(entity, local): (entity, local) for entity, local in synced_rows(db)}
