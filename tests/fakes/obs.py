"""A fake OBS Studio with its obs-websocket 5 server on 127.0.0.1.

Written from obs-websocket's protocol reference (``docs/generated/protocol.md``) and, where the
reference is silent, its source (``src/websocketserver/WebSocketServer_Protocol.cpp``,
``src/requesthandler/*``), for who does what:

* The server speaks first: ``Hello`` (op 0) with ``obsWebSocketVersion``, ``rpcVersion`` 1 and,
  when a password is set, ``authentication: {challenge, salt}`` (the challenge new per
  connection, the salt fixed as OBS keeps it in its config). ``obsStudioVersion`` is in ``Hello``
  only from obs-websocket 5.6 on.
* The client answers ``Identify`` (op 1). A missing or wrong ``authentication`` closes the socket
  with 4009 (AuthenticationFailed); a missing ``rpcVersion`` 4003, another version than 1 4010;
  any other message before ``Identified`` 4007 (NotIdentified); a second ``Identify`` 4008; an
  unknown op 4006; a binary frame or a text frame that is not JSON 4002. ``Reidentify`` (op 3)
  changes the event subscriptions.
* ``Request`` (op 6) → ``RequestResponse`` (op 7) echoing ``requestType`` and ``requestId``, with
  ``requestStatus: {result, code, comment?}`` and ``responseData``; an unknown request type
  answers 204. A request without ``requestId`` closes with 4003. ``RequestBatch`` (op 8) →
  ``RequestBatchResponse`` (op 9), run in order, stopping after the first failure with
  ``haltOnFailure``.
* ``Event`` (op 5) goes only to identified sessions subscribed to its category
  (``eventIntent``), e.g. ``StreamStateChanged`` needs Outputs (1 << 6).

The OBS behind it: scenes (in OBS's list order) with scene items, inputs with settings (only the
non-default ones, as ``GetInputSettings`` returns them), the program scene, the stream and record
outputs (``StartStream`` answers at once; ``StreamStateChanged`` STARTING then STARTED follow, as
in OBS), ``GetStreamStatus`` figures that grow with the clock, and the stream service settings.
Errors carry obs-websocket's codes and comments: 600 not found, 601 name taken, 602 a scene where
an input is wanted (or the reverse), 605 unknown input kind, 500/501 output already (not)
running, 300/301/401/403 for missing or malformed fields.

``websocket_version`` shapes the answers like that release: before 5.4 (OBS 28 and 29) there are no
UUIDs anywhere and ``GetCurrentProgramScene`` has only ``currentProgramSceneName``, so a client
that needs UUIDs fails here as it would against OBS 28.

Test controls: :meth:`FakeObs.fail_next` (the next request of a type fails with a code),
:meth:`FakeObs.stall` (requests of a type are never answered), :attr:`FakeObs.requests` (every
request as ``(type, data)``), :meth:`FakeObs.restart` (OBS quits — ``ExitStarted``, close 1001 —
and starts again with the same scenes), :meth:`FakeObs.crash` (sockets drop without a close
frame), and the streamer's own actions in OBS (:meth:`FakeObs.switch_scene`,
:meth:`FakeObs.start_stream`, :meth:`FakeObs.add_browser_source`, …).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import hashlib
import json
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

RPC_VERSION = 1

# EventSubscription bits (protocol.md, "EventSubscription").
GENERAL = 1 << 0
CONFIG = 1 << 1
SCENES = 1 << 2
INPUTS = 1 << 3
OUTPUTS = 1 << 6
SCENE_ITEMS = 1 << 7
ALL_LOW_VOLUME = 0xFFF  # General … Canvases (bits 0 to 11)

# WebSocketCloseCode values.
CLOSE_MESSAGE_DECODE_ERROR = 4002
CLOSE_MISSING_DATA_FIELD = 4003
CLOSE_INVALID_DATA_FIELD_TYPE = 4004
CLOSE_INVALID_DATA_FIELD_VALUE = 4005
CLOSE_UNKNOWN_OP_CODE = 4006
CLOSE_NOT_IDENTIFIED = 4007
CLOSE_ALREADY_IDENTIFIED = 4008
CLOSE_AUTHENTICATION_FAILED = 4009
CLOSE_UNSUPPORTED_RPC_VERSION = 4010
CLOSE_SESSION_INVALIDATED = 4011

# RequestStatus codes.
SUCCESS = 100
MISSING_REQUEST_TYPE = 203
UNKNOWN_REQUEST_TYPE = 204
MISSING_REQUEST_FIELD = 300
MISSING_REQUEST_DATA = 301
INVALID_REQUEST_FIELD_TYPE = 401
REQUEST_FIELD_EMPTY = 403
OUTPUT_RUNNING = 500
OUTPUT_NOT_RUNNING = 501
RESOURCE_NOT_FOUND = 600
RESOURCE_ALREADY_EXISTS = 601
INVALID_RESOURCE_TYPE = 602
INVALID_INPUT_KIND = 605
RESOURCE_CREATION_FAILED = 700

# Input kinds of a Windows OBS 30 (the streamer's usual machine). Debian's obs-studio has no
# browser_source: ``FakeObs(browser_source=False)``.
INPUT_KINDS = (
    "browser_source",
    "image_source",
    "color_source_v3",
    "slideshow_v2",
    "ffmpeg_source",
    "text_gdiplus_v3",
    "monitor_capture",
    "window_capture",
    "game_capture",
    "dshow_input",
    "wasapi_input_capture",
    "wasapi_output_capture",
)
# The browser source's own size when none is set (OBS's defaults).
BROWSER_DEFAULT_WIDTH = 800
BROWSER_DEFAULT_HEIGHT = 600
STREAM_SERVICE_TYPES = ("rtmp_common", "rtmp_custom", "whip_custom")


class _Fail(Exception):
    """A request's failure status, raised inside a handler."""

    def __init__(self, code: int, comment: str | None = None) -> None:
        super().__init__(code, comment)
        self.code = code
        self.comment = comment


