"""How a connection's state reads in the window: its badge and the line under it.

Shared by the Platforms page, the dashboard and the status bar; a small module of its own so the
dashboard and the status bar, which the window shows at once, do not load the Platforms page
(built the first time it is opened).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from streampai_desktop.platforms.base import ConnectorState
from streampai_desktop.platforms.registry import PLATFORMS

if TYPE_CHECKING:
    from streampai_desktop.ui.viewmodels.streams import PlatformStatus

NOT_CONNECTED = "Not connected"
# A platform declared but not built yet: the same words on the Platforms page and the status bar.
COMING_LATER = "Coming later"

# ConnectorState → (badge text, badge style). The styles are in ui/style.py.
STATE_BADGES: dict[ConnectorState, tuple[str, str]] = {
    ConnectorState.CONNECTING: ("Connecting…", "badgeWarn"),
    ConnectorState.CONNECTED: ("Connected", "badgeLive"),
    ConnectorState.RECONNECTING: ("Reconnecting", "badgeWarn"),
    ConnectorState.NEEDS_SIGN_IN: ("Needs sign-in", "badgeError"),
    ConnectorState.ERROR: ("Error", "badgeError"),
    ConnectorState.STOPPED: ("Stopped", "badge"),
}


def describe_status(status: PlatformStatus, now: datetime | None = None) -> str:
    """The line under the badge: why, and when the next attempt is."""
    spec = PLATFORMS.get(status.platform)
    label_ = spec.label if spec else status.platform
    st = status.status
    reason = st.reason.rstrip(".")
    if st.state is ConnectorState.CONNECTED:
        return st.reason  # a notice (e.g. one event type stopped), usually empty
    if st.state is ConnectorState.CONNECTING:
        return "Connecting to the channel…"
    if st.state is ConnectorState.STOPPED:
        return "Not running."
    if st.state is ConnectorState.NEEDS_SIGN_IN:
        if "sign in" in reason.lower():
            return f"{reason}."
        return f"{reason or f'{label_} needs you to sign in again'}. Sign in again to reconnect."
    text = f"{reason}." if reason else ""
    if st.next_attempt_at is not None:
        wait = (st.next_attempt_at - (now or datetime.now(UTC))).total_seconds()
        at = st.next_attempt_at.astimezone().strftime("%H:%M:%S")
        when = f"in {int(wait) + 1} s (at {at})" if wait > 0 else "now"
        text = f"{text} Next attempt {when}.".strip()
    return text
