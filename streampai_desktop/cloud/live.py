"""The live channel to the account service: "something changed, pull now", and donations.

A WebSocket (``/v1/live``) that the service uses to tell this computer that the account's
version moved (another computer saved something) and to relay donations the moment a viewer
makes them. Each donation becomes a :class:`~streampai_desktop.core.events.Donation` through the
app's ingest path (alerts, event log) and is acknowledged only after that, so one received while
this computer was off arrives when it reconnects, once. Polling in the sync engine is the
fallback when the channel is down.

What the service relays for a platform (Kick's events, its sign-in pokes) goes to the
:class:`~streampai_desktop.platforms.service_relay.ServiceRelay`, which hands it to that
platform's code and sends back its acknowledgement, again only after ingest.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from streampai_desktop.cloud.engine import SignInRequired, SyncError
from streampai_desktop.cloud.transport import AccountSession
from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.events import Donation, EventError, Money, Platform, User
from streampai_desktop.core.worker import Worker
from streampai_desktop.platforms.service_relay import ServiceRelay

log = logging.getLogger(__name__)

# The frames this channel handles itself; any other type is a platform's (the relay's).
_OWN_FRAMES = frozenset({"hello", "changed", "donation", "pong", "error"})


def donation_event(donation: dict[str, Any]) -> Donation:
    """The service's donation as an event; :class:`EventError` when it is malformed."""
    try:
        name = str(donation.get("name") or "Anonymous")[:100]
        at = datetime.fromisoformat(str(donation["created_at"]).replace("Z", "+00:00"))
        return Donation(
            platform=Platform.STREAMPAI,
            # The service-wide id (the donor's receipt), not the per-account number: the number
            # repeats across accounts, and one app may be signed in to two in one session.
            id=f"donation-{donation['public_id']}"
            if donation.get("public_id")
            else f"donation-{int(donation['id'])}",
            at=at if at.tzinfo else at.replace(tzinfo=UTC),
            user=User(id=f"donor:{name.lower()}", login=name.lower(), display_name=name),
            amount=Money(int(donation["amount"]), str(donation["currency"])),
            message=str(donation.get("message") or "")[:500],
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise EventError(f"malformed donation from the service: {exc}") from None


class LiveChannel:
    """Keeps the WebSocket open (reconnecting with backoff) while signed in."""

    def __init__(
        self,
        session: AccountSession,
        on_changed: Callable[[int], None],
        submit: Callable[[Donation], Awaitable[bool]],
        *,
        relay: ServiceRelay | None = None,
        max_backoff: float = 60.0,
    ) -> None:
        self.session = session
        self._on_changed = on_changed
        self._submit = submit
        self.relay = relay or ServiceRelay()
        self.backoff = Backoff(min(1.0, max_backoff), max_backoff)
        self.connected = False
        # Stops at once (grace 0): closing the socket mid-read loses nothing, a donation is
        # acknowledged only after it went through ingest, so an unacknowledged one comes again.
        self._worker = Worker("live channel", self._run, grace=0, logger=log)

    def start(self) -> None:
        self._worker.start()

    async def stop(self) -> None:
        # Acknowledge what was handled before closing, so the next start is not sent it again.
        await self.relay.flush_acks()
        await self._worker.stop()

    async def _run(self) -> None:
        renew = False
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    token = await self.session.access_token(renew=renew)
                    renew = False
                    url = self.session.base_url.replace("http", "ws", 1) + "/v1/live"
                    async with http.ws_connect(
                        url, params={"access_token": token}, heartbeat=30
                    ) as ws:
                        self.connected = True
                        self.backoff.reset()
                        self.relay.connected(ws.send_json)
                        await self._read(ws)
                except SignInRequired:
                    log.info("live channel: signed out; stopping")
                    return
                except aiohttp.WSServerHandshakeError as exc:
                    renew = exc.status == 401  # the access token expired: get a new one
                except (aiohttp.ClientError, SyncError, OSError) as exc:
                    log.info("live channel down (%s)", type(exc).__name__)
                finally:
                    self.connected = False
                    self.relay.connected(None)
                delay = self.backoff.next_delay()
                if renew and self.backoff.attempts == 1:
                    delay = 0.0  # an expired token: renew at once, but never in a tight loop
                if not await self._worker.sleep(delay):
                    return

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                continue
            try:
                body = json.loads(msg.data)
            except ValueError:
                continue
            if not isinstance(body, dict):
                continue
            kind = body.get("type")
            if kind in ("hello", "changed") and isinstance(body.get("version"), int):
                self._on_changed(body["version"])
            elif kind == "donation" and isinstance(body.get("donation"), dict):
                await self._donation(ws, body["donation"])
            elif isinstance(kind, str) and kind not in _OWN_FRAMES:
                await self.relay.dispatch(body)

    async def _donation(self, ws: aiohttp.ClientWebSocketResponse, donation: dict) -> None:
        try:
            event = donation_event(donation)
        except EventError as exc:
            log.warning("%s", exc)  # acknowledged anyway: it would never become valid
        else:
            await self._submit(event)
        await ws.send_json({"type": "ack", "up_to": int(donation.get("id", 0))})
