"""What a platform is, as data: its :class:`PlatformSpec`.

Each platform folder's ``spec.py`` declares one; ``platforms/registry.py`` lists them. The
Platforms page, the CLI, settings, diagnostics, emotes, the dashboard and the stream manager read
specs, so nothing outside a platform's folder names the platform (the shape of Home Assistant's
integration manifests). Specs import nothing heavy: the connector and the sign-in code are named
as ``"module:function"`` and imported when first used, which keeps start-up light.
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a platform can tell us and do, so the UI can hide what does not apply."""

    chat_read: bool = True
    chat_send: bool = True
    chat_max_length: int = 500  # characters the platform accepts in one chat message
    chat_moderation: bool = False  # deletes and clears reach the chat box
    follows: bool = False
    subscriptions: bool = False
    gift_subscriptions: bool = False
    cheers: bool = False  # bits and the like
    super_chats: bool = False
    memberships: bool = False
    raids: bool = False
    channel_points: bool = False
    hype_trains: bool = False
    charity: bool = False  # donations to a charity campaign the channel runs
    kicks: bool = False  # Kick's paid gifts (Kicks), an alert with their amount
    donations: bool = False
    viewer_count: bool = True
    follower_count: bool = False
    stream_key: bool = False  # a multistream destination (RTMP ingest with a stream key)


class SignInKind(enum.StrEnum):
    """How a streamer signs in; each kind has one generic driver in ``platforms/flows.py``."""

    DEVICE_CODE = "device_code"  # show a code, the streamer types it on the platform's site
    BROWSER_PKCE = "browser_pkce"  # the browser opens; a loopback redirect brings the code back
    VIA_SERVICE = "via_service"  # the account service holds the client secret and proxies


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One configurable setting of a platform: a base URL, an id, or an emote URL template."""

    key: str  # the setting's key, e.g. "twitch_api_url"
    label: str
    default: str
    env: str  # the environment variable that overrides it for a run
    is_url: bool = True


def _load(target: str) -> Callable[..., Any]:
    """The callable named by "module:attribute" (imported now: platforms load lazily)."""
    module_name, _, attr = target.partition(":")
    loaded = getattr(importlib.import_module(module_name), attr)
    if not callable(loaded):
        raise TypeError(f"{target} is not callable")
    return loaded  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class PlatformSpec:
    """Everything the app outside a platform's folder knows about the platform."""

    id: str  # the event model's platform id, the account's platform, the setting prefix
    label: str
    brings: str  # one line for the Platforms page: what connecting brings
    capabilities: Capabilities
    sign_in: SignInKind
    endpoints: tuple[Endpoint, ...] = ()
    # The setting (one of ``endpoints``) holding the emote image URL template, with ``{id}``.
    emote_url_key: str | None = None
    # (word, emote id) pairs of global emotes the demo chat may draw with this platform's images.
    demo_emotes: tuple[tuple[str, str], ...] = ()
    # "module:function" of the connector factory: (account, deps, *, settings, secrets).
    connector: str | None = None
    # "module:function" of the sign-in factory: (settings, secrets) → the flow kind's protocol.
    authenticator: str | None = None
    # Python distributions worth naming in a diagnostics report (the platform's client library).
    packages: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        """Declared and built: a platform without a connector shows as "coming later"."""
        return self.connector is not None and self.authenticator is not None

    def load_connector_factory(self) -> Callable[..., Any]:
        if self.connector is None:
            raise LookupError(f"{self.label} has no connector yet")
        return _load(self.connector)

    def load_authenticator(self) -> Callable[..., Any]:
        if self.authenticator is None:
            raise LookupError(f"{self.label} has no sign-in yet")
        return _load(self.authenticator)

    def emote_url(self, settings: Any) -> str | None:
        return str(settings.get(self.emote_url_key)) if self.emote_url_key else None
