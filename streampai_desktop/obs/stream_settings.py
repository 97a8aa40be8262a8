"""Pointing OBS's stream (Settings → Stream) at an RTMP server and key — for multistreaming through
the app's relay or Cloudflare — and switching back to what the streamer had.

Before the first change the settings OBS had are remembered: the service and server in the app's
preferences, the stream key and any password in the keyring (never in SQLite or the log). Pointing
OBS somewhere else again keeps that first memory, so "switch back" always returns to the
streamer's own settings, not to an earlier relay address.

Changing where OBS streams is something a streamer must agree to: :meth:`StreamSettings.switch_to`
asks ``confirm`` with a sentence saying from where to where, and changes nothing without a yes.
OBS refuses the change while it streams; that comes back as :class:`StreamSettingsError` saying to
stop the stream first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from streampai_desktop.core.errors import EXIT_USAGE
from streampai_desktop.obs.errors import ObsError, ObsRequestFailed
from streampai_desktop.obs.overlay_sources import Requester

if TYPE_CHECKING:
    from streampai_desktop.preferences import Preferences
    from streampai_desktop.secrets import SecretStore

log = logging.getLogger(__name__)

PREVIOUS_SETTING = "obs_previous_stream_service"
PREVIOUS_SECRETS = "obs_previous_stream_secrets"
CUSTOM = "rtmp_custom"
# Fields of OBS's stream service settings that are secrets: kept in the keyring only.
SECRET_FIELDS = ("key", "password", "bearer_token")
_OUTPUT_RUNNING = 500

Confirm = Callable[[str], Awaitable[bool]]


class StreamSettingsError(ObsError):
    """The stream settings cannot be changed (bad server or key, OBS streaming, nothing to
    switch back to)."""

    title = "OBS stream settings"
    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class StreamService:
    """OBS's stream service: its type (``rtmp_common`` for a listed service like Twitch,
    ``rtmp_custom`` for a server typed in) and settings, the secrets apart."""

    type: str
    settings: dict[str, Any] = field(default_factory=dict)  # without SECRET_FIELDS
    secrets: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_obs(cls, data: dict[str, Any]) -> StreamService:
        raw = data.get("streamServiceSettings")
        raw = raw if isinstance(raw, dict) else {}
        return cls(
            str(data.get("streamServiceType", "")),
            {k: v for k, v in raw.items() if k not in SECRET_FIELDS},
            {k: str(v) for k, v in raw.items() if k in SECRET_FIELDS and v},
        )

    def obs_settings(self) -> dict[str, Any]:
        return {**self.settings, **self.secrets}

    def describe(self) -> str:
        """“Twitch”, “a custom server (rtmp://…/live)” — never the key."""
        if self.type == CUSTOM:
            return f"a custom server ({self.settings.get('server') or 'none set'})"
        service = self.settings.get("service")
        return str(service) if service else "no service set up yet"


def check_target(server: str, key: str) -> tuple[str, str]:
    """The server and key cleaned up, or :class:`StreamSettingsError` saying what is wrong."""
    server, key = (server or "").strip(), (key or "").strip()
    parts = urlsplit(server)
    if parts.scheme not in ("rtmp", "rtmps") or not parts.hostname:
        raise StreamSettingsError(
            f"“{server}” is not an RTMP server address; it looks like rtmp://HOST:PORT/APP."
        )
    if not key:
        raise StreamSettingsError("The stream key is empty.")
    if any(c.isspace() for c in key):
        raise StreamSettingsError("The stream key has spaces in it; copy it again.")
    return server, key


async def read_stream_service(requester: Requester) -> StreamService:
    return StreamService.from_obs(await requester.request("GetStreamServiceSettings"))


class StreamSettings:
    """Switch OBS's stream to a server and key, and back (see the module's docstring)."""

    def __init__(
        self, requester: Requester, preferences: Preferences, secrets: SecretStore
    ) -> None:
        self._requester = requester
        self._preferences = preferences
        self._secrets = secrets

    async def current(self) -> StreamService:
        return await read_stream_service(self._requester)

    async def previous(self) -> StreamService | None:
        """The settings to switch back to, or None when the app never changed OBS's."""
        stored = self._preferences.settings.get(PREVIOUS_SETTING)
        if not stored or "type" not in stored:
            return None
        raw = await self._secrets.get(PREVIOUS_SECRETS)
        secrets = json.loads(raw) if raw else {}
        return StreamService(str(stored["type"]), dict(stored.get("settings", {})), secrets)

    async def switch_to(self, server: str, key: str, confirm: Confirm) -> bool:
        """Point OBS's stream at ``server`` with ``key`` once ``confirm`` says yes; False when
        the streamer said no (nothing changed). The settings OBS had are remembered first."""
        server, key = check_target(server, key)
        now = await self.current()
        if (
            now.type == CUSTOM
            and now.settings.get("server") == server
            and now.secrets.get("key") == key
        ):
            return True  # already there
        question = (
            f"OBS streams to {now.describe()} now. Stream to {server} instead? You can switch "
            "back to your own settings later."
        )
        if not await confirm(question):
            return False
        remembered = await self.previous()
        if remembered is None or not self._set_by_us(now):
            await self._remember(now)
        await self._apply(
            StreamService(CUSTOM, {"server": server, "use_auth": False}, {"key": key})
        )
        await self._preferences.save(
            PREVIOUS_SETTING,
            {**self._preferences.settings.get(PREVIOUS_SETTING), "applied_server": server},
        )
        log.info("OBS now streams to %s (was %s)", server, now.describe())
        return True

    async def restore(self) -> StreamService:
        """Put back the settings OBS had before the app changed them; what was put back."""
        previous = await self.previous()
        if previous is None:
            raise StreamSettingsError(
                "Streampai has not changed OBS's stream settings, so there is nothing to switch "
                "back to."
            )
        await self._apply(previous)
        await self._preferences.save(PREVIOUS_SETTING, {})
        await self._secrets.delete(PREVIOUS_SECRETS)
        log.info("OBS streams to %s again", previous.describe())
        return previous

    def _set_by_us(self, now: StreamService) -> bool:
        """Whether OBS's current settings are the ones the app set last (so not the streamer's
        own, which are already remembered)."""
        stored = self._preferences.settings.get(PREVIOUS_SETTING) or {}
        return now.type == CUSTOM and now.settings.get("server") == stored.get("applied_server")

    async def _remember(self, service: StreamService) -> None:
        # The keyring first: a remembered service without its key could not be switched back.
        if service.secrets:
            await self._secrets.set(PREVIOUS_SECRETS, json.dumps(service.secrets))
        else:
            await self._secrets.delete(PREVIOUS_SECRETS)
        await self._preferences.save(
            PREVIOUS_SETTING, {"type": service.type, "settings": service.settings}
        )

    async def _apply(self, service: StreamService) -> None:
        # A fresh OBS has no stream settings at all, and OBS refuses empty ones: an empty key
        # is the same "nothing set".
        settings = service.obs_settings() or {"key": ""}
        try:
            await self._requester.request(
                "SetStreamServiceSettings",
                {"streamServiceType": service.type, "streamServiceSettings": settings},
            )
        except ObsRequestFailed as exc:
            if exc.code == _OUTPUT_RUNNING:
                raise StreamSettingsError(
                    "OBS is streaming, and OBS does not change where it streams while it does. "
                    "Stop the stream in OBS, then try again."
                ) from exc
            raise