class _Close(Exception):
    """The server closes the session with an obs-websocket close code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


def _timecode(ms: int) -> str:
    """obs-websocket's DurationToTimecode: ``HH:MM:SS.mmm``."""
    secs, millis = divmod(ms, 1000)
    minutes, secs = divmod(secs, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


@dataclass
class FakeInput:
    name: str
    kind: str
    settings: dict[str, Any] = field(default_factory=dict)
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))

    def size(self) -> tuple[int, int]:
        """What OBS reports as the source's size (browser sources: their width/height)."""
        if self.kind == "browser_source":
            return (
                int(self.settings.get("width", BROWSER_DEFAULT_WIDTH)),
                int(self.settings.get("height", BROWSER_DEFAULT_HEIGHT)),
            )
        if self.kind == "color_source_v3":
            return (
                int(self.settings.get("width", 1920)),
                int(self.settings.get("height", 1080)),
            )
        return (0, 0)


@dataclass
class FakeSceneItem:
    id: int
    source_name: str
    enabled: bool = True
    locked: bool = False


@dataclass
class FakeScene:
    name: str
    items: list[FakeSceneItem] = field(default_factory=list)  # bottom → top, as OBS indexes them
    uuid: str = field(default_factory=lambda: str(uuid.uuid4()))
    next_item_id: int = 1

    def item(self, source_name: str) -> FakeSceneItem | None:
        return next((i for i in self.items if i.source_name == source_name), None)


@dataclass
class Output:
    """The stream or the record output."""

    state: str = "OBS_WEBSOCKET_OUTPUT_STOPPED"
    started_at: float | None = None  # monotonic, once STARTED
    last_path: str | None = None  # the record output's last file

    @property
    def active(self) -> bool:
        return self.state == "OBS_WEBSOCKET_OUTPUT_STARTED"

    def duration_ms(self) -> int:
        if not self.active or self.started_at is None:
            return 0
        return int((time.monotonic() - self.started_at) * 1000)


@dataclass
class Session:
    ws: web.WebSocketResponse
    request: web.Request
    challenge: str
    identified: bool = False
    subscriptions: int = 0
    rpc_version: int = 0


