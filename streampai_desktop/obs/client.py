"""A client for obs-websocket protocol v5 (built into OBS Studio since 28), on aiohttp.

Why our own ~400 lines and not simpleobsws: aiohttp is already the app's websocket library (one
less dependency and its ``websockets``/``msgpack`` in the bundle), and the app needs what a generic
wrapper blurs: *why* a connection failed (OBS not running, websocket switched off, wrong or
missing password, kicked, not obs-websocket at all), each as its own error with what to do in
OBS; ``closed`` for the supervisor; per-request timeouts that raise instead of hanging.

The protocol (``docs/generated/protocol.md`` in obsproject/obs-websocket): the server sends
``Hello`` (op 0) first, with an ``authentication`` challenge when a password is set; the client
answers ``Identify`` (op 1) with ``rpcVersion``, the auth string and its ``eventSubscriptions``
bit mask; the server answers ``Identified`` (op 2), or closes with 4009 (authentication failed),
4010 (RPC version) or another 40xx code. Then ``Request`` (op 6) ↔ ``RequestResponse`` (op 7)
matched by ``requestId``, ``RequestBatch`` (op 8) ↔ ``RequestBatchResponse`` (op 9), and
``Event`` (op 5) for the subscribed categories.

Works with OBS 28 to 31 (obs-websocket 5.0 to 5.6): nothing here needs UUIDs, and the OBS
version comes from ``GetVersion`` when ``Hello`` lacks ``obsStudioVersion`` (added in 5.6).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import enum
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from yarl import URL

from streampai_desktop.obs.errors import (
    SETTINGS_PATH,
    ObsAuthFailed,
    ObsBadUrl,
    ObsConnectionLost,
    ObsDisabled,
    ObsError,
    ObsProtocolError,
    ObsRequestFailed,
    ObsSessionKicked,
    ObsTimeout,
    ObsUnreachable,
)
from streampai_desktop.obs.local import is_local_host, obs_process_running

log = logging.getLogger(__name__)

RPC_VERSION = 1
DEFAULT_PORT = 4455
DEFAULT_URL = f"ws://127.0.0.1:{DEFAULT_PORT}"
# OBS answers big payloads for some requests (screenshots as base64, long input lists).
_MAX_MESSAGE = 64 * 1024 * 1024
# "No such host" (aiohttp ≥ 3.10 tells it from "refused"; older ones raise neither here).
_DNS_ERRORS: tuple[type[BaseException], ...] = tuple(
    cls for cls in [getattr(aiohttp, "ClientConnectorDNSError", None)] if cls is not None
)

EventHandler = Callable[[str, dict[str, Any]], None]


class OpCode(enum.IntEnum):
    HELLO = 0
    IDENTIFY = 1
    IDENTIFIED = 2
    REIDENTIFY = 3
    EVENT = 5
    REQUEST = 6
    REQUEST_RESPONSE = 7
    REQUEST_BATCH = 8
    REQUEST_BATCH_RESPONSE = 9


class CloseCode(enum.IntEnum):
    """obs-websocket's WebSocketCloseCode values (the ones a client may see)."""

    UNKNOWN_REASON = 4000
    MESSAGE_DECODE_ERROR = 4002
    MISSING_DATA_FIELD = 4003
    INVALID_DATA_FIELD_TYPE = 4004
    INVALID_DATA_FIELD_VALUE = 4005
    UNKNOWN_OP_CODE = 4006
    NOT_IDENTIFIED = 4007
    ALREADY_IDENTIFIED = 4008
    AUTHENTICATION_FAILED = 4009
    UNSUPPORTED_RPC_VERSION = 4010
    SESSION_INVALIDATED = 4011
    UNSUPPORTED_FEATURE = 4012


