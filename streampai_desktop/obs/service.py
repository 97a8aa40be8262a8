"""The app's OBS service: where OBS is (settings + keyring), the connection kept to it, what OBS
is doing (a status snapshot kept from its events), and the controls (scene, stream, record).

It starts with the app and always tries the saved address — by default OBS's own default,
``ws://127.0.0.1:4455`` — because a streamer whose OBS runs with the WebSocket server on expects
the app to find it without a setup step. While OBS is closed the connection retries quietly
(backoff up to 30 s, one log line per change of situation, see ``connection.py``).

The status is published as an :class:`~streampai_desktop.core.notices.ObsStatusChanged` notice on
every change. That is also the stream-state feed: OBS says "streaming" seconds to minutes before
the platforms report the stream live, so the Dashboard shows OBS's own line ("OBS: streaming
01:23:45, 6,000 kbps, dropped frames 0.1%") beside the platforms' combined state, and
``GET /api/v1/status`` carries it under ``"obs"``. The platforms' state (``StreamManager``) stays
what the platforms say: OBS streaming to a wrong key is not "live".

While OBS streams or records, ``GetStreamStatus`` / ``GetRecordStatus`` are asked once a second
(kbps from the bytes sent between two answers, dropped frames from skipped / total frames).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from streampai_desktop.core.errors import EXIT_USAGE
from streampai_desktop.core.notices import ObsStatusChanged, publish_notice
from streampai_desktop.obs.client import DEFAULT_URL, normalize_url
from streampai_desktop.obs.connection import ObsConnection, ObsState
from streampai_desktop.obs.errors import (
    ObsDisabled,
    ObsError,
    ObsRequestFailed,
    ObsTimeout,
    ObsUnreachable,
)
from streampai_desktop.secrets import SecretStoreError

if TYPE_CHECKING:
    from streampai_desktop.core.bus import EventBus
    from streampai_desktop.obs.overlay_sources import UrlRepair
    from streampai_desktop.secrets import SecretStore
    from streampai_desktop.settings import Settings

log = logging.getLogger(__name__)

URL_SETTING = "obs_websocket_url"
PASSWORD_SECRET = "obs_password"
POLL_INTERVAL_S = 1.0
# obs-websocket's ObsOutputState values, as the streamer would say them.
_OUTPUT_STATES = {
    "OBS_WEBSOCKET_OUTPUT_STARTING": "starting",
    "OBS_WEBSOCKET_OUTPUT_STARTED": "started",
    "OBS_WEBSOCKET_OUTPUT_STOPPING": "stopping",
    "OBS_WEBSOCKET_OUTPUT_STOPPED": "stopped",
    "OBS_WEBSOCKET_OUTPUT_RECONNECTING": "reconnecting",
    "OBS_WEBSOCKET_OUTPUT_RECONNECTED": "started",
    "OBS_WEBSOCKET_OUTPUT_PAUSED": "paused",
    "OBS_WEBSOCKET_OUTPUT_RESUMED": "started",
}

SaveSetting = Callable[[str, Any], Awaitable[Any]]


def repairs_json(repairs: Sequence[UrlRepair]) -> dict[str, Any]:
    """What a URL repair changed, without the URLs (they hold the overlay token)."""
    return {
        "changed": [
            {
                "source": r.input_name,
                "widget": r.widget_id,
                "scenes": list(r.scenes),
                "ok": r.ok,
                "error": r.error or None,
                "description": r.describe(),
            }
            for r in repairs
        ]
    }


class ObsNotPossible(ObsError):
    """The control cannot be done in OBS's current state (no such scene, already streaming)."""

    title = "Not possible in OBS"
    exit_code = EXIT_USAGE