class FakeObs:
    """The fake OBS; ``async with FakeObs(password="…") as obs`` or ``await obs.start()``."""

    def __init__(
        self,
        port: int = 0,
        password: str | None = None,
        *,
        obs_version: str = "30.2.3",
        websocket_version: str = "5.5.2",
        browser_source: bool = True,
        output_delay: float = 0.05,
    ) -> None:
        self.port = port
        self.password = password  # a test may change it, as the streamer can in OBS
        self.obs_version = obs_version
        self.websocket_version = websocket_version
        version = _version_tuple(websocket_version)
        self.has_uuids = version >= (5, 4, 0)
        self.hello_has_obs_version = version >= (5, 6, 0)
        self.input_kinds = [k for k in INPUT_KINDS if browser_source or k != "browser_source"]
        self.output_delay = output_delay  # STARTING → STARTED, STOPPING → STOPPED
        self.salt = base64.b64encode(secrets.token_bytes(32)).decode("ascii")

        # OBS's state (survives restart(), as OBS keeps its scene collection and profile).
        self.scenes: list[FakeScene] = []  # in OBS's Scenes list order, top first
        self.inputs: dict[str, FakeInput] = {}
        self.current_scene = ""
        self.stream = Output()
        self.record = Output()
        self.record_dir = "C:\\Users\\streamer\\Videos"
        self.stream_service_type = "rtmp_common"
        self.stream_service_settings: dict[str, Any] = {
            "service": "Twitch",
            "server": "auto",
            "key": "",
        }
        # GetStreamStatus figures while streaming.
        self.stream_kbps = 6000
        self.fps = 60
        self.skipped_frames = 0
        self.congestion = 0.0
        self.reconnecting = False
        self._reset_collection()

        # What tests look at and steer.
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.events: list[tuple[str, dict[str, Any]]] = []  # every event OBS emitted
        self.connections = 0  # websocket connections opened
        self.auth_failures = 0
        self.identifies: list[dict[str, Any]] = []  # every Identify's data, as received
        self.sessions: list[Session] = []
        self.stalled: set[str] = set()
        self._failures: dict[str, list[tuple[int, str | None]]] = {}
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        # Notified when sessions or outputs change, for the waits below.
        self._changed = asyncio.Condition()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _reset_collection(self) -> None:
        """A fresh OBS's scene collection: one empty "Scene" and the two global audio inputs."""
        self.scenes = [FakeScene("Scene")]
        self.current_scene = "Scene"
        self.inputs = {
            "Desktop Audio": FakeInput("Desktop Audio", "wasapi_output_capture"),
            "Mic/Aux": FakeInput("Mic/Aux", "wasapi_input_capture"),
        }

    # --- lifecycle ----------------------------------------------------------------------------

    async def __aenter__(self) -> FakeObs:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def identified_sessions(self) -> list[Session]:
        return [s for s in self.sessions if s.identified and not s.ws.closed]

    async def start(self) -> None:
        """Start OBS (or start it again, on the same port)."""
        if self._runner is not None:
            return
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        """OBS quits: ``ExitStarted`` to the subscribed clients, then every socket closes with
        1001 "Server stopping." (WebSocketServer::Stop), and the port stops answering. Outputs
        stop, as they do when OBS exits."""
        if self._runner is None:
            return
        await self._emit(GENERAL, "ExitStarted", None)
        for session in list(self.sessions):
            with contextlib.suppress(Exception):
                await session.ws.close(code=WSCloseCode.GOING_AWAY, message=b"Server stopping.")
        await self._shutdown()

    async def crash(self) -> None:
        """OBS dies: the sockets drop with no close frame and the port stops answering."""
        if self._runner is None:
            return
        for session in list(self.sessions):
            transport = session.request.transport
            if transport is not None:
                transport.abort()
        await self._shutdown()

    async def restart(self, *, down_for: float = 0.0) -> None:
        """The streamer quits OBS and starts it again (after ``down_for`` seconds); scenes and
        inputs stay, outputs are stopped, clients have to connect again."""
        await self.stop()
        if down_for:
            await asyncio.sleep(down_for)
        await self.start()

    async def _shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self._tasks.clear()
        self.sessions.clear()
        self.stream = Output()
        self.record = Output(last_path=self.record.last_path)
        assert self._runner is not None
        await self._runner.cleanup()
        self._runner = None

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- test controls ------------------------------------------------------------------------

    def fail_next(self, request_type: str, code: int, comment: str | None = None) -> None:
        """The next ``request_type`` request fails with ``code`` (and ``comment``)."""
        self._failures.setdefault(request_type, []).append((code, comment))

    def stall(self, request_type: str) -> None:
        """Requests of ``request_type`` are never answered (OBS busy or frozen on them)."""
        self.stalled.add(request_type)

    def requests_of(self, request_type: str) -> list[dict[str, Any]]:
        return [data for kind, data in self.requests if kind == request_type]

    async def kick_all(self) -> None:
        """The streamer presses "Kick" in OBS's session list: close 4011, no reconnecting."""
        for session in list(self.sessions):
            with contextlib.suppress(Exception):
                await session.ws.close(
                    code=CLOSE_SESSION_INVALIDATED,
                    message=b"Your session has been invalidated.",
                )

    async def wait_identified(self, count: int = 1, within: float = 5.0) -> None:
        """Until ``count`` clients are identified (a client's reconnect, seen from OBS)."""
        async with asyncio.timeout(within), self._changed:
            await self._changed.wait_for(lambda: len(self.identified_sessions) >= count)

    # --- the streamer's own actions in OBS ----------------------------------------------------

    def scene(self, name: str) -> FakeScene:
        found = self._find_scene(name)
        if found is None:
            raise KeyError(f"no scene {name!r} in the fake OBS")
        return found

    def input(self, name: str) -> FakeInput:
        return self.inputs[name]

    async def add_scene(self, name: str) -> FakeScene:
        """A new scene at the bottom of OBS's Scenes list."""
        if self._source_exists(name):
            raise ValueError(f"a source named {name!r} exists already")
        scene = FakeScene(name)
        self.scenes.append(scene)
        await self._emit(
            SCENES,
            "SceneCreated",
            self._uuids({"sceneName": name, "isGroup": False}, sceneUuid=scene.uuid),
        )
        await self._emit(SCENES, "SceneListChanged", {"scenes": self._scene_list()})
        return scene

    async def add_input(
        self, scene: str | None, name: str, kind: str, settings: dict[str, Any] | None = None
    ) -> FakeInput:
        """An input (in ``scene`` as its top item, or global like the audio devices)."""
        if kind not in self.input_kinds:
            raise ValueError(f"this OBS has no input kind {kind!r}")
        return await self._create_input(
            self.scene(scene) if scene is not None else None, name, kind, settings or {}, True
        )

    async def add_browser_source(
        self,
        scene: str,
        name: str,
        url: str,
        width: int = BROWSER_DEFAULT_WIDTH,
        height: int = BROWSER_DEFAULT_HEIGHT,
        **settings: Any,
    ) -> FakeInput:
        """A browser source the streamer made by hand (Sources → + → Browser)."""
        return await self.add_input(
            scene,
            name,
            "browser_source",
            {"url": url, "width": width, "height": height, **settings},
        )

    async def add_scene_item(self, scene: str, source_name: str) -> FakeSceneItem:
        """An existing input or scene added to ``scene`` again (Add Existing, nested scenes)."""
        if not self._source_exists(source_name):
            raise KeyError(f"no source {source_name!r}")
        return await self._add_item(self.scene(scene), source_name, True)

    async def remove_input(self, name: str) -> None:
        """The streamer deletes a source: its items leave every scene."""
        source = self.inputs.pop(name)
        for scene in self.scenes:
            for item in [i for i in scene.items if i.source_name == name]:
                scene.items.remove(item)
                await self._emit(
                    SCENE_ITEMS,
                    "SceneItemRemoved",
                    self._uuids(
                        {"sceneName": scene.name, "sourceName": name, "sceneItemId": item.id},
                        sceneUuid=scene.uuid,
                        sourceUuid=source.uuid,
                    ),
                )
        await self._emit(
            INPUTS, "InputRemoved", self._uuids({"inputName": name}, inputUuid=source.uuid)
        )

    async def switch_scene(self, name: str) -> None:
        """The streamer clicks a scene."""
        scene = self.scene(name)
        if scene.name != self.current_scene:
            self.current_scene = scene.name
            await self._emit(
                SCENES,
                "CurrentProgramSceneChanged",
                self._uuids({"sceneName": scene.name}, sceneUuid=scene.uuid),
            )

    async def start_stream(self) -> None:
        """The streamer clicks Start Streaming; returns once the output is STARTED."""
        await self._start_output(self.stream, "StreamStateChanged")
        await self._settled(self.stream)

    async def stop_stream(self) -> None:
        await self._stop_output(self.stream, "StreamStateChanged")
        await self._settled(self.stream)

    async def start_record(self) -> None:
        await self._start_output(self.record, "RecordStateChanged")
        await self._settled(self.record)

    async def stop_record(self) -> None:
        await self._stop_output(self.record, "RecordStateChanged")
        await self._settled(self.record)

    async def emit_event(self, intent: int, event_type: str, data: dict[str, Any] | None) -> None:
        """Any event, to the clients subscribed to ``intent``."""
        await self._emit(intent, event_type, data)

    async def _settled(self, output: Output) -> None:
        async with asyncio.timeout(5), self._changed:
            await self._changed.wait_for(
                lambda: not output.state.endswith(("STARTING", "STOPPING"))
            )

    # --- the websocket ------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("obswebsocket.json",), max_msg_size=0)
        if not ws.can_prepare(request).ok:
            # websocketpp answers a plain HTTP request with 426 Upgrade Required.
            return web.Response(status=426, text="Upgrade Required")
        await ws.prepare(request)
        self.connections += 1
        session = Session(ws, request, base64.b64encode(secrets.token_bytes(32)).decode("ascii"))
        self.sessions.append(session)
        hello: dict[str, Any] = {
            "obsWebSocketVersion": self.websocket_version,
            "rpcVersion": RPC_VERSION,
        }
        if self.hello_has_obs_version:
            hello["obsStudioVersion"] = self.obs_version
        if self.password is not None:
            hello["authentication"] = {"challenge": session.challenge, "salt": self.salt}
        await self._send(session, 0, hello)
        try:
            async for msg in ws:
                if msg.type == WSMsgType.BINARY:
                    raise _Close(
                        CLOSE_MESSAGE_DECODE_ERROR,
                        "Your session encoding is set to Json, but a binary message was received.",
                    )
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    raise _Close(
                        CLOSE_MESSAGE_DECODE_ERROR, "Unable to decode Json: not valid JSON."
                    ) from None
                await self._on_message(session, payload)
        except _Close as close:
            if close.code == CLOSE_AUTHENTICATION_FAILED:
                self.auth_failures += 1
            await ws.close(code=close.code, message=close.reason.encode("utf-8"))
        finally:
            with contextlib.suppress(ValueError):
                self.sessions.remove(session)
            await self._notify()
        return ws

    async def _send(self, session: Session, op: int, data: dict[str, Any]) -> None:
        if not session.ws.closed:
            with contextlib.suppress(ConnectionError, RuntimeError):
                await session.ws.send_str(json.dumps({"op": op, "d": data}))

    async def _on_message(self, session: Session, payload: object) -> None:
        if not isinstance(payload, dict) or "op" not in payload:
            raise _Close(CLOSE_UNKNOWN_OP_CODE, "Your request is missing an `op`.")
        op, data = payload["op"], payload.get("d")
        if not isinstance(data, dict):
            if data is None:
                raise _Close(CLOSE_MISSING_DATA_FIELD, "Your payload is missing data (`d`).")
            raise _Close(
                CLOSE_INVALID_DATA_FIELD_TYPE, "Your payload's data (`d`) is not an object."
            )
        if not session.identified and op != 1:
            raise _Close(
                CLOSE_NOT_IDENTIFIED,
                "You attempted to send a non-Identify message while not identified.",
            )
        if op == 1:
            await self._identify(session, data)
        elif op == 3:
            self._set_subscriptions(session, data)
            await self._send(session, 2, {"negotiatedRpcVersion": session.rpc_version})
        elif op == 6:
            await self._request(session, data)
        elif op == 8:
            await self._batch(session, data)
        else:
            raise _Close(CLOSE_UNKNOWN_OP_CODE, f"Unknown OpCode: {op}")

    async def _identify(self, session: Session, data: dict[str, Any]) -> None:
        self.identifies.append(copy.deepcopy(data))
        if session.identified:
            raise _Close(
                CLOSE_ALREADY_IDENTIFIED,
                "You are already Identified with the obs-websocket server.",
            )
        if self.password is not None:
            answer = data.get("authentication")
            if answer is None:
                raise _Close(
                    CLOSE_AUTHENTICATION_FAILED,
                    "Your payload's data is missing an `authentication` string, however "
                    "authentication is required.",
                )
            if not isinstance(answer, str):
                raise _Close(
                    CLOSE_AUTHENTICATION_FAILED, "Your `authentication` field is not a string."
                )
            secret = base64.b64encode(
                hashlib.sha256((self.password + self.salt).encode("utf-8")).digest()
            )
            expected = base64.b64encode(
                hashlib.sha256(secret + session.challenge.encode("utf-8")).digest()
            ).decode("ascii")
            if not secrets.compare_digest(answer, expected):
                raise _Close(CLOSE_AUTHENTICATION_FAILED, "Authentication failed.")
        if "rpcVersion" not in data:
            raise _Close(
                CLOSE_MISSING_DATA_FIELD, "Your payload's data is missing an `rpcVersion`."
            )
        rpc = data["rpcVersion"]
        if not isinstance(rpc, int) or isinstance(rpc, bool) or rpc < 0:
            raise _Close(
                CLOSE_INVALID_DATA_FIELD_TYPE, "Your `rpcVersion` is not an unsigned number."
            )
        if rpc != RPC_VERSION:
            raise _Close(
                CLOSE_UNSUPPORTED_RPC_VERSION,
                "Your requested RPC version is not supported by this server.",
            )
        session.rpc_version = rpc
        session.subscriptions = ALL_LOW_VOLUME
        self._set_subscriptions(session, data)
        session.identified = True
        await self._send(session, 2, {"negotiatedRpcVersion": rpc})
        await self._notify()

    def _set_subscriptions(self, session: Session, data: dict[str, Any]) -> None:
        if "eventSubscriptions" in data:
            value = data["eventSubscriptions"]
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise _Close(
                    CLOSE_INVALID_DATA_FIELD_TYPE,
                    "Your `eventSubscriptions` is not an unsigned number.",
                )
            session.subscriptions = value

    async def _request(self, session: Session, data: dict[str, Any]) -> None:
        if "requestId" not in data:
            raise _Close(CLOSE_MISSING_DATA_FIELD, "Your payload data is missing a `requestId`.")
        if "requestType" not in data:
            raise _Close(
                CLOSE_MISSING_DATA_FIELD, "Your payload's data is missing an `requestType`."
            )
        request_type = data["requestType"]
        if not isinstance(request_type, str):
            raise _Close(CLOSE_INVALID_DATA_FIELD_TYPE, "Your `requestType` is not a string.")
        if request_type in self.stalled:
            return
        result = await self._process(request_type, data.get("requestData"))
        await self._send(
            session, 7, {"requestType": request_type, "requestId": data["requestId"], **result}
        )

    async def _batch(self, session: Session, data: dict[str, Any]) -> None:
        if "requestId" not in data:
            raise _Close(CLOSE_MISSING_DATA_FIELD, "Your payload data is missing a `requestId`.")
        execution = data.get("executionType")
        if execution is not None and (not isinstance(execution, int) or execution not in (0, 1, 2)):
            raise _Close(
                CLOSE_INVALID_DATA_FIELD_VALUE, "Your `executionType` has an invalid value."
            )
        halt = data.get("haltOnFailure")
        if halt is not None and not isinstance(halt, bool):
            raise _Close(CLOSE_INVALID_DATA_FIELD_TYPE, "Your `haltOnFailure` is not a boolean.")
        if "requests" not in data:
            raise _Close(CLOSE_MISSING_DATA_FIELD, "Your payload data is missing a `requests`.")
        requests = data["requests"]
        if not isinstance(requests, list):
            raise _Close(CLOSE_INVALID_DATA_FIELD_TYPE, "Your `requests` is not an array.")
        results = []
        for entry in requests:
            entry = entry if isinstance(entry, dict) else {}
            request_type = entry.get("requestType")
            request_type = request_type if isinstance(request_type, str) else ""
            if request_type in self.stalled:
                return
            result: dict[str, Any] = {"requestType": request_type}
            if entry.get("requestId") is not None:
                result["requestId"] = entry["requestId"]
            result.update(await self._process(request_type, entry.get("requestData")))
            results.append(result)
            if halt and not result["requestStatus"]["result"]:
                break
        await self._send(session, 9, {"requestId": data["requestId"], "results": results})

    async def _process(self, request_type: str, request_data: object) -> dict[str, Any]:
        """RequestHandler::ProcessRequest: the requestStatus and responseData of one request."""
        recorded = copy.deepcopy(request_data) if isinstance(request_data, dict) else {}
        self.requests.append((request_type, recorded))
        try:
            queued = self._failures.get(request_type)
            if queued:
                raise _Fail(*queued.pop(0))
            if request_data is not None and not isinstance(request_data, dict):
                raise _Fail(INVALID_REQUEST_FIELD_TYPE, "Your request data is not an object.")
            if not request_type:
                raise _Fail(MISSING_REQUEST_TYPE, "Your request's `requestType` may not be empty.")
            handler = self._handlers().get(request_type)
            if handler is None:
                raise _Fail(UNKNOWN_REQUEST_TYPE, "Your request type is not valid.")
            response = await handler(_Args(request_data))
        except _Fail as fail:
            status: dict[str, Any] = {"result": False, "code": fail.code}
            if fail.comment:
                status["comment"] = fail.comment
            return {"requestStatus": status}
        result: dict[str, Any] = {"requestStatus": {"result": True, "code": SUCCESS}}
        if response is not None:
            result["responseData"] = response
        return result

    async def _emit(self, intent: int, event_type: str, data: dict[str, Any] | None) -> None:
        self.events.append((event_type, copy.deepcopy(data or {})))
        message: dict[str, Any] = {"eventType": event_type, "eventIntent": intent}
        if data is not None:
            message["eventData"] = data
        for session in self.identified_sessions:
            if session.subscriptions & intent:
                await self._send(session, 5, message)

    # --- requests -----------------------------------------------------------------------------

    def _handlers(self) -> dict[str, Callable[[_Args], Any]]:
        return {
            "GetVersion": self._get_version,
            "GetSceneList": self._get_scene_list,
            "GetCurrentProgramScene": self._get_current_program_scene,
            "SetCurrentProgramScene": self._set_current_program_scene,
            "CreateScene": self._create_scene,
            "GetInputList": self._get_input_list,
            "GetInputKindList": self._get_input_kind_list,
            "GetInputSettings": self._get_input_settings,
            "SetInputSettings": self._set_input_settings,
            "CreateInput": self._create_input_request,
            "RemoveInput": self._remove_input_request,
            "GetSceneItemList": self._get_scene_item_list,
            "GetStreamStatus": self._get_stream_status,
            "StartStream": self._start_stream_request,
            "StopStream": self._stop_stream_request,
            "GetRecordStatus": self._get_record_status,
            "StartRecord": self._start_record_request,
            "StopRecord": self._stop_record_request,
            "GetStreamServiceSettings": self._get_stream_service_settings,
            "SetStreamServiceSettings": self._set_stream_service_settings,
        }

    async def _get_version(self, args: _Args) -> dict[str, Any]:
        return {
            "obsVersion": self.obs_version,
            "obsWebSocketVersion": self.websocket_version,
            "rpcVersion": RPC_VERSION,
            "availableRequests": sorted(self._handlers()),
            "supportedImageFormats": ["bmp", "jpeg", "jpg", "png"],
            "platform": "windows",
            "platformDescription": "Windows 11 (10.0)",
        }

    async def _get_scene_list(self, args: _Args) -> dict[str, Any]:
        current = self.scene(self.current_scene)
        return self._uuids(
            {
                "currentProgramSceneName": current.name,
                "currentPreviewSceneName": None,
                "scenes": self._scene_list(),
            },
            currentProgramSceneUuid=current.uuid,
            currentPreviewSceneUuid=None,
        )

    async def _get_current_program_scene(self, args: _Args) -> dict[str, Any]:
        current = self.scene(self.current_scene)
        if not self.has_uuids:  # 5.0 to 5.3: only the (now deprecated) prefixed field
            return {"currentProgramSceneName": current.name}
        return {
            "sceneName": current.name,
            "sceneUuid": current.uuid,
            "currentProgramSceneName": current.name,
            "currentProgramSceneUuid": current.uuid,
        }

    async def _set_current_program_scene(self, args: _Args) -> None:
        scene = self._acquire_scene(args)
        await self.switch_scene(scene.name)

    async def _create_scene(self, args: _Args) -> dict[str, Any]:
        name = args.string("sceneName")
        if self._source_exists(name):
            raise _Fail(RESOURCE_ALREADY_EXISTS, "A source already exists by that scene name.")
        scene = await self.add_scene(name)
        return self._uuids({}, sceneUuid=scene.uuid)

    async def _get_input_list(self, args: _Args) -> dict[str, Any]:
        kind = args.optional_string("inputKind")
        inputs = []
        for source in self.inputs.values():
            if kind and source.kind != kind:
                continue
            entry: dict[str, Any] = {
                "inputName": source.name,
                "inputKind": source.kind,
                "unversionedInputKind": source.kind.removesuffix("_v2").removesuffix("_v3"),
            }
            if self.has_uuids:
                entry["inputUuid"] = source.uuid
                entry["inputKindCaps"] = 0
            inputs.append(entry)
        return {"inputs": inputs}

    async def _get_input_kind_list(self, args: _Args) -> dict[str, Any]:
        unversioned = args.optional_bool("unversioned")
        kinds = self.input_kinds
        if unversioned:
            kinds = [k.removesuffix("_v2").removesuffix("_v3") for k in kinds]
        return {"inputKinds": list(kinds)}

    async def _get_input_settings(self, args: _Args) -> dict[str, Any]:
        source = self._acquire_input(args)
        return {"inputSettings": copy.deepcopy(source.settings), "inputKind": source.kind}

    async def _set_input_settings(self, args: _Args) -> None:
        source = self._acquire_input(args)
        settings = args.object("inputSettings", allow_empty=True)
        overlay = args.optional_bool("overlay")
        if overlay is False:
            source.settings = copy.deepcopy(settings)
        else:
            source.settings.update(copy.deepcopy(settings))
        await self._emit(
            INPUTS,
            "InputSettingsChanged",
            self._uuids(
                {"inputName": source.name, "inputSettings": copy.deepcopy(source.settings)},
                inputUuid=source.uuid,
            ),
        )

    async def _create_input_request(self, args: _Args) -> dict[str, Any]:
        scene = self._acquire_scene(args)
        name = args.string("inputName")
        kind = args.string("inputKind")
        if self._source_exists(name):
            raise _Fail(RESOURCE_ALREADY_EXISTS, "A source already exists by that input name.")
        if kind not in self.input_kinds:
            raise _Fail(
                INVALID_INPUT_KIND,
                "Your specified input kind is not supported by OBS. Check that your specified "
                "kind is properly versioned and that any necessary plugins are loaded.",
            )
        settings = args.optional_object("inputSettings") or {}
        enabled = args.optional_bool("sceneItemEnabled")
        source = await self._create_input(
            scene, name, kind, copy.deepcopy(settings), True if enabled is None else enabled
        )
        item = scene.item(source.name)
        assert item is not None
        return self._uuids({"sceneItemId": item.id}, inputUuid=source.uuid)

    async def _remove_input_request(self, args: _Args) -> None:
        source = self._acquire_input(args)
        await self.remove_input(source.name)

    async def _get_scene_item_list(self, args: _Args) -> dict[str, Any]:
        scene = self._acquire_scene(args)
        items = []
        for index, item in enumerate(scene.items):
            source = self.inputs.get(item.source_name)
            width, height = source.size() if source is not None else (1920, 1080)
            entry: dict[str, Any] = {
                "sceneItemId": item.id,
                "sceneItemIndex": index,
                "sceneItemEnabled": item.enabled,
                "sceneItemLocked": item.locked,
                "sceneItemTransform": _transform(width, height),
                "sceneItemBlendMode": "OBS_BLEND_NORMAL",
                "sourceName": item.source_name,
                "sourceType": "OBS_SOURCE_TYPE_INPUT" if source else "OBS_SOURCE_TYPE_SCENE",
                "inputKind": source.kind if source else None,
                "isGroup": None if source else False,
            }
            if self.has_uuids:
                nested = self._find_scene(item.source_name)
                entry["sourceUuid"] = source.uuid if source else nested.uuid if nested else None
            items.append(entry)
        return {"sceneItems": items}

    async def _get_stream_status(self, args: _Args) -> dict[str, Any]:
        duration = self.stream.duration_ms()
        active = self.stream.active
        return {
            "outputActive": active,
            "outputReconnecting": self.reconnecting if active else False,
            "outputTimecode": _timecode(duration),
            "outputDuration": duration,
            "outputCongestion": self.congestion if active else 0.0,
            "outputBytes": self.stream_kbps * 125 * duration // 1000,
            "outputSkippedFrames": self.skipped_frames if active else 0,
            "outputTotalFrames": self.fps * duration // 1000,
        }

    async def _start_stream_request(self, args: _Args) -> None:
        if self.stream.state != "OBS_WEBSOCKET_OUTPUT_STOPPED":
            raise _Fail(OUTPUT_RUNNING)
        await self._start_output(self.stream, "StreamStateChanged")

    async def _stop_stream_request(self, args: _Args) -> None:
        if not self.stream.active:
            raise _Fail(OUTPUT_NOT_RUNNING)
        await self._stop_output(self.stream, "StreamStateChanged")

    async def _get_record_status(self, args: _Args) -> dict[str, Any]:
        duration = self.record.duration_ms()
        return {
            "outputActive": self.record.active,
            "outputPaused": False,
            "outputTimecode": _timecode(duration),
            "outputDuration": duration,
            "outputBytes": 1_000_000 * duration // 1000,
        }

    async def _start_record_request(self, args: _Args) -> None:
        if self.record.state != "OBS_WEBSOCKET_OUTPUT_STOPPED":
            raise _Fail(OUTPUT_RUNNING)
        await self._start_output(self.record, "RecordStateChanged")

    async def _stop_record_request(self, args: _Args) -> dict[str, Any]:
        if not self.record.active:
            raise _Fail(OUTPUT_NOT_RUNNING)
        path = self.record.last_path
        await self._stop_output(self.record, "RecordStateChanged")
        return {"outputPath": path}

    async def _get_stream_service_settings(self, args: _Args) -> dict[str, Any]:
        return {
            "streamServiceType": self.stream_service_type,
            "streamServiceSettings": copy.deepcopy(self.stream_service_settings),
        }

    async def _set_stream_service_settings(self, args: _Args) -> None:
        if self.stream.state != "OBS_WEBSOCKET_OUTPUT_STOPPED":
            raise _Fail(
                OUTPUT_RUNNING, "You cannot change stream service settings while streaming."
            )
        service_type = args.string("streamServiceType")
        settings = args.object("streamServiceSettings")
        if service_type == self.stream_service_type:
            self.stream_service_settings.update(copy.deepcopy(settings))
        elif service_type not in STREAM_SERVICE_TYPES:
            raise _Fail(
                RESOURCE_CREATION_FAILED,
                "Failed to create the stream service with the requested streamServiceType. It "
                "may be an invalid type.",
            )
        else:
            self.stream_service_type = service_type
            self.stream_service_settings = copy.deepcopy(settings)

    # --- OBS's insides ------------------------------------------------------------------------

    def _uuids(self, data: dict[str, Any], **uuids: Any) -> dict[str, Any]:
        """``data`` plus the UUID fields, on obs-websocket releases that have them."""
        if self.has_uuids:
            data.update(uuids)
        return data

    def _scene_list(self) -> list[dict[str, Any]]:
        # ArrayHelper::GetSceneList: bottom scene first, sceneIndex 0 at the bottom.
        count = len(self.scenes)
        return [
            self._uuids({"sceneIndex": count - i - 1, "sceneName": s.name}, sceneUuid=s.uuid)
            for i, s in reversed(list(enumerate(self.scenes)))
        ]

    def _find_scene(self, name: str) -> FakeScene | None:
        return next((s for s in self.scenes if s.name == name), None)

    def _source_exists(self, name: str) -> bool:
        return name in self.inputs or self._find_scene(name) is not None

    def _acquire(self, args: _Args, name_key: str, uuid_key: str) -> FakeScene | FakeInput:
        """Request::AcquireSource: by UUID when given, else by name."""
        uuid_value = args.data.get(uuid_key)
        if isinstance(uuid_value, str) and uuid_value:
            candidates: list[FakeScene | FakeInput] = [*self.scenes, *self.inputs.values()]
            for candidate in candidates:
                if candidate.uuid == uuid_value and self.has_uuids:
                    return candidate
            raise _Fail(RESOURCE_NOT_FOUND, f"No source was found by the UUID of `{uuid_value}`.")
        if args.data.get(name_key) is None:
            if not args.has_data:
                raise _Fail(
                    MISSING_REQUEST_DATA, "Your request data is missing or invalid (non-object)"
                )
            raise _Fail(
                MISSING_REQUEST_FIELD,
                f"Your request must contain at least one of the following fields: `{name_key}` "
                f"or `{uuid_key}`.",
            )
        name = args.string(name_key)
        found: FakeScene | FakeInput | None = self._find_scene(name) or self.inputs.get(name)
        if found is None:
            raise _Fail(RESOURCE_NOT_FOUND, f"No source was found by the name of `{name}`.")
        return found

    def _acquire_scene(self, args: _Args) -> FakeScene:
        found = self._acquire(args, "sceneName", "sceneUuid")
        if not isinstance(found, FakeScene):
            raise _Fail(INVALID_RESOURCE_TYPE, "The specified source is not a scene.")
        return found

    def _acquire_input(self, args: _Args) -> FakeInput:
        found = self._acquire(args, "inputName", "inputUuid")
        if not isinstance(found, FakeInput):
            raise _Fail(INVALID_RESOURCE_TYPE, "The specified source is not an input.")
        return found

    async def _create_input(
        self,
        scene: FakeScene | None,
        name: str,
        kind: str,
        settings: dict[str, Any],
        enabled: bool,
    ) -> FakeInput:
        if self._source_exists(name):
            raise ValueError(f"a source named {name!r} exists already")
        source = FakeInput(name, kind, settings)
        self.inputs[name] = source
        await self._emit(
            INPUTS,
            "InputCreated",
            self._uuids(
                {
                    "inputName": name,
                    "inputKind": kind,
                    "unversionedInputKind": kind.removesuffix("_v2").removesuffix("_v3"),
                    "inputSettings": copy.deepcopy(settings),
                    "defaultInputSettings": {},
                },
                inputUuid=source.uuid,
            ),
        )
        if scene is not None:
            await self._add_item(scene, name, enabled)
        return source

    async def _add_item(self, scene: FakeScene, source_name: str, enabled: bool) -> FakeSceneItem:
        item = FakeSceneItem(scene.next_item_id, source_name, enabled)
        scene.next_item_id += 1
        scene.items.append(item)
        source = self.inputs.get(source_name) or self._find_scene(source_name)
        await self._emit(
            SCENE_ITEMS,
            "SceneItemCreated",
            self._uuids(
                {
                    "sceneName": scene.name,
                    "sourceName": source_name,
                    "sceneItemId": item.id,
                    "sceneItemIndex": len(scene.items) - 1,
                },
                sceneUuid=scene.uuid,
                sourceUuid=source.uuid if source else None,
            ),
        )
        return item

    async def _output_event(self, output: Output, event_type: str) -> None:
        data: dict[str, Any] = {"outputActive": output.active, "outputState": output.state}
        if event_type == "RecordStateChanged":
            settled = output.state.endswith(("STARTED", "STOPPED"))
            data["outputPath"] = output.last_path if settled else None
        await self._emit(OUTPUTS, event_type, data)

    async def _start_output(self, output: Output, event_type: str) -> None:
        output.state = "OBS_WEBSOCKET_OUTPUT_STARTING"
        if event_type == "RecordStateChanged":
            stamp = datetime.now().strftime("%Y-%m-%d %H-%M-%S")
            output.last_path = f"{self.record_dir}\\{stamp}.mkv"
        await self._output_event(output, event_type)

        async def started() -> None:
            await asyncio.sleep(self.output_delay)
            output.state = "OBS_WEBSOCKET_OUTPUT_STARTED"
            output.started_at = time.monotonic()
            await self._output_event(output, event_type)
            await self._notify()

        self._spawn(started())

    async def _stop_output(self, output: Output, event_type: str) -> None:
        output.state = "OBS_WEBSOCKET_OUTPUT_STOPPING"
        output.started_at = None
        await self._output_event(output, event_type)

        async def stopped() -> None:
            await asyncio.sleep(self.output_delay)
            output.state = "OBS_WEBSOCKET_OUTPUT_STOPPED"
            await self._output_event(output, event_type)
            await self._notify()

        self._spawn(stopped())


