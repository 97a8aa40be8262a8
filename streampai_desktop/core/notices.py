"""Typed app notices: what changed in the running app, as frozen dataclasses on the bus.

Services publish them with :func:`publish_notice`; view-models and the server subscribe by type
with :func:`notice_topics` (one bus topic per notice class), so a reader names the classes it
cares about instead of matching ``"type"`` strings in dicts, and nothing in one process is
round-tripped through JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from streampai_desktop.core.bus import EventBus

# Who made a widget config change: the app's own editor, the local API (a stream deck, a script),
# or another computer through sync. An open editor treats the last two as "changed elsewhere".
ChangeOrigin = Literal["editor", "api", "sync"]


@dataclass(frozen=True, slots=True)
class Notice:
    """Base class; subclasses are the notices."""


@dataclass(frozen=True, slots=True)
class WidgetConfigChanged(Notice):
    """A widget instance's config was saved (it is already cleaned and stored)."""

    widget_id: str
    widget_type: str
    config: dict[str, Any]  # as stored: what the editor shows
    origin: ChangeOrigin = "editor"
    # What overlay pages are sent when it differs from ``config`` (picked files this computer
    # does not have yet, replaced by built-in defaults; widgets/media.py).
    shown_config: dict[str, Any] | None = None

    @property
    def overlay_config(self) -> dict[str, Any]:
        return self.config if self.shown_config is None else self.shown_config


@dataclass(frozen=True, slots=True)
class WidgetsChanged(Notice):
    """An instance was created, renamed or deleted (here or on another computer)."""


@dataclass(frozen=True, slots=True)
class DemoChanged(Notice):
    on: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class PlatformStateChanged(Notice):
    """A connector's visible state (``status`` is a platforms.base.ConnectorStatus)."""

    account_id: str
    platform: str
    login: str
    status: Any


@dataclass(frozen=True, slots=True)
class StreamStateChanged(Notice):
    """One platform's stream state and the combined one (platforms.base.StreamInfo)."""

    account_id: str
    platform: str
    stream: Any
    combined: Any


@dataclass(frozen=True, slots=True)
class ChannelActivityChanged(Notice):
    """What runs on one account's channel changed: its poll, prediction, hype train, ad break,
    goals or outgoing raid (``activity`` is a stream.channel_activity.ChannelActivity)."""

    account_id: str
    platform: str
    activity: Any


@dataclass(frozen=True, slots=True)
class AccountsChanged(Notice):
    """A platform account was connected, disconnected or arrived through sync."""


@dataclass(frozen=True, slots=True)
class SyncStateChanged(Notice):
    state: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SyncApplied(Notice):
    """Another computer's changes were applied (widgets, preferences, accounts)."""


@dataclass(frozen=True, slots=True)
class OverlayPresence(Notice):
    """Which overlay pages are connected: per widget type and per instance."""

    connected: dict[str, int]
    instances: dict[str, int]


@dataclass(frozen=True, slots=True)
class AlertQueueChanged(Notice):
    """The alert queue's state (now showing, pending, paused, missed), as the local API shows it."""

    state: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ObsStatusChanged(Notice):
    """What OBS is doing changed: connection, scene, streaming, recording (``status`` is an
    obs.service.ObsStatus). OBS says "streaming" before the platforms report the stream live."""

    status: Any


AlertOutcomeKind = Literal["waiting", "shown", "skipped", "cleared", "missed", "off", "gifted"]
"""What became of an alertable event in the queue:

- ``waiting``: queued (or replayed), not on screen yet;
- ``shown``: put on screen (it then plays to its end unless ``skipped`` follows);
- ``skipped``: taken off screen early (the Skip button);
- ``cleared``: dropped while waiting (the Clear button);
- ``missed``: dropped while waiting because no alert box was open for too long, or the queue was
  full;
- ``off``: not queued, or dropped before showing, because no alert box shows it (its alert type is
  off or the event is below the type's minimum);
- ``gifted``: a sub a viewer received as a gift, not queued: the gifter's gift alert stands for it
  (unless an alert box alerts each gifted sub).
"""


@dataclass(frozen=True, slots=True)
class AlertOutcome(Notice):
    """The alert queue did something with one event's alert (the Events page's status column).

    An event can have several over its life (waiting → shown → skipped; a replay starts again at
    waiting); the latest is its status.
    """

    platform: str
    event_id: str
    outcome: AlertOutcomeKind
    replay: bool = False

    @property
    def event_key(self) -> tuple[str, str]:
        """The event's dedupe key, ``Event.dedupe_key``: (platform, id)."""
        return (self.platform, self.event_id)


def notice_topic(kind: type[Notice]) -> str:
    return f"notice:{kind.__name__}"


def notice_topics(*kinds: type[Notice]) -> list[str]:
    """The bus topics to subscribe to for these notice classes."""
    return [notice_topic(kind) for kind in kinds]


def publish_notice(bus: EventBus, notice: Notice) -> None:
    bus.publish(notice_topic(type(notice)), notice)
