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
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from streampai_desktop import __version__, persistence
from streampai_desktop.core.bus import EventBus, widget_config_topic
from streampai_desktop.core.events import Event
from streampai_desktop.instance import InstanceLock
from streampai_desktop.logging_setup import setup_logging, teardown_logging
from streampai_desktop.secrets import (
    API_TOKEN,
    OVERLAY_TOKEN,
    SecretStore,
    open_secret_store,
)
from streampai_desktop.server import OverlayServer, PortInUseError, ServerContext, overlay_url
from streampai_desktop.server.context import Tokens
from streampai_desktop.server.pages import OVERLAY_DIST
from streampai_desktop.settings import Settings
from streampai_desktop.store import Database, open_database
from streampai_desktop.stream.demo import DemoSource
from streampai_desktop.stream.ingest import EventIngest
from streampai_desktop.widgets import WIDGETS

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
        self.widget_configs: dict[str, dict[str, Any]] = {}

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
            self._init_server,
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
        for spec in WIDGETS.values():
            self.widget_configs[spec.type] = await self.run_db(
                persistence.ensure_widget_config, self.db, spec
            )

    async def _init_server(self) -> None:
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
        """Widget type → the URL to paste into an OBS browser source."""
        return {w: overlay_url(self.port, w, self.tokens.overlay) for w in WIDGETS}

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
        return parsed

    async def change_port(self, port: int) -> None:
        """Move the overlay server to ``port`` (saved); on PortInUseError it stays where it was."""
        port = self.settings.validate("overlay_port", port)
        if port == self.port:
            return
        candidate = OverlayServer(self._server_context(port))
        await self.server.stop()
        try:
            await candidate.start()
        except PortInUseError:
            await self.server.start()  # back to the old port, the one OBS knows
            raise
        self.server = candidate
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

    async def save_widget_config(self, widget: str, config: dict[str, Any]) -> None:
        """Persist a widget's config and push it to every open page of that widget."""
        await self.run_db(persistence.save_widget_config, self.db, widget, config)
        self.widget_configs[widget] = config
        self.bus.publish(widget_config_topic(widget), {"widget": widget, "config": config})

    def status(self) -> dict[str, Any]:
        return {
            "demo": self.demo is not None,
            "port": self.port,
            "overlays": self.server.hub.connected_counts(),
            "headless": self.options.headless,
        }

    def _server_context(self, port: int) -> ServerContext:
        async def widget_config(widget: str) -> dict[str, Any]:
            return self.widget_configs.get(widget, {})

        return ServerContext(
            bus=self.bus,
            port=port,
            tokens=self.tokens,
            overlay_dist=OVERLAY_DIST,
            submit_event=self.submit_event,
            widget_config=widget_config,
            status=self.status,
            server_id=self.server_id,
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