@dataclass(frozen=True, slots=True)
class OutputStatus:
    """The stream or record output as the streamer sees it."""

    state: str = "stopped"  # starting, started, reconnecting, paused, stopping, stopped
    timecode: str = ""  # "01:23:45" (OBS's outputTimecode without the milliseconds)
    duration_ms: int = 0
    kbps: int | None = None  # streaming only, once two answers are known
    dropped_frames_percent: float | None = None  # streaming only

    @property
    def active(self) -> bool:
        return self.state in ("started", "reconnecting", "paused")


@dataclass(frozen=True, slots=True)
class ObsStatus:
    """What the app knows about OBS now (``to_json`` is ``GET /api/v1/obs``'s answer)."""

    state: ObsState = "disconnected"
    url: str = DEFAULT_URL
    error: str | None = None
    error_title: str | None = None
    websocket_off: bool = False  # OBS runs but its WebSocket server does not answer
    obs_version: str | None = None
    websocket_version: str | None = None
    scene: str | None = None
    scenes: tuple[str, ...] = ()
    streaming: OutputStatus = field(default_factory=OutputStatus)
    recording: OutputStatus = field(default_factory=OutputStatus)

    @property
    def connected(self) -> bool:
        return self.state == "connected"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["connected"] = self.connected
        data["line"] = self.line()
        data["scenes"] = list(self.scenes)
        for key, output in (("streaming", self.streaming), ("recording", self.recording)):
            data[key]["active"] = output.active
        return data

    def line(self) -> str:
        """One line for the Dashboard and ``obs status``: "OBS: streaming 01:23:45, 6,000 kbps,
        dropped frames 0.1%", "OBS: not running", …"""
        if self.state != "connected":
            return "OBS: " + self._why_not_connected()
        parts: list[str] = []
        stream = self.streaming
        if stream.state == "starting":
            parts.append("starting the stream…")
        elif stream.state == "stopping":
            parts.append("stopping the stream…")
        elif stream.active:
            words = "reconnecting" if stream.state == "reconnecting" else "streaming"
            figures = [f"{words} {stream.timecode or '00:00:00'}"]
            if stream.kbps is not None:
                figures.append(f"{stream.kbps:,} kbps")
            if stream.dropped_frames_percent is not None:
                figures.append(f"dropped frames {stream.dropped_frames_percent:.1f}%")
            parts.append(", ".join(figures))
        else:
            parts.append("not streaming")
        record = self.recording
        if record.state == "paused":
            parts.append(f"recording paused at {record.timecode}")
        elif record.active:
            parts.append(f"recording {record.timecode or '00:00:00'}")
        elif record.state in ("starting", "stopping"):
            parts.append(f"{record.state} the recording…")
        if self.scene:
            parts.append(f"scene “{self.scene}”")
        return "OBS: " + " · ".join(parts)

    def _why_not_connected(self) -> str:
        if self.state == "connecting":
            return "connecting…"
        if self.state == "auth_failed":
            return "needs the WebSocket password (Settings → OBS)"
        if self.state == "unreachable":
            if self.websocket_off:
                return "its WebSocket server is off (Settings → OBS says how to turn it on)"
            if self.error_title == ObsUnreachable.title:
                return "not running"
            title = (self.error_title or "not reachable").removeprefix("OBS ")
            return title[:1].lower() + title[1:]
        if self.error_title:
            return "disconnected in OBS (connect again in Settings → OBS)"
        return "not connected"


def _clock(timecode: object) -> str:
    """OBS's "HH:MM:SS.mmm" as "HH:MM:SS"."""
    return str(timecode or "").split(".", 1)[0]


def _output_state(value: object, active: object) -> str:
    if isinstance(value, str) and value in _OUTPUT_STATES:
        return _OUTPUT_STATES[value]
    return "started" if active else "stopped"