class EventSubscription(enum.IntFlag):
    """Event categories to subscribe to (``Identify.eventSubscriptions``)."""

    NONE = 0
    GENERAL = 1 << 0  # ExitStarted, VendorEvent, CustomEvent
    CONFIG = 1 << 1
    SCENES = 1 << 2  # CurrentProgramSceneChanged, SceneListChanged, SceneCreated…
    INPUTS = 1 << 3  # InputCreated, InputRemoved, InputSettingsChanged…
    TRANSITIONS = 1 << 4
    FILTERS = 1 << 5
    OUTPUTS = 1 << 6  # StreamStateChanged, RecordStateChanged…
    SCENE_ITEMS = 1 << 7
    MEDIA_INPUTS = 1 << 8
    VENDORS = 1 << 9
    UI = 1 << 10
    CANVASES = 1 << 11  # obs-websocket 5.7; older servers ignore the bit
    ALL_LOW_VOLUME = (
        GENERAL
        | CONFIG
        | SCENES
        | INPUTS
        | TRANSITIONS
        | FILTERS
        | OUTPUTS
        | SCENE_ITEMS
        | MEDIA_INPUTS
        | VENDORS
        | UI
        | CANVASES
    )
    # High-volume events, only when asked for by name.
    INPUT_VOLUME_METERS = 1 << 16
    INPUT_ACTIVE_STATE_CHANGED = 1 << 17
    INPUT_SHOW_STATE_CHANGED = 1 << 18
    SCENE_ITEM_TRANSFORM_CHANGED = 1 << 19


@dataclass(frozen=True)
class ObsInfo:
    obs_version: str  # "30.2.3"
    websocket_version: str  # "5.5.2"
    rpc_version: int  # the negotiated RPC version (1)


@dataclass(frozen=True)
class RequestResult:
    """One request's outcome inside a batch."""

    request_type: str
    ok: bool
    code: int
    comment: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def unwrap(self) -> dict[str, Any]:
        """The response data, or :class:`ObsRequestFailed` when OBS refused this one."""
        if not self.ok:
            raise ObsRequestFailed(self.request_type, self.code, self.comment)
        return self.data


def auth_string(password: str, salt: str, challenge: str) -> str:
    """``base64(sha256(base64(sha256(password + salt)) + challenge))``, the protocol's answer to
    ``Hello.authentication``."""
    secret = base64.b64encode(hashlib.sha256((password + salt).encode("utf-8")).digest())
    answer = hashlib.sha256(secret + challenge.encode("utf-8")).digest()
    return base64.b64encode(answer).decode("ascii")


def normalize_url(url: str) -> str:
    """``ws://host:port`` from what a streamer may type (``127.0.0.1:4455``, ``localhost``);
    :class:`ObsBadUrl` for anything that cannot be an obs-websocket address."""
    text = url.strip() if isinstance(url, str) else ""
    example = f"It should look like {DEFAULT_URL}."
    if not text:
        raise ObsBadUrl(f"The OBS address is empty. {example}")
    if "://" not in text:
        text = f"ws://{text}"
    try:
        parsed = URL(text)
    except ValueError as exc:
        raise ObsBadUrl(f"“{url}” is not a valid OBS address. {example}") from exc
    if parsed.scheme not in {"ws", "wss"}:
        raise ObsBadUrl(
            f"“{url}” is not a WebSocket address (ws://…). OBS's WebSocket server is at "
            f"ws://HOST:PORT, shown in OBS under {SETTINGS_PATH} → Show Connect Info."
        )
    if not parsed.host:
        raise ObsBadUrl(f"“{url}” has no host. {example}")
    if parsed.user or parsed.password or parsed.query_string or parsed.fragment:
        raise ObsBadUrl(
            f"“{url}” has parts an OBS address does not take (a password goes in its own "
            f"field, not in the address). {example}"
        )
    if not parsed.explicit_port:
        # ws://host means port 80 to a URL parser, but to a streamer it means OBS's default.
        parsed = parsed.with_port(DEFAULT_PORT)
    return str(parsed.with_path(""))


