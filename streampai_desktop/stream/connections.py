"""The platform service: connected accounts, signing in and out, chat, and the stream manager.

The window's Platforms page, the CLI and the local API use this; it reads platform specs only
(``platforms/registry.py``) and never names a platform, so a new platform folder needs nothing
here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import webbrowser
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from streampai_desktop.core.bus import EventBus
from streampai_desktop.core.events import Event
from streampai_desktop.core.notices import AccountsChanged, publish_notice
from streampai_desktop.platforms import flows
from streampai_desktop.platforms.base import (
    AlreadyConnected,
    ChatNotSent,
    ConnectorState,
    ConnectorStatus,
    NotConnected,
    StreamInfo,
)
from streampai_desktop.platforms.registry import PLATFORMS, get_platform
from streampai_desktop.store import Account, Database, MetricSample
from streampai_desktop.store import operations as ops
from streampai_desktop.stream.kept_state import PreferenceKeptState
from streampai_desktop.stream.manager import StreamManager
from streampai_desktop.stream.platform_status import platform_rows
from streampai_desktop.stream.sign_in import SignInAttempt, SignInAttempts, save_signed_in

log = logging.getLogger(__name__)

RunDb = Callable[..., Awaitable[Any]]


# A connector in these states is not really connected: signing in again is what it needs.
SIGN_IN_AGAIN = (ConnectorState.NEEDS_SIGN_IN, ConnectorState.ERROR, ConnectorState.STOPPED)
FIRST_STEP_TIMEOUT_S = 30.0  # how long starting a sign-in may take before the caller hears


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
            kept=PreferenceKeptState(db, run_db),
        )
        self._settings = settings
        self._secrets = secrets
        self._on_connected = on_connected
        # The system browser for browser sign-ins; the CLI may print the URL instead.
        self.open_browser: flows.OpenBrowser = webbrowser.open
        self.sign_ins = SignInAttempts()  # for the local API and the terminal

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

    async def report(self) -> list[dict[str, Any]]:
        """Every platform with its accounts and their live states (``platforms`` command)."""
        return platform_rows(
            await self.accounts(), self.streams.states(), self.streams.stream_states()
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

    async def sign_in(
        self, platform_id: str, show: flows.ShowStep, *, choice: str | None = None
    ) -> Account:
        """The platform's sign-in flow (``show`` draws or prints each step), then its connector
        starts and demo events stop. ``choice`` names the channel ahead (``--page``)."""
        spec = get_platform(platform_id)
        who = await flows.sign_in(
            spec,
            show,
            settings=self._settings,
            secrets=self._secrets,
            open_browser=self.open_browser,
            choice=choice,
        )
        account = await save_signed_in(self._db, self._run_db, spec, who)
        await self.streams.enable(account)
        publish_notice(self.bus, AccountsChanged())
        await self._on_connected()
        return account

    async def begin_sign_in(
        self, platform_id: str, *, again: bool = False, choice: str | None = None
    ) -> SignInAttempt:
        """Start a sign-in that the terminal or the local API follows by polling; returns once
        its first step is known (or it already failed). AlreadyConnected when a working account
        is connected and ``again`` is not set; a sign-in already running is returned as is."""
        spec = get_platform(platform_id)
        running = self.sign_ins.running(spec.id)
        if running is not None:
            return running
        if not again:
            await self._refuse_if_connected(spec.id)
        attempt = SignInAttempt(spec.id)

        async def run() -> None:
            try:
                account = await self.sign_in(spec.id, attempt.show, choice=choice)
            except BaseException as exc:
                attempt.finish(None, exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                attempt.finish(account, None)

        attempt.task = asyncio.create_task(run(), name=f"{spec.label} sign-in")
        self.sign_ins.add(attempt)
        with contextlib.suppress(TimeoutError):  # still starting after that: the caller polls
            async with asyncio.timeout(FIRST_STEP_TIMEOUT_S):
                await attempt.first_step()
        return attempt

    async def _refuse_if_connected(self, platform_id: str) -> None:
        states = self.streams.states()
        for account in await self.accounts():
            status = states.get(account.id)
            if account.platform == platform_id and (
                status is None or status.state not in SIGN_IN_AGAIN
            ):
                label = PLATFORMS[platform_id].label
                raise AlreadyConnected(
                    f"{label} is already connected as {account.login}. Disconnect it first, "
                    "or sign in again with --again."
                )

    async def disconnect(self, account_id: str) -> None:
        """Stop the connector, delete its tokens from the keyring, forget the account."""
        await self.streams.sign_out(account_id)
        await self._run_db(ops.remove_account, self._db, account_id)
        publish_notice(self.bus, AccountsChanged())

    async def disconnect_platform(self, platform_id: str) -> list[Account]:
        """Disconnect every account of a platform; NotConnected when it has none."""
        spec = get_platform(platform_id)
        mine = [a for a in await self.accounts() if a.platform == spec.id]
        if not mine:
            raise NotConnected(f"{spec.label} is not connected: there is nothing to disconnect.")
        for account in mine:
            await self.disconnect(account.id)
        return mine

    async def send_chat(self, account_id: str, text: str) -> None:
        """Post to one account's chat, within its platform's limit (ChatNotSent otherwise)."""
        account = next((a for a in await self.accounts() if a.id == account_id), None)
        if account is not None and account.platform in PLATFORMS:
            check_chat(account.platform, text)
        await self.streams.send_chat(account_id, text)

    async def send_chat_to(self, platform_id: str, text: str) -> Account:
        """Post as the platform's connected account (``chat send``, ``POST /api/v1/chat``)."""
        spec = get_platform(platform_id)
        check_chat(spec.id, text)
        states = self.streams.states()
        connected = [
            a
            for a in await self.accounts()
            if a.platform == spec.id
            and (status := states.get(a.id)) is not None
            and status.state is ConnectorState.CONNECTED
        ]
        if not connected:
            raise NotConnected(
                f"{spec.label} is not connected (or not online right now): connect it first "
                f"with `streampai-desktop connect {spec.id}`."
            )
        await self.streams.send_chat(connected[0].id, text)
        return connected[0]

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


def check_chat(platform_id: str, text: str) -> None:
    """ChatNotSent when ``text`` cannot go to that platform's chat as it is."""
    spec = get_platform(platform_id)
    if not spec.capabilities.chat_send:
        raise ChatNotSent(f"{spec.label} does not take chat messages from apps.")
    if not text.strip():
        raise ChatNotSent("The message is empty.")
    limit = spec.capabilities.chat_max_length
    if len(text) > limit:
        raise ChatNotSent(
            f"{spec.label} takes at most {limit} characters per message; this one has {len(text)}."
        )
