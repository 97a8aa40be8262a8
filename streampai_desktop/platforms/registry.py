"""Which connector class serves which platform, as a table of lazy factories.

Platform modules import twitchio/httpx; importing them only when an account of that platform is
started keeps app start-up light (DESIGN.md §7).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from streampai_desktop.platforms.base import Connector, ConnectorDeps


@dataclass(frozen=True, slots=True)
class ConnectorSpec:
    """Where a platform's connector factory lives: ``module:function``."""

    platform: str
    label: str
    factory: str

    def load(self) -> Callable[..., Connector]:
        module_name, _, attr = self.factory.partition(":")
        return getattr(importlib.import_module(module_name), attr)


CONNECTORS: dict[str, ConnectorSpec] = {
    spec.platform: spec
    for spec in (
        ConnectorSpec(
            "twitch", "Twitch", "streampai_desktop.platforms.twitch.connector:create_connector"
        ),
    )
}
"""Platforms with a connector. YouTube, Kick and Facebook join this table in a later issue."""


class UnsupportedPlatform(LookupError):
    pass


def create_connector(account: Any, deps: ConnectorDeps, **options: Any) -> Connector:
    """A connector for ``account`` (a store ``Account``); options go to the platform factory."""
    spec = CONNECTORS.get(account.platform)
    if spec is None:
        raise UnsupportedPlatform(f"no connector for platform {account.platform!r} yet")
    return spec.load()(account, deps, **options)
