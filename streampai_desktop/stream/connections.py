"""The platform service: connected accounts, signing in and out, chat, and the stream manager.

The window's Platforms page, the CLI and the local API use this; it reads platform specs only
(``platforms/registry.py``) and never names a platform, so a new platform folder needs nothing
here.
"""

from __future__ import annotations

import logging
import webbrowser
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.core.notices import AccountsChanged, publish_notice
from streampai_desktop.platforms import flows
from streampai_desktop.platforms.base import ConnectorStatus, StreamInfo
from streampai_desktop.platforms.registry import PLATFORMS, get_platform
from streampai_desktop.store import Account, Database, MetricSample
from streampai_desktop.store import operations as ops
from streampai_desktop.stream.manager import StreamManager

log = logging.getLogger(__name__)

RunDb = Callable[..., Awaitable[Any]]


class ChatTooLong(ValueError):
    """The message is longer than a platform accepts (the limit is in its spec)."""


class PlatformService:
    def __init__(
        self,
        bus: EventBus,
        db: Database,
        run_db: RunDb,
        submit: Callable[[Event], Awaitable[bool]],
        *,
        settings: Any,
        secrets: Any,
        on_connected: Callable[[], Awaitable[None]],
    ) -> None:
        self.bus = bus
        self._db = db
        self._run_db = run_db
        self.streams = StreamManager(
            bus,
            submit,
            metric_sink=lambda samples: run_db(ops.add_metric_samples, db, samples),
            connector_options={"settings": settings, "secrets": secrets},
        )
        self._settings = settings
        self._secrets = secrets
        self._on_connected = on_connected
        # The system browser for browser sign-ins; the CLI may print the URL instead.
        self.open_browser: flows.OpenBrowser = webbrowser.open

    # --- reading -----------------------------------------------------------------------------

    async def accounts(self) -> list[Account]:
        return list(await self._run_db(ops.load_accounts, self._db))

    def states(self) -> dict[str, ConnectorStatus]:
        return self.streams.states()

    def combined(self) -> StreamInfo:
        return self.streams.combined()

    def chat_limit(self, platforms: list[str]) -> int:
        """The longest chat message every one of ``platforms`` accepts."""
        limits = [PLATFORMS[p].capabilities.chat_max_length for p in platforms if p in PLATFORMS]
        return (
            min(limits)
            if limits
            else max((s.capabilities.chat_max_length for s in PLATFORMS.values()), default=500)
        )

    async def metric_samples(
        self, platform: str, metric: str, since: datetime, until: datetime
    ) -> list[MetricSample]:
        return list(
            await self._run_db(ops.metric_samples, self._db, platform, metric, since, until)
        )

    # --- actions -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start a connector for every enabled account (app start)."""
        removed = await self._run_db(ops.downsample_metrics, self._db)
        if removed:
            log.info("downsampled %d old metric samples", removed)
        await self.streams.start(await self.accounts())

    async def stop(self) -> None:
        """Stop every connector (app quit); queued metric samples are written first."""
        await self.streams.stop()

    async def sign_in(self, platform_id: str, show: flows.ShowStep) -> Account:
        """The platform's sign-in flow (``show`` draws or prints each step), then its connector
        starts and demo events stop."""
        spec = get_platform(platform_id)
        who = await flows.sign_in(
            spec,
            show,
            settings=self._settings,
            secrets=self._secrets,
            open_browser=self.open_browser,
        )
        account = await self._run_db(
            ops.save_account,
            self._db,
            spec.id,
            who.platform_user_id,
            who.login,
            who.display_name,
        )
        await self.streams.enable(account)
        publish_notice(self.bus, AccountsChanged())
        await self._on_connected()
        return account

    async def disconnect(self, account_id: str) -> None:
        """Stop the connector, delete its tokens from the keyring, forget the account."""
        await self.streams.sign_out(account_id)
        await self._run_db(ops.remove_account, self._db, account_id)
        publish_notice(self.bus, AccountsChanged())

    async def send_chat(self, account_id: str, text: str) -> None:
        """Post to one account's chat; ChatTooLong past its platform's limit."""
        account = next((a for a in await self.accounts() if a.id == account_id), None)
        if account is not None and account.platform in PLATFORMS:
            limit = PLATFORMS[account.platform].capabilities.chat_max_length
            if len(text) > limit:
                raise ChatTooLong(
                    f"{PLATFORMS[account.platform].label} takes at most {limit} "
                    "characters per message"
                )
        await self.streams.send_chat(account_id, text)

    async def reconcile(self) -> None:
        """After sync: accounts connected on another computer show up ("sign in again")."""
        accounts = {a.id: a for a in await self.accounts()}
        running = set(self.streams.states())
        for account_id in running - set(accounts):
            await self.streams.disable(account_id)
        for account_id, account in accounts.items():
            if account_id not in running and account.enabled:
                await self.streams.enable(account)
        publish_notice(self.bus, AccountsChanged())
