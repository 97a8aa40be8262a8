"""The one list of platforms: adding a platform is its folder plus one line here."""

from __future__ import annotations

from typing import Any

from streampai_desktop.core.errors import EXIT_USAGE, UserFacingError
from streampai_desktop.core.events import Platform
from streampai_desktop.platforms.base import Connector, ConnectorDeps
from streampai_desktop.platforms.facebook.spec import SPEC as FACEBOOK
from streampai_desktop.platforms.kick.spec import SPEC as KICK
from streampai_desktop.platforms.spec import PlatformSpec
from streampai_desktop.platforms.twitch.spec import SPEC as TWITCH
from streampai_desktop.platforms.youtube.spec import SPEC as YOUTUBE

PLATFORMS: dict[str, PlatformSpec] = {spec.id: spec for spec in (TWITCH, YOUTUBE, KICK, FACEBOOK)}
"""Platform id → spec, in the order the app lists them."""
for _spec in PLATFORMS.values():
    Platform.register(_spec.id)

# Events that no streaming platform sent: donations through the account service, tests, demo.
OWN_EVENTS_LABEL = "Streampai"


class UnsupportedPlatform(UserFacingError, LookupError):
    title = "Unknown platform"
    exit_code = EXIT_USAGE


def get_platform(platform_id: str) -> PlatformSpec:
    spec = PLATFORMS.get(platform_id)
    if spec is None:
        known = ", ".join(PLATFORMS)
        raise UnsupportedPlatform(f"There is no platform {platform_id!r}; use one of: {known}.")
    return spec


def platform_label(platform_id: str) -> str:
    """ "Twitch", "YouTube", …; "Streampai" for our own events; the id itself otherwise."""
    spec = PLATFORMS.get(str(platform_id))
    if spec is not None:
        return spec.label
    return OWN_EVENTS_LABEL if platform_id == "streampai" else str(platform_id).title()


def register(spec: PlatformSpec) -> None:
    """Add a platform at run time (tests declare a dummy platform this way)."""
    Platform.register(spec.id)
    PLATFORMS[spec.id] = spec


def unregister(platform_id: str) -> None:
    """Remove a platform added with :func:`register`; its events are unknown again."""
    PLATFORMS.pop(platform_id, None)
    Platform.unregister(platform_id)


def create_connector(account: Any, deps: ConnectorDeps, **options: Any) -> Connector:
    """A connector for ``account`` (a store ``Account``); ``options`` (settings, secrets) go to
    the platform's factory."""
    spec = PLATFORMS.get(account.platform)
    if spec is None or spec.connector is None:
        raise UnsupportedPlatform(f"no connector for platform {account.platform!r} yet")
    factory = spec.load_connector_factory()
    connector: Connector = factory(account, deps, **options)
    return connector
