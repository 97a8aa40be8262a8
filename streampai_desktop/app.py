"""The composition root: one readable list of start-up steps, each logged, each registering its
own teardown; shutdown runs the teardowns in reverse order and is safe to call twice.

Each step builds one service and hands it the services it uses; consumers (the server, the
view-models, the CLI) receive services, not the app. The same :class:`App` runs headless (plain
asyncio) and under Qt (qasync); nothing here imports Qt. The GUI builds its window on top of a
started :class:`App` (see ``ui/run.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from streampai_desktop import __version__
from streampai_desktop.app_options import AppOptions, AppState
from streampai_desktop.archive.service import ArchiveService
from streampai_desktop.core.alerts import AlertQueue
from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.core.lifecycle import Lifecycle, Teardown, resume_gc_after_startup
from streampai_desktop.instance import InstanceLock
from streampai_desktop.logging_setup import setup_logging, teardown_logging
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.preferences import Preferences
from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN, open_secret_store
from streampai_desktop.server import ServerContext
from streampai_desktop.server.context import Tokens
from streampai_desktop.server.control import OverlayService, PortInUseHandler
from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.server.pages import OVERLAY_DIST
from streampai_desktop.settings import Settings
from streampai_desktop.store import open_database
from streampai_desktop.store import operations as ops
from streampai_desktop.store.restore import apply_pending_restore
from streampai_desktop.stream.connections import PlatformService
from streampai_desktop.stream.demo_control import DemoControl
from streampai_desktop.stream.event_log import recent_events, write_events
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.widgets.alert_planner import AlertPlanner
from streampai_desktop.widgets.service import WidgetService

if TYPE_CHECKING:
    pass

__all__ = ["App", "AppOptions", "AppState"]

log = logging.getLogger(__name__)

T = TypeVar("T")


class App:
    """Builds the services, hands each consumer the ones it uses, and stops them in reverse."""

    def __init__(
        self, options: AppOptions, *, on_port_in_use: PortInUseHandler | None = None
    ) -> None:
        self.options = options
        self.data_dir = options.data_dir
        self.state = AppState()
        self._on_port_in_use = on_port_in_use
        self._lifecycle = Lifecycle(log)
        self.started_at = time.monotonic()
        self.server_id = uuid.uuid4().hex
        self.bus = EventBus()
        self.db_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="db")
        self.raise_window: Callable[[], bool] = lambda: False  # the GUI replaces it
        # The services (db, settings, preferences, secrets, tokens, ingest, widgets, alerts,
        # emotes, overlays, platforms + streams, account, demo) are set by the init steps below.

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
            self._init_platforms,
            self._init_account,
            self._init_archive,
            self._init_obs,
            self._init_server,
            self._init_demo,
        )

    async def start(self) -> None:
        """Run every init step in order; on failure, undo what was done and re-raise."""
        try:
            await self._lifecycle.run(self.init_steps)
        finally:
            resume_gc_after_startup()  # if the entry point paused it
        ready_in = time.monotonic() - self.started_at
        log.info("Streampai Desktop %s ready in %.2f s (%s)", __version__, ready_in, self.data_dir)

    def on_shutdown(self, name: str, teardown: Teardown) -> None:
        """Register ``teardown``; teardowns run in reverse order of registration."""
        self._lifecycle.on_shutdown(name, teardown)

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
        # A restore the window scheduled: done here, before anything opens the database.
        restored = await self.run_db(apply_pending_restore, self.data_dir)
        if restored:
            self.state.notices.append(restored)
        opened = await self.run_db(open_database, self.data_dir)
        self.db = opened.db
        self.state.notices.extend(opened.notices)
        self.on_shutdown("database", lambda: self.run_db(self.db.close))

    async def _init_settings(self) -> None:
        stored = await self.run_db(ops.load_preferences, self.db)
        overrides = {"overlay_port": self.options.port} if self.options.port else {}
        self.settings = Settings(stored, overrides=overrides)
        for problem in self.settings.problems:
            log.warning("setting ignored: %s", problem)
        self.preferences = Preferences(self.settings, self.db, self.run_db)

    async def _init_secrets(self) -> None:
        self.secrets = await asyncio.to_thread(open_secret_store, self.data_dir)
        self.state.secrets_warning = self.secrets.warning
        overlay = await asyncio.to_thread(self.secrets.ensure_token_blocking, OVERLAY_TOKEN)
        api = await asyncio.to_thread(self.secrets.ensure_token_blocking, API_TOKEN)
        self.tokens = Tokens(overlay=overlay, api=api)
        log.info("secrets are kept in %s", self.secrets.backend.description)

    async def _init_ingest(self) -> None:
        self.ingest = EventIngest(self.bus, lambda batch: self.run_db(write_events, self.db, batch))
        self.ingest.start()
        self.on_shutdown("event ingest", self.ingest.stop)

    async def _init_widgets(self) -> None:
        self.widgets = WidgetService(self.bus, self.db, self.run_db, self.data_dir)
        await self.widgets.load()

    async def _init_alert_queue(self) -> None:
        planner = AlertPlanner(
            self.widgets,
            lambda kind, visible_only: self.overlays.showing_pages(kind, visible_only),
        )
        self.alerts = AlertQueue(self.bus, planner.plan, planner.queue_settings, planner.can_show)
        self.alerts.start()
        self.on_shutdown("alert queue", self.alerts.stop)
        # A saved alert box config may change the gap or what can show now.
        self.widgets.on_saved = self.alerts.poke

    async def _init_server(self) -> None:
        self.emotes = EmoteCache(
            self.data_dir / "cache" / "emotes",
            {p.id: url for p in PLATFORMS.values() if (url := p.emote_url(self.settings))},
        )
        self.on_shutdown("emote cache", self.emotes.close)
        context = ServerContext(
            bus=self.bus,
            port=self.settings.overlay_port,
            tokens=self.tokens,
            overlay_dist=OVERLAY_DIST,
            data_dir=self.data_dir,
            emotes=self.emotes,
            ingest=self.ingest,
            widgets=self.widgets,
            alerts=self.alerts,
            platforms=self.platforms,
            account=self.account,
            archive=self.archive,
            obs=self.obs,
            status=self.status,
            raise_window=lambda: self.raise_window(),
            server_id=self.server_id,
            on_presence=self.alerts.poke,
        )
        self.overlays = OverlayService(context, self.secrets, self._save_port)
        await self.overlays.start(self._on_port_in_use)
        self.instance_lock.publish(self.port, self.options.headless)
        self.on_shutdown("overlay server", self.overlays.stop)

    async def _save_port(self, port: int) -> int:
        saved = int(await self.preferences.save("overlay_port", port))
        if self.overlays.server is not None:
            self.instance_lock.publish(saved, self.options.headless)
        return saved

    async def _init_platforms(self) -> None:
        self.platforms = PlatformService(
            self.bus,
            self.db,
            self.run_db,
            self.ingest.submit,
            settings=self.settings,
            secrets=self.secrets,
            on_connected=lambda: self.demo.set(False),
        )
        self.streams = self.platforms.streams
        await self.platforms.start()
        self.on_shutdown("platform connections", self.platforms.stop)

    async def _init_account(self) -> None:
        from streampai_desktop.cloud.service import AccountService  # httpx: not on the hot path

        self.account = AccountService(
            self.bus,
            self.db,
            self.run_db,
            service_url=self.settings.get("account_service_url"),
            secrets=self.secrets,
            submit=self.ingest.submit,
            reloads=[
                self.widgets.reload,
                self.preferences.reload_synced,
                self.platforms.reconcile,
            ],
        )
        self.on_shutdown("account", self.account.stop)
        self.widgets.on_local_edit = self.account.local_edit
        self.preferences.on_local_edit = self.account.local_edit
        await self.account.start()

    async def _init_archive(self) -> None:
        self.archive = ArchiveService(
            self.data_dir,
            self.db,
            self.run_db,
            self.bus,
            reloads=[self.widgets.reload, self.preferences.reload_synced],
            on_local_edit=self.account.local_edit,
        )
        self.archive.daily.start()  # its first backup comes after start-up, never on its path
        self.on_shutdown("daily backups", self.archive.daily.stop)

    async def _init_obs(self) -> None:
        from streampai_desktop.obs.service import ObsService

        # Always on, at the saved address or OBS's default: a streamer whose OBS has its
        # WebSocket server on is found without a setup step; while OBS is closed it retries
        # quietly (one log line per change, not per attempt).
        self.obs = ObsService(self.settings, self.secrets, self.preferences.save, bus=self.bus)
        await self.obs.start()
        self.on_shutdown("obs", self.obs.stop)

    async def _init_demo(self) -> None:
        self.demo = DemoControl(self.bus, self.ingest.submit)
        has_account = await self.run_db(ops.any_account_enabled, self.db)
        when_offline = self.settings.demo_when_offline
        await self.demo.start(self.options.demo, has_account=has_account, when_offline=when_offline)
        self.on_shutdown("demo", lambda: self.demo.set(False))

    # --- what several consumers read ----------------------------------------------------------

    @property
    def port(self) -> int:
        return self.overlays.port

    def overlay_urls(self) -> dict[str, str]:
        """Widget instance id → the URL to paste into an OBS browser source."""
        return self.overlays.urls(list(self.widgets))

    async def run_db(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a blocking store call on the single database thread."""
        return await asyncio.get_running_loop().run_in_executor(self.db_executor, fn, *args)

    async def recent_events(self, limit: int = 200) -> list[Event]:
        """The newest logged events, newest first (for the Events page on open)."""
        return await self.run_db(recent_events, self.db, limit)

    def status(self) -> dict[str, Any]:
        """GET /api/v1/status: read-only facts about the running app."""
        sync = self.account.sync.status
        return {
            "alerts": self.alerts.state(),
            "platforms": {aid: st.to_json() for aid, st in self.streams.states().items()},
            "stream": self.streams.combined().to_json(),
            "sync": {"state": sync.state, "detail": sync.detail, "pending": sync.pending},
            "demo": self.demo.on,
            "obs": self.obs.status.to_json(),
            "port": self.port,
            "overlays": self.overlays.connected_counts(),
            "headless": self.options.headless,
        }

    # --- shutdown -------------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Undo every init step that ran, newest first. Idempotent."""
        if await self._lifecycle.shutdown():
            log.info("Streampai Desktop stopped")
            teardown_logging()
