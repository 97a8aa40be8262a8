"""The composition root: one readable list of start-up steps, each logged, each registering its
own teardown; shutdown runs the teardowns in reverse order and is safe to call twice.

The same :class:`App` runs headless (plain asyncio) and under Qt (qasync); nothing here imports
Qt. The GUI builds its window on top of a started :class:`App` (see ``ui/run.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import logging
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from streampai_desktop import __version__, persistence
from streampai_desktop.core.alerts import AlertPlan, AlertQueue, QueueSettings
from streampai_desktop.core.bus import TOPIC_APP, EventBus, widget_config_topic
from streampai_desktop.core.events import Event
from streampai_desktop.instance import InstanceLock
from streampai_desktop.logging_setup import setup_logging, teardown_logging
from streampai_desktop.media import import_media
from streampai_desktop.persistence import WidgetInstance
from streampai_desktop.secrets import (
    API_TOKEN,
    OVERLAY_TOKEN,
    SecretStore,
    open_secret_store,
)
from streampai_desktop.server import OverlayServer, PortInUseError, ServerContext, overlay_url
from streampai_desktop.server.context import Tokens
from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.server.pages import OVERLAY_DIST
from streampai_desktop.settings import Settings
from streampai_desktop.store import Database, open_database
from streampai_desktop.stream.demo import DemoSource
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.stream.manager import StreamManager
from streampai_desktop.widgets import WIDGETS, alert_box
from streampai_desktop.widgets.schema import clean_name

if TYPE_CHECKING:  # imported when sync starts: httpx is not needed to show the window
    from streampai_desktop.cloud.engine import SyncEngine, SyncStatus
    from streampai_desktop.cloud.live import LiveChannel
    from streampai_desktop.cloud.transport import AccountSession

log = logging.getLogger(__name__)

T = TypeVar("T")
Teardown = Callable[[], Awaitable[None] | None]
# Asked when the overlay port is taken: return the port to use instead (saved), or None to give up.
PortInUseHandler = Callable[[PortInUseError], Awaitable[int | None]]


@dataclass(slots=True)
class AppOptions:
    data_dir: Path
    port: int | None = None  # a command-line override for this run
    headless: bool = False
    demo: bool | None = None  # None: on when no account is connected
    verbose: bool = False
    log_to_file: bool = True


@dataclass(slots=True)
class AppState:
    """What the UI shows about the running app (filled in by the init steps)."""

    notices: list[str] = field(default_factory=list)  # one-off messages (db moved aside, ...)
    secrets_warning: str | None = None
    log_file: Path | None = None
    demo_reason: str = ""


class App:
    """Owns every long-lived part of the running app."""

    def __init__(
        self, options: AppOptions, *, on_port_in_use: PortInUseHandler | None = None
    ) -> None:
        self.options = options
        self.data_dir = options.data_dir
        self.state = AppState()
        self._on_port_in_use = on_port_in_use
        self._teardowns: list[tuple[str, Teardown]] = []
        self._shutdown_started = False
        self.started_at = time.monotonic()
        self.server_id = uuid.uuid4().hex
        self.bus = EventBus()
        self.db_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="db")
        # Filled in by the init steps below.
        self.instance_lock: InstanceLock
        self.db: Database
        self.settings: Settings
        self.secrets: SecretStore
        self.tokens: Tokens
        self.ingest: EventIngest
        self.server: OverlayServer
        self.demo: DemoSource | None = None
        self.streams: StreamManager
        self.raise_window: Callable[[], bool] = lambda: False  # the GUI replaces it
        self.cloud: AccountSession
        self.sync: SyncEngine
        self.live: LiveChannel
        self.widgets: dict[str, WidgetInstance] = {}  # instance id → instance
        self.alerts: AlertQueue
        self._alert_rng = random.Random()

    # --- start-up -------------------------------------------------------------------------------

    @property
    def init_steps(self) -> Sequence[Callable[[], Awaitable[None]]]:
        return (
            self._init_data_dir,
            self._init_instance_lock,
            self._init_store,
            self._init_settings,
            self._init_secrets,
            self._init_ingest,
            self._init_widgets,
            self._init_alert_queue,
            self._init_server,
            self._init_stream_manager,
            self._init_sync,
            self._init_demo,
        )

    async def start(self) -> None:
        """Run every init step in order; on failure, undo what was done and re-raise."""
        try:
            for step in self.init_steps:
                name = step.__name__.removeprefix("_init_")
                began = time.perf_counter()
                await step()
                log.debug("init %s done in %.0f ms", name, (time.perf_counter() - began) * 1000)
        except BaseException:
            await self.shutdown()
            raise
        log.info(
            "Streampai Desktop %s ready in %.2f s (data folder %s)",
            __version__,
            time.monotonic() - self.started_at,
            self.data_dir,
        )

    def on_shutdown(self, name: str, teardown: Teardown) -> None:
        """Register ``teardown``; teardowns run in reverse order of registration."""
        self._teardowns.append((name, teardown))

    async def _init_data_dir(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_dir = self.data_dir / "logs" if self.options.log_to_file else None
        self.state.log_file = setup_logging(log_dir, verbose=self.options.verbose)
        log.info("Streampai Desktop %s starting (data folder %s)", __version__, self.data_dir)
        self.on_shutdown("db executor", lambda: self.db_executor.shutdown(wait=True))

    async def _init_instance_lock(self) -> None:
        self.instance_lock = InstanceLock(self.data_dir)
        self.instance_lock.acquire()
        self.on_shutdown("instance lock", self.instance_lock.release)

    async def _init_store(self) -> None:
        opened = await self.run_db(open_database, self.data_dir)
        self.db = opened.db
        self.state.notices.extend(opened.notices)
        self.on_shutdown("database", lambda: self.run_db(self.db.close))

    async def _init_settings(self) -> None:
        stored = await self.run_db(persistence.load_preferences, self.db)
        overrides = {"overlay_port": self.options.port} if self.options.port else {}
        self.settings = Settings(stored, overrides=overrides)
        for problem in self.settings.problems:
            log.warning("setting ignored: %s", problem)

    async def _init_secrets(self) -> None:
        self.secrets = await asyncio.to_thread(open_secret_store, self.data_dir)
        self.state.secrets_warning = self.secrets.warning
        overlay = await asyncio.to_thread(self.secrets.ensure_token_blocking, OVERLAY_TOKEN)
        api = await asyncio.to_thread(self.secrets.ensure_token_blocking, API_TOKEN)
        self.tokens = Tokens(overlay=overlay, api=api)
        log.info("secrets are kept in %s", self.secrets.backend.description)

    async def _init_ingest(self) -> None:
        self.ingest = EventIngest(self.bus, self._write_event_batch)
        self.ingest.start()
        self.on_shutdown("event ingest", self.ingest.stop)

    async def _init_widgets(self) -> None:
        instances = await self.run_db(persistence.load_widgets, self.db)
        self.widgets = {w.id: w for w in instances}

    async def _init_alert_queue(self) -> None:
        self.alerts = AlertQueue(
            self.bus, self._plan_alert, self._alert_queue_settings, self._alert_box_can_show
        )
        self.alerts.start()
        self.on_shutdown("alert queue", self.alerts.stop)

    async def _init_server(self) -> None:
        self.emotes = EmoteCache(
            self.data_dir / "cache" / "emotes",
            {
                "twitch": self.settings.get("twitch_emote_url"),
                "kick": self.settings.get("kick_emote_url"),
            },
        )
        self.on_shutdown("emote cache", self.emotes.close)
        port = self.settings.overlay_port
        while True:
            self.server = OverlayServer(self._server_context(port))
            try:
                await self.server.start()
                break
            except PortInUseError as exc:
                replacement = await self._on_port_in_use(exc) if self._on_port_in_use else None
                if replacement is None:
                    raise
                port = await self.save_setting("overlay_port", replacement)
        self.instance_lock.publish(self.port, self.options.headless)
        self.on_shutdown("overlay server", self._stop_server)

    async def _stop_server(self) -> None:
        await self.server.stop()

    async def _init_stream_manager(self) -> None:
        self.streams = StreamManager(
            self.bus,
            self.submit_event,
            metric_sink=lambda samples: self.run_db(
                persistence.add_metric_samples, self.db, samples
            ),
            connector_options={"settings": self.settings, "secrets": self.secrets},
        )
        removed = await self.run_db(persistence.downsample_metrics, self.db)
        if removed:
            log.info("downsampled %d old metric samples", removed)
        accounts = await self.run_db(persistence.load_accounts, self.db)
        await self.streams.start(accounts)
        self.on_shutdown("stream manager", self.streams.stop)

    async def _init_sync(self) -> None:
        from streampai_desktop.cloud.engine import SyncEngine
        from streampai_desktop.cloud.live import LiveChannel
        from streampai_desktop.cloud.transport import AccountSession, HttpTransport, local_row_ids

        self.cloud = AccountSession(self.settings.get("account_service_url"), self.secrets)
        self.on_shutdown("account session", self.cloud.close)
        transport = HttpTransport(self.cloud, lambda: self.run_db(local_row_ids, self.db))
        self.sync = SyncEngine(
            self.db,
            self.run_db,
            transport,
            on_applied=self._reload_after_sync,
            on_status=self._publish_sync_status,
        )
        self.on_shutdown("sync", self.sync.stop)
        self.live = LiveChannel(self.cloud, lambda version: self.sync.poke(), self.submit_event)
        self.on_shutdown("live channel", self.live.stop)
        if await self.cloud.signed_in():
            self.sync.start()
            self.live.start()

    async def _init_demo(self) -> None:
        wanted = self.options.demo
        if wanted is None:
            has_account = await self.run_db(persistence.any_account_enabled, self.db)
            wanted = not has_account and self.settings.demo_when_offline
            self.state.demo_reason = (
                "Demo mode is on because no account is connected: demo chat and alerts are "
                "being sent to your overlays."
                if wanted
                else ""
            )
        elif wanted:
            self.state.demo_reason = "Demo mode is on (--demo)."
        if wanted:
            await self.set_demo(True)
            log.info("%s", self.state.demo_reason)
        self.on_shutdown("demo", lambda: self.set_demo(False))

    # --- running --------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self.server.ctx.port

    def overlay_urls(self) -> dict[str, str]:
        """Widget instance id → the URL to paste into an OBS browser source."""
        return {w: overlay_url(self.port, w, self.tokens.overlay) for w in self.widgets}

    async def run_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store call on the single database thread."""
        return await asyncio.get_running_loop().run_in_executor(self.db_executor, fn, *args)

    async def submit_event(self, event: Event) -> bool:
        return await self.ingest.submit(event)

    async def _write_event_batch(self, events: Sequence[Event]) -> None:
        await self.run_db(persistence.append_events, self.db, list(events))

    async def recent_events(self, limit: int = 200) -> list[Event]:
        """The newest logged events, newest first (for the Events page on open)."""
        return await self.run_db(persistence.recent_events, self.db, limit)

    async def set_demo(self, on: bool) -> None:
        if on and self.demo is None:
            self.demo = DemoSource(self.submit_event)
            self.demo.start()
        elif not on and self.demo is not None:
            demo, self.demo = self.demo, None
            await demo.stop()

    async def save_setting(self, key: str, value: Any) -> Any:
        """Validate, persist and apply one setting; returns the parsed value."""
        parsed = self.settings.validate(key, value)
        await self.run_db(persistence.save_preference, self.db, key, parsed)
        self.settings.set_stored(key, parsed)
        if key in persistence.SYNCED_PREFERENCES:
            self._local_edit()
        return parsed

    async def change_port(self, port: int) -> None:
        """Move the overlay server to ``port`` (saved); on PortInUseError it stays where it was."""
        port = self.settings.validate("overlay_port", port)
        if port == self.port:
            return
        # Start on the new port before letting go of the old one: if the new port is taken,
        # nothing changed and OBS keeps its connection.
        candidate = OverlayServer(self._server_context(port))
        await candidate.start()
        previous, self.server = self.server, candidate
        await previous.stop()
        await self.save_setting("overlay_port", port)
        self.instance_lock.publish(port, self.options.headless)

    async def regenerate_token(self, which: str) -> str:
        """New overlay or API token; old overlay URLs stop working and open pages disconnect."""
        value = await self.secrets.regenerate_token(which)
        if which == OVERLAY_TOKEN:
            self.tokens.overlay = value
            await self.server.hub.disconnect_all(4401, "token changed")
        elif which == API_TOKEN:
            self.tokens.api = value
        else:
            raise ValueError(f"unknown token {which!r}")
        return value

    async def save_widget_config(self, widget_id: str, config: dict[str, Any]) -> dict[str, Any]:
        """Validate, persist and push a widget's config to every open page of that widget.

        Raises :class:`~streampai_desktop.widgets.schema.ConfigError` (nothing saved) when a
        value is not usable; returns the cleaned config.
        """
        widget = self.widgets[widget_id]
        cleaned = WIDGETS[widget.type].validate(config)
        await self.run_db(persistence.save_widget_config, self.db, widget_id, cleaned)
        self.widgets[widget_id] = replace(widget, config=cleaned)
        self.bus.publish(widget_config_topic(widget_id), {"widget": widget_id, "config": cleaned})
        self.alerts.poke()
        self._local_edit()
        return cleaned

    async def create_widget(self, widget_type: str, name: str) -> WidgetInstance:
        """Another instance of a widget type, with its own URL and settings."""
        widget = await self.run_db(persistence.create_widget, self.db, widget_type, name)
        self.widgets[widget.id] = widget
        self._local_edit()
        return widget

    async def rename_widget(self, widget_id: str, name: str) -> None:
        await self.run_db(persistence.rename_widget, self.db, widget_id, name)
        self.widgets[widget_id] = replace(self.widgets[widget_id], name=clean_name(name))
        self._local_edit()

    async def delete_widget(self, widget_id: str) -> None:
        """Remove an extra instance (the first of each type stays: its URL is the stable one)."""
        widget = self.widgets[widget_id]
        if widget.id == widget.type:
            raise ValueError("the first widget of each type cannot be deleted")
        await self.run_db(persistence.delete_widget, self.db, widget_id)
        del self.widgets[widget_id]
        self._local_edit()

    async def import_media(self, source: Path, kinds: tuple[str, ...]) -> str:
        """Copy a picked image/video/sound into the data folder; returns its media ref.
        Raises :class:`~streampai_desktop.media.MediaError` with a message for the streamer."""
        return await asyncio.to_thread(import_media, self.data_dir, source, kinds)

    # --- account & sync -----------------------------------------------------------------------

    async def cloud_sign_in(
        self,
        email: str,
        password: str,
        *,
        register: bool = False,
        handle: str | None = None,
        keep: str | None = None,
    ) -> dict[str, Any]:
        """Sign in (or register) to the Streampai account, then sync.

        When both this computer and the account already have a config, ``keep`` says which one
        wins: "this_computer" pushes every local row, "account" drops local edits and pulls.
        Without a choice in that case :class:`ChoiceRequired` is raised and nothing is changed.
        """
        from streampai_desktop.cloud.engine import ChoiceRequired, SyncError

        if register:
            account = await self.cloud.register(email, password, handle)
        else:
            account = await self.cloud.sign_in(email, password)
        page = await self.sync.transport.pull(0, 1)
        if page.changes and keep is None:
            raise ChoiceRequired(account)
        if keep == "account":
            await self.run_db(persistence.discard_local_sync_state, self.db)
        elif keep == "this_computer" or not page.changes:
            await self.run_db(persistence.queue_full_snapshot, self.db)
        try:
            await self.sync.sync_now()
        except SyncError as exc:  # signed in all the same: the background loop retries
            log.warning("first sync after signing in failed: %s", exc)
        self.sync.start()
        self.live.start()
        return account

    async def cloud_sign_out(self) -> None:
        await self.live.stop()
        await self.sync.stop()
        await self.cloud.sign_out()

    async def _reload_after_sync(self) -> None:
        """Another computer's changes landed: refresh widgets (pushing new configs to open
        overlays) and the synced preferences."""
        instances = {w.id: w for w in await self.run_db(persistence.load_widgets, self.db)}
        for widget_id, widget in instances.items():
            old = self.widgets.get(widget_id)
            if old is None or old.config != widget.config:
                self.bus.publish(
                    widget_config_topic(widget_id), {"widget": widget_id, "config": widget.config}
                )
        self.widgets = instances
        stored = await self.run_db(persistence.load_preferences, self.db)
        for key in persistence.SYNCED_PREFERENCES & set(stored):
            self.settings.set_stored(key, stored[key])
        # Accounts connected on another computer show up here as "sign in again" (no tokens).
        accounts = {a.id: a for a in await self.run_db(persistence.load_accounts, self.db)}
        running = set(self.streams.states())
        for account_id in running - set(accounts):
            await self.streams.disable(account_id)
        for account_id, account in accounts.items():
            if account_id not in running and account.enabled:
                await self.streams.enable(account)
        self.bus.publish(TOPIC_APP, {"type": "sync_applied"})

    def _publish_sync_status(self, status: SyncStatus) -> None:
        self.bus.publish(
            TOPIC_APP, {"type": "sync_status", "state": status.state, "detail": status.detail}
        )

    def _local_edit(self) -> None:
        if getattr(self, "sync", None) is not None:
            self.sync.poke()

    # --- platforms --------------------------------------------------------------------------------

    async def sign_in_twitch(self, show_code: Callable[..., Any]) -> None:
        """Platforms page → Connect Twitch: the device code flow (``show_code`` shows the code and
        the verification link), then the channel's connector starts; demo events stop."""
        from streampai_desktop.platforms.twitch import auth
        from streampai_desktop.platforms.twitch.client import TwitchEndpoints

        result = await auth.sign_in(
            TwitchEndpoints.from_settings(self.settings), self.secrets, show_code
        )
        account = await self.run_db(
            persistence.save_account,
            self.db,
            "twitch",
            result.user_id,
            result.login,
            result.login,
        )
        await self.streams.enable(account)
        await self.set_demo(False)

    async def disconnect_account(self, account_id: str) -> None:
        """Stop the connector, delete its tokens from the keyring, forget the account."""
        await self.streams.sign_out(account_id)
        await self.run_db(persistence.remove_account, self.db, account_id)

    # --- alerts -----------------------------------------------------------------------------------

    def _alert_boxes(self) -> list[WidgetInstance]:
        return [w for w in self.widgets.values() if w.type == "alert_box"]

    def _plan_alert(self, event: Event, alert_id: str) -> AlertPlan | None:
        """Each alert box instance's resolved settings; None when none of them shows it."""
        frames: dict[str, dict[str, Any]] = {}
        duration = 0
        for box in self._alert_boxes():
            # Seeded per alert and instance: a replay or a reconnect draws the same variation.
            rng = random.Random(f"{alert_id}:{box.id}")
            resolved = alert_box.resolve(box.config, event, rng)
            if resolved is not None:
                frames[box.id] = {"settings": resolved.settings, "variation": resolved.variation}
                duration = max(duration, int(resolved.settings["duration_ms"]))
        return AlertPlan(duration, frames) if frames else None

    def _primary_alert_box(self) -> dict[str, Any]:
        return self.widgets["alert_box"].config if "alert_box" in self.widgets else {}

    def _alert_queue_settings(self) -> QueueSettings:
        config = self._primary_alert_box()
        return QueueSettings(
            gap_ms=config.get("gap_ms", 1000), max_wait_s=config.get("max_wait_s", 600)
        )

    def _alert_control(self, action: str) -> dict[str, Any]:
        {
            "skip": self.alerts.skip,
            "pause": self.alerts.pause,
            "resume": self.alerts.resume,
            "clear": self.alerts.clear,
        }[action]()
        return self.alerts.state()

    def _alert_box_can_show(self) -> bool:
        if not self.server.running:
            return False
        hold = bool(self._primary_alert_box().get("hold_when_hidden", False))
        return self.server.hub.showing_pages("alert_box", visible_only=hold) > 0

    def status(self) -> dict[str, Any]:
        return {
            "alerts": self.alerts.state(),
            "platforms": {aid: st.to_json() for aid, st in self.streams.states().items()},
            "stream": self.streams.combined().to_json(),
            "demo": self.demo is not None,
            "port": self.port,
            "overlays": self.server.hub.connected_counts(),
            "headless": self.options.headless,
        }

    def _server_context(self, port: int) -> ServerContext:
        def widget_lookup(widget_id: str) -> tuple[str, dict[str, Any]] | None:
            widget = self.widgets.get(widget_id)
            return (widget.type, widget.config) if widget else None

        return ServerContext(
            bus=self.bus,
            port=port,
            tokens=self.tokens,
            overlay_dist=OVERLAY_DIST,
            data_dir=self.data_dir,
            emotes=self.emotes,
            submit_event=self.submit_event,
            widget_lookup=widget_lookup,
            status=self.status,
            server_id=self.server_id,
            on_presence=lambda: self.alerts.poke(),
            alert_control=self._alert_control,
            list_widgets=lambda: [
                {"id": w.id, "type": w.type, "name": w.name, "config": w.config}
                for w in self.widgets.values()
            ],
            save_widget_config=self.save_widget_config,
            raise_window=lambda: self.raise_window(),
        )

    # --- shutdown -------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Undo every init step that ran, newest first. Idempotent."""
        if self._shutdown_started:
            return
        self._shutdown_started = True
        while self._teardowns:
            name, teardown = self._teardowns.pop()
            try:
                result = teardown()
                if inspect.isawaitable(result):
                    await result
                log.debug("stopped %s", name)
            except Exception:
                log.exception("error while stopping %s", name)
        log.info("Streampai Desktop stopped")
        teardown_logging()