class ObsService:
    """See the module docstring. ``save_setting`` persists a setting (``Preferences.save``)."""

    def __init__(
        self,
        settings: Settings,
        secrets: SecretStore,
        save_setting: SaveSetting,
        *,
        bus: EventBus | None = None,
        connection_options: dict[str, Any] | None = None,
        poll_interval: float = POLL_INTERVAL_S,
    ) -> None:
        self._settings = settings
        self._secrets = secrets
        self._save_setting = save_setting
        self._bus = bus
        self._poll_interval = poll_interval
        self._password: str | None = None
        self.connection = ObsConnection(
            self.url,
            lambda: self._password,
            on_state=self._on_state,
            **(connection_options or {}),
        )
        self.connection.on_event(self._on_event)
        self.status = ObsStatus(url=self._safe_url())
        self._listeners: list[Callable[[ObsStatus], None]] = []
        self._refresh_task: asyncio.Task[None] | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._last_bytes: tuple[int, int] | None = None  # (outputBytes, outputDuration) last seen
        self._ready = asyncio.Event()  # set once the status of this connection has been read

    # --- settings -----------------------------------------------------------------------------

    def url(self) -> str:
        """The OBS address: ``STREAMPAI_OBS_URL``, else the saved one, else OBS's default."""
        return normalize_url(str(self._settings.get(URL_SETTING)))

    def _safe_url(self) -> str:
        try:
            return self.url()
        except ObsError:
            return str(self._settings.get(URL_SETTING))

    @property
    def url_source(self) -> str:
        """Where the address comes from: "environment" (wins for this run), "saved" or
        "default"."""
        return self._settings.source(URL_SETTING)

    @property
    def has_password(self) -> bool:
        return bool(self._password)

    async def configure(self, url: str | None = None, password: str | None = None) -> None:
        """Save a new address and/or password (``""`` removes the password) and connect with
        them at once. :class:`~streampai_desktop.obs.errors.ObsBadUrl` for an address that
        cannot be OBS's; nothing is saved then."""
        if url is not None:
            normalized = normalize_url(url)
            await self._save_setting(URL_SETTING, normalized)
        if password is not None:
            if password:
                await self._secrets.set(PASSWORD_SECRET, password)
            else:
                with contextlib.suppress(SecretStoreError):  # none was saved
                    await self._secrets.delete(PASSWORD_SECRET)
            self._password = password or None
        # A fresh start, not reconnect_now(): an attempt already under way with the old settings
        # must not count as connected with the new ones.
        await self.connection.stop()
        self.connection.start()

    async def connect_with(
        self, url: str | None, password: str | None, *, within: float
    ) -> ObsStatus:
        """:meth:`configure`, then the status once connected. The settings stay saved when OBS
        does not answer (it may not be running yet): the error then starts with "Saved, but"."""
        await self.configure(url=url, password=password)
        try:
            return await self.wait_connected(within)
        except ObsError as exc:
            text = str(exc)
            text = text if text.startswith("OBS") else text[:1].lower() + text[1:]
            # The same kind of error (its title and exit code), saying the settings were kept.
            raise type(exc)(f"Saved, but {text}") from None

    # --- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Read the password from the keyring (once; the connection asks for it on every
        attempt) and start connecting."""
        self._password = await self._secrets.get(PASSWORD_SECRET) or None
        self.connection.start()

    async def stop(self) -> None:
        for task in (self._poll_task, self._refresh_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._poll_task = self._refresh_task = None
        await self.connection.stop()

    async def wait_connected(self, within: float) -> ObsStatus:
        """The status once connected and read (raises why not within ``within`` seconds: at
        once for a refused password).

        Waits for this service's first read after connecting, not just the connection: a
        connection may be replaced right after it is made (new settings arrived during the
        attempt), and its status was never read."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            await self.connection.wait_connected(max(deadline - loop.time(), 0.0))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._ready.wait()
            if self._ready.is_set() and self.status.connected:
                return self.status
            if loop.time() >= deadline:
                raise ObsTimeout(f"OBS did not answer within {within:g} s.")

    def on_change(self, listener: Callable[[ObsStatus], None]) -> Callable[[], None]:
        """``listener(status)`` on every change (besides the bus notice); returns unsubscribe."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    # --- controls -----------------------------------------------------------------------------

    async def set_scene(self, scene: str) -> ObsStatus:
        if not isinstance(scene, str) or not scene.strip():
            raise ObsNotPossible("Name the scene to switch to.")
        if self.status.connected and self.status.scenes and scene not in self.status.scenes:
            known = ", ".join(f"“{s}”" for s in self.status.scenes)
            raise ObsNotPossible(f"OBS has no scene “{scene}”. Its scenes: {known}.")
        await self.connection.request("SetCurrentProgramScene", {"sceneName": scene})
        self._publish(replace(self.status, scene=scene))
        return self.status

    async def start_stream(self) -> ObsStatus:
        return await self._output("StartStream", self.status.streaming, start=True)

    async def stop_stream(self) -> ObsStatus:
        return await self._output("StopStream", self.status.streaming, start=False)

    async def start_record(self) -> ObsStatus:
        return await self._output("StartRecord", self.status.recording, start=True)

    async def stop_record(self) -> ObsStatus:
        return await self._output("StopRecord", self.status.recording, start=False)

    async def _output(self, request: str, output: OutputStatus, *, start: bool) -> ObsStatus:
        what = "streaming" if "Stream" in request else "recording"
        try:
            await self.connection.request(request)
        except ObsRequestFailed as exc:
            if exc.code == 500:
                raise ObsNotPossible(f"OBS is already {what}.") from None
            if exc.code == 501:
                raise ObsNotPossible(f"OBS is not {what}.") from None
            raise
        return self.status

    # --- what OBS tells us --------------------------------------------------------------------

    def _publish(self, status: ObsStatus) -> None:
        if status == self.status:
            return
        self.status = status
        if self._bus is not None:
            publish_notice(self._bus, ObsStatusChanged(status))
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                log.exception("OBS status listener failed")

    def _on_state(self, state: ObsState) -> None:
        self._ready.clear()
        error = self.connection.error
        info = self.connection.info
        if state == "connected":
            status = replace(
                self.status,
                state=state,
                url=self._safe_url(),
                error=None,
                error_title=None,
                websocket_off=False,
                obs_version=info.obs_version if info else None,
                websocket_version=info.websocket_version if info else None,
            )
            self._publish(status)
            self._refresh_task = asyncio.create_task(self._refresh(), name="obs status refresh")
            return
        # Not connected: what OBS was doing is unknown now.
        self._last_bytes = None
        self._publish(
            ObsStatus(
                state=state,
                url=self._safe_url(),
                error=str(error) if error is not None else None,
                error_title=error.title if error is not None else None,
                websocket_off=isinstance(error, ObsDisabled),
            )
        )

    async def _refresh(self) -> None:
        """Everything at once after connecting (one batch: a single round trip)."""
        try:
            results = await self.connection.batch(
                [
                    ("GetSceneList", None),
                    ("GetStreamStatus", None),
                    ("GetRecordStatus", None),
                ]
            )
        except ObsError as exc:
            log.info("OBS: could not read its state after connecting: %s", exc)
            return
        scenes, stream, record = results
        status = self.status
        if scenes.ok:
            names = [str(s.get("sceneName", "")) for s in scenes.data.get("scenes", [])]
            # GetSceneList lists the bottom scene first; OBS's own list shows the top first.
            status = replace(
                status,
                scenes=tuple(reversed(names)),
                scene=str(scenes.data.get("currentProgramSceneName") or "") or None,
            )
        if stream.ok:
            status = replace(status, streaming=self._stream_figures(status.streaming, stream.data))
        if record.ok:
            status = replace(status, recording=self._record_figures(status.recording, record.data))
        self._publish(status)
        self._ready.set()
        self._poll_if_active()

    def _on_event(self, event_type: str, data: dict[str, Any]) -> None:
        status = self.status
        if event_type == "CurrentProgramSceneChanged":
            self._publish(replace(status, scene=str(data.get("sceneName") or "") or None))
        elif event_type == "SceneListChanged":
            names = [str(s.get("sceneName", "")) for s in data.get("scenes", [])]
            self._publish(replace(status, scenes=tuple(reversed(names))))
        elif event_type == "SceneNameChanged":
            old, new = data.get("oldSceneName"), str(data.get("sceneName") or "")
            scenes = tuple(new if s == old else s for s in status.scenes)
            scene = new if status.scene == old else status.scene
            self._publish(replace(status, scenes=scenes, scene=scene))
        elif event_type in ("StreamStateChanged", "RecordStateChanged"):
            state = _output_state(data.get("outputState"), data.get("outputActive"))
            if event_type == "StreamStateChanged":
                if state == "starting":
                    self._last_bytes = None
                stream = status.streaming
                if state in ("starting", "stopped"):
                    stream = OutputStatus()
                self._publish(replace(status, streaming=replace(stream, state=state)))
            else:
                record = status.recording
                if state in ("starting", "stopped"):
                    record = OutputStatus()
                self._publish(replace(status, recording=replace(record, state=state)))
            self._poll_if_active()

    # --- polling while streaming or recording -------------------------------------------------

    def _poll_if_active(self) -> None:
        active = self.status.streaming.active or self.status.recording.active
        if active and (self._poll_task is None or self._poll_task.done()):
            self._poll_task = asyncio.create_task(self._poll(), name="obs output status")

    async def _poll(self) -> None:
        while self.status.connected and (
            self.status.streaming.active or self.status.recording.active
        ):
            await asyncio.sleep(self._poll_interval)
            requests: list[tuple[str, dict[str, Any] | None]] = []
            if self.status.streaming.active:
                requests.append(("GetStreamStatus", None))
            if self.status.recording.active:
                requests.append(("GetRecordStatus", None))
            if not requests:
                return
            try:
                results = await self.connection.batch(requests)
            except ObsError:
                return  # the connection went; _on_state says so and a reconnect refreshes
            status = self.status
            for result in results:
                if not result.ok:
                    continue
                if result.request_type == "GetStreamStatus" and status.streaming.active:
                    figures = self._stream_figures(status.streaming, result.data)
                    status = replace(status, streaming=figures)
                elif result.request_type == "GetRecordStatus" and status.recording.active:
                    figures = self._record_figures(status.recording, result.data)
                    status = replace(status, recording=figures)
            self._publish(status)

    def _stream_figures(self, current: OutputStatus, data: dict[str, Any]) -> OutputStatus:
        active = bool(data.get("outputActive"))
        if not active:
            self._last_bytes = None
            return OutputStatus(state="stopped" if current.state != "starting" else "starting")
        sent, duration = int(data.get("outputBytes") or 0), int(data.get("outputDuration") or 0)
        kbps = current.kbps
        if self._last_bytes is not None and duration > self._last_bytes[1]:
            # bytes * 8 / ms = kilobits per second
            kbps = round((sent - self._last_bytes[0]) * 8 / (duration - self._last_bytes[1]))
        self._last_bytes = (sent, duration)
        total = int(data.get("outputTotalFrames") or 0)
        skipped = int(data.get("outputSkippedFrames") or 0)
        dropped = round(100 * skipped / total, 1) if total else None
        state = "reconnecting" if data.get("outputReconnecting") else "started"
        return OutputStatus(state, _clock(data.get("outputTimecode")), duration, kbps, dropped)

    def _record_figures(self, current: OutputStatus, data: dict[str, Any]) -> OutputStatus:
        if not data.get("outputActive"):
            return OutputStatus(state="stopped" if current.state != "starting" else "starting")
        state = "paused" if data.get("outputPaused") else "started"
        return OutputStatus(
            state, _clock(data.get("outputTimecode")), int(data.get("outputDuration") or 0)
        )