def _transform(width: int, height: int) -> dict[str, Any]:
    """A scene item's transform as OBS reports a source added at the top-left, unscaled."""
    return {
        "alignment": 5,
        "boundsAlignment": 0,
        "boundsHeight": 0.0,
        "boundsType": "OBS_BOUNDS_NONE",
        "boundsWidth": 0.0,
        "cropBottom": 0,
        "cropLeft": 0,
        "cropRight": 0,
        "cropTop": 0,
        "height": float(height),
        "positionX": 0.0,
        "positionY": 0.0,
        "rotation": 0.0,
        "scaleX": 1.0,
        "scaleY": 1.0,
        "sourceHeight": float(height),
        "sourceWidth": float(width),
        "width": float(width),
    }


class _Args:
    """Request data with obs-websocket's field checks (Request::Validate*)."""

    def __init__(self, data: object) -> None:
        self.has_data = isinstance(data, dict)
        self.data: dict[str, Any] = data if isinstance(data, dict) else {}

    def _present(self, key: str) -> Any:
        if not self.has_data:
            raise _Fail(
                MISSING_REQUEST_DATA, "Your request data is missing or invalid (non-object)"
            )
        if self.data.get(key) is None:
            raise _Fail(MISSING_REQUEST_FIELD, f"Your request is missing the `{key}` field.")
        return self.data[key]

    def string(self, key: str) -> str:
        value = self._present(key)
        if not isinstance(value, str):
            raise _Fail(INVALID_REQUEST_FIELD_TYPE, f"The field value of `{key}` must be a string.")
        if not value:
            raise _Fail(REQUEST_FIELD_EMPTY, f"The field value of `{key}` must not be empty.")
        return value

    def optional_string(self, key: str) -> str | None:
        return self.string(key) if self.data.get(key) is not None else None

    def object(self, key: str, *, allow_empty: bool = False) -> dict[str, Any]:
        value = self._present(key)
        if not isinstance(value, dict):
            raise _Fail(
                INVALID_REQUEST_FIELD_TYPE, f"The field value of `{key}` must be an object."
            )
        if not value and not allow_empty:
            raise _Fail(REQUEST_FIELD_EMPTY, f"The field value of `{key}` must not be empty.")
        return value

    def optional_object(self, key: str) -> dict[str, Any] | None:
        if self.data.get(key) is None:
            return None
        return self.object(key, allow_empty=True)

    def optional_bool(self, key: str) -> bool | None:
        if self.data.get(key) is None:
            return None
        value = self.data[key]
        if not isinstance(value, bool):
            raise _Fail(INVALID_REQUEST_FIELD_TYPE, f"The field value of `{key}` must be boolean.")
        return value