class ObsClient:
    """One connection to OBS's WebSocket server. Connects once; make a new client to reconnect
    (:class:`~streampai_desktop.obs.connection.ObsConnection` does).

    ``async with ObsClient(url, password) as obs:`` connects and closes.
    """

    def __init__(
        self,
        url: str,
        password: str | None = None,
        *,
        events: int = EventSubscription.ALL_LOW_VOLUME,
        request_timeout: float = 10.0,
        connect_timeout: float = 5.0,
        heartbeat: float | None = 10.0,
        obs_running: Callable[[], bool] = obs_process_running,
    ) -> None:
        self.url = normalize_url(url)
        self._password = password or None
        self.events = int(events)
        self.request_timeout = request_timeout
        self.connect_timeout = connect_timeout
        self.heartbeat = heartbeat
        self._obs_running = obs_running
        self.info: ObsInfo | None = None
        self.closed = asyncio.Event()
        """Set when the connection ends (OBS quit, restarted, crashed, or :meth:`close`)."""
        self.close_code: int | None = None
        self.close_reason = ""
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: dict[str, tuple[str, asyncio.Future[dict[str, Any]]]] = {}
        self._handlers: list[EventHandler] = []
        self._used = False

    def __repr__(self) -> str:
        state = "connected" if self.connected else "closed" if self.closed.is_set() else "new"
        return f"<ObsClient {self.url} {state}>"

    async def __aenter__(self) -> ObsClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self.info is not None and not self.closed.is_set()

    # --- connecting ---------------------------------------------------------------------------

    async def connect(self) -> ObsInfo:
        """Open the socket, answer Hello (with the password when OBS asks), wait for Identified.

        Raises :class:`ObsUnreachable` (or :class:`ObsDisabled`, :class:`ObsTimeout`),
        :class:`ObsAuthFailed`, :class:`ObsSessionKicked` or :class:`ObsProtocolError`; the
        client is closed after a failure.
        """
        if self._used:
            raise RuntimeError("an ObsClient connects once; make a new one to reconnect")
        self._used = True
        try:
            info = await self._connect()
        except BaseException:
            await self.close()
            raise
        self.info = info
        log.info(
            "connected to OBS %s (obs-websocket %s) at %s",
            info.obs_version,
            info.websocket_version,
            self.url,
        )
        return info

    async def _connect(self) -> ObsInfo:
        self._session = aiohttp.ClientSession()
        try:
            async with asyncio.timeout(self.connect_timeout):
                self._ws = await self._open_socket(self._session)
        except TimeoutError:
            raise ObsTimeout(
                f"OBS at {self.url} did not accept the connection within "
                f"{self.connect_timeout:g} s. Check that OBS is running and not frozen, and the "
                f"address in OBS under {SETTINGS_PATH} → Show Connect Info."
            ) from None
        hello = await self._receive_hello(self._ws)
        identify: dict[str, Any] = {"rpcVersion": RPC_VERSION, "eventSubscriptions": self.events}
        challenge = hello.get("authentication")
        if isinstance(challenge, dict):
            if self._password is None:
                raise ObsAuthFailed(
                    "OBS asks for a password. In OBS open "
                    f"{SETTINGS_PATH} → Show Connect Info, copy the Server Password and enter "
                    "it in Streampai (Settings → OBS, or `streampai-desktop obs connect "
                    "--password-stdin`)."
                )
            identify["authentication"] = auth_string(
                self._password, str(challenge.get("salt", "")), str(challenge.get("challenge", ""))
            )
        await self._send(self._ws, OpCode.IDENTIFY, identify)
        identified = await self._receive_identified(self._ws)
        rpc_version = identified.get("negotiatedRpcVersion", RPC_VERSION)
        self._reader = asyncio.create_task(self._read(self._ws), name="obs-websocket reader")
        websocket_version = str(hello.get("obsWebSocketVersion", ""))
        obs_version = hello.get("obsStudioVersion")
        if not isinstance(obs_version, str):
            # obs-websocket before 5.6 (OBS 28 to 31.0) names only itself in Hello.
            version = await self.request("GetVersion")
            obs_version = str(version.get("obsVersion", ""))
            websocket_version = str(version.get("obsWebSocketVersion", websocket_version))
        return ObsInfo(obs_version, websocket_version, int(rpc_version))

    async def _open_socket(self, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
        url = URL(self.url)
        try:
            return await session.ws_connect(
                url,
                protocols=("obswebsocket.json",),
                heartbeat=self.heartbeat,
                max_msg_size=_MAX_MESSAGE,
            )
        except aiohttp.WSServerHandshakeError as exc:
            raise ObsProtocolError(
                f"Something answers at {self.url}, but it is not OBS's WebSocket server "
                f"(HTTP {exc.status}). Check the Server Port in OBS under {SETTINGS_PATH}."
            ) from exc
        except _DNS_ERRORS as exc:
            raise ObsUnreachable(
                f"Cannot find the computer “{url.host}” of the OBS address {self.url}. Check the "
                "address, or use 127.0.0.1 when OBS runs on this computer."
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            local = is_local_host(url.host or "")
            if local and await asyncio.to_thread(self._obs_running):
                raise ObsDisabled(
                    f"OBS is running, but its WebSocket server does not answer at {self.url}. "
                    f"In OBS open {SETTINGS_PATH}, tick “Enable WebSocket server”, and check that "
                    f"the Server Port is {url.port}."
                ) from exc
            where = "" if local else " on that computer (and that its firewall allows the port)"
            raise ObsUnreachable(
                f"OBS is not answering at {self.url}. Start OBS{where}, and check in OBS under "
                f"{SETTINGS_PATH} that “Enable WebSocket server” is ticked and the Server Port "
                f"is {url.port}."
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ObsUnreachable(
                f"Could not connect to OBS at {self.url} ({exc.__class__.__name__}). Start OBS "
                "and try again."
            ) from exc

    async def _receive_hello(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.connect_timeout):
                message = await self._receive_op(ws, "Hello")
        except TimeoutError:
            # obs-websocket 4.x (OBS 27 and older, default port 4444) waits for the client.
            raise ObsProtocolError(
                f"The WebSocket server at {self.url} did not greet us as obs-websocket 5 does. "
                "Is it OBS 28 or later? Older OBS with the obs-websocket 4 plugin is not "
                "supported: update OBS."
            ) from None
        op, data = message
        if op != OpCode.HELLO or not isinstance(data.get("rpcVersion"), int):
            raise ObsProtocolError(
                f"The server at {self.url} does not speak obs-websocket 5 (its first message "
                "was not Hello). Check the Server Port in OBS under "
                f"{SETTINGS_PATH}."
            )
        if data["rpcVersion"] < RPC_VERSION:
            raise ObsProtocolError(
                f"OBS's WebSocket server speaks RPC version {data['rpcVersion']}; Streampai "
                f"needs {RPC_VERSION}. Update OBS."
            )
        return data

    async def _receive_identified(self, ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self.connect_timeout):
                op, data = await self._receive_op(ws, "Identified")
        except TimeoutError:
            raise ObsTimeout(
                f"OBS at {self.url} did not finish the sign-in within {self.connect_timeout:g} s."
            ) from None
        if op != OpCode.IDENTIFIED:
            raise ObsProtocolError(
                f"OBS answered our Identify with op {op} instead of Identified ({self.url})."
            )
        return data

    async def _receive_op(
        self, ws: aiohttp.ClientWebSocketResponse, expected: str
    ) -> tuple[int, dict[str, Any]]:
        """The next message during the handshake as (op, d); a close becomes its error."""
        msg = await ws.receive()
        if msg.type == aiohttp.WSMsgType.TEXT:
            try:
                payload = json.loads(msg.data)
            except ValueError:
                payload = None
            if (
                isinstance(payload, dict)
                and isinstance(payload.get("op"), int)
                and isinstance(payload.get("d"), dict)
            ):
                return payload["op"], payload["d"]
            raise ObsProtocolError(
                f"The server at {self.url} sent something that is not an obs-websocket 5 "
                f"message while we waited for {expected}."
            )
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING):
            code = msg.data if msg.type == aiohttp.WSMsgType.CLOSE else ws.close_code
            raise self._close_error(code, str(msg.extra or ""), expected)
        if msg.type == aiohttp.WSMsgType.BINARY:
            raise ObsProtocolError(
                f"The server at {self.url} sent binary data while we waited for {expected}; "
                "obs-websocket 5 speaks JSON text here."
            )
        raise ObsConnectionLost(
            f"The connection to OBS at {self.url} dropped while we waited for {expected}. "
            "Did OBS quit? Start OBS and try again."
        )

    def _close_error(self, code: int | None, reason: str, expected: str) -> ObsError:
        self.close_code, self.close_reason = code, reason
        if code == CloseCode.AUTHENTICATION_FAILED:
            return ObsAuthFailed(
                "OBS refused the password. In OBS open "
                f"{SETTINGS_PATH} → Show Connect Info, copy the Server Password and enter it in "
                "Streampai again (Settings → OBS, or `streampai-desktop obs connect "
                "--password-stdin`)."
            )
        if code == CloseCode.UNSUPPORTED_RPC_VERSION:
            return ObsProtocolError(
                f"OBS does not support obs-websocket RPC version {RPC_VERSION} ({reason}). "
                "Update OBS to version 28 or later."
            )
        if code == CloseCode.SESSION_INVALIDATED:
            return ObsSessionKicked()
        if code is None or code < 4000:
            return ObsConnectionLost(
                f"OBS closed the connection while we waited for {expected} (code {code}). "
                "Did OBS quit? Start OBS and try again."
            )
        return ObsProtocolError(
            f"OBS closed the connection while we waited for {expected}: {reason or 'no reason'} "
            f"(code {code})."
        )

    # --- the open connection ------------------------------------------------------------------

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        reason = ""
        try:
            while True:
                msg = await ws.receive()
                if msg.type == aiohttp.WSMsgType.TEXT:
                    self._dispatch(msg.data)
                elif msg.type == aiohttp.WSMsgType.CLOSE:
                    reason = str(msg.extra or "")
                    break
                elif msg.type in (
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.ERROR,
                ):
                    break
                else:
                    log.warning("OBS sent an unexpected %s frame; ignored", msg.type.name)
        finally:
            self._finish(ws.close_code, reason)

    def _dispatch(self, text: str) -> None:
        try:
            payload = json.loads(text)
            op, data = payload["op"], payload["d"]
            if not isinstance(data, dict):
                raise TypeError("d is not an object")
        except (ValueError, KeyError, TypeError):
            log.warning("OBS sent a message that is not obs-websocket 5 JSON; ignored")
            return
        if op in (OpCode.REQUEST_RESPONSE, OpCode.REQUEST_BATCH_RESPONSE):
            pending = self._pending.get(str(data.get("requestId")))
            if pending is not None and not pending[1].done():
                pending[1].set_result(data)
        elif op == OpCode.EVENT:
            event_type = str(data.get("eventType", ""))
            event_data = data.get("eventData")
            event_data = event_data if isinstance(event_data, dict) else {}
            for handler in list(self._handlers):
                try:
                    handler(event_type, event_data)
                except Exception:
                    log.exception("OBS event handler failed on %s", event_type)
        else:
            log.debug("OBS sent op %s; nothing to do with it", op)

    def _finish(self, code: int | None, reason: str) -> None:
        if self.closed.is_set():
            return
        if self.close_code is None:
            self.close_code, self.close_reason = code, reason
        for request_type, future in self._pending.values():
            if not future.done():
                future.set_exception(
                    ObsConnectionLost(
                        f"The connection to OBS ended before it answered {request_type}. "
                        "Did OBS quit or restart?"
                    )
                )
        if self.info is not None:
            log.info("OBS connection closed (code %s%s)", code, f": {reason}" if reason else "")
        self.closed.set()

    async def close(self) -> None:
        """Close the connection (idempotent); ``closed`` is set afterwards."""
        ws, self._ws = self._ws, None
        if ws is not None and not ws.closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await ws.close()
        reader, self._reader = self._reader, None
        if reader is not None and reader is not asyncio.current_task():
            if not reader.done():
                reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        self._finish(ws.close_code if ws is not None else None, "closed by Streampai")
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _send(
        self, ws: aiohttp.ClientWebSocketResponse, op: int, data: dict[str, Any]
    ) -> None:
        try:
            await ws.send_str(json.dumps({"op": int(op), "d": data}))
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            raise ObsConnectionLost(
                f"The connection to OBS at {self.url} is gone. Did OBS quit? Start OBS and try "
                "again."
            ) from exc

    # --- requests -----------------------------------------------------------------------------

    def _open_ws(self, what: str) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None or self.closed.is_set() or self._reader is None:
            raise ObsUnreachable(f"Not connected to OBS ({self.url}), so {what} cannot be sent.")
        return self._ws

    async def _exchange(
        self, request_type: str, op: OpCode, data: dict[str, Any]
    ) -> dict[str, Any]:
        ws = self._open_ws(request_type)
        request_id = data["requestId"]
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[request_id] = (request_type, future)
        try:
            await self._send(ws, op, data)
            async with asyncio.timeout(self.request_timeout):
                return await future
        except TimeoutError:
            raise ObsTimeout(
                f"OBS did not answer {request_type} within {self.request_timeout:g} s. OBS may "
                "be busy or frozen; if it stays like this, restart OBS."
            ) from None
        finally:
            self._pending.pop(request_id, None)

    async def request(
        self, request_type: str, data: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """Send one request; its ``responseData`` (``{}`` when OBS sends none).

        :class:`ObsRequestFailed` (with ``code`` and ``comment``) when OBS refuses it,
        :class:`ObsTimeout` after ``request_timeout``, :class:`ObsConnectionLost` when the
        connection ends first.
        """
        payload: dict[str, Any] = {
            "requestType": _check_type(request_type),
            "requestId": uuid.uuid4().hex,
        }
        if data is not None:
            payload["requestData"] = _check_data(request_type, data)
        response = await self._exchange(request_type, OpCode.REQUEST, payload)
        result = _result(request_type, response)
        return result.unwrap()

    async def batch(
        self, requests: list[tuple[str, dict[str, Any] | None]], *, halt_on_failure: bool = False
    ) -> list[RequestResult]:
        """Send requests as one ``RequestBatch`` (OBS runs them in order); one result each, in
        order. With ``halt_on_failure`` OBS stops at the first failure and the list ends there.
        A failed request does not raise: see each result's ``ok`` (or call ``unwrap()``)."""
        entries: list[dict[str, Any]] = []
        for request_type, data in requests:
            entry: dict[str, Any] = {"requestType": _check_type(request_type)}
            if data is not None:
                entry["requestData"] = _check_data(request_type, data)
            entries.append(entry)
        if not entries:
            return []
        label = f"a batch of {len(entries)} requests"
        response = await self._exchange(
            label,
            OpCode.REQUEST_BATCH,
            {"requestId": uuid.uuid4().hex, "haltOnFailure": halt_on_failure, "requests": entries},
        )
        results = response.get("results")
        if not isinstance(results, list):
            raise ObsProtocolError(f"OBS answered {label} without results.")
        return [
            _result(str(r.get("requestType", "")) if isinstance(r, dict) else "", r)
            for r in results
        ]

    # --- events -------------------------------------------------------------------------------

    def on_event(self, handler: EventHandler) -> Callable[[], None]:
        """Call ``handler(event_type, event_data)`` for each event OBS sends (from the categories
        in ``events``); returns a function that unsubscribes it. A handler that raises is logged
        and does not stop the others."""
        self._handlers.append(handler)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._handlers.remove(handler)

        return unsubscribe


def _check_type(request_type: object) -> str:
    if not isinstance(request_type, str) or not request_type:
        raise ValueError(f"an OBS request type must be a non-empty string, not {request_type!r}")
    return request_type


def _check_data(request_type: str, data: object) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise TypeError(f"the data of {request_type} must be a dict, not {type(data).__name__}")
    return data


def _result(request_type: str, response: object) -> RequestResult:
    if not isinstance(response, dict) or not isinstance(response.get("requestStatus"), dict):
        raise ObsProtocolError(f"OBS answered {request_type} without a requestStatus.")
    status = response["requestStatus"]
    data = response.get("responseData")
    comment = status.get("comment")
    return RequestResult(
        request_type=request_type,
        ok=status.get("result") is True,
        code=int(status.get("code", 0)),
        comment=str(comment) if comment else None,
        data=data if isinstance(data, dict) else {},
    )
