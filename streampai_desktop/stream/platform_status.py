"""Each platform's state in one table, for ``streampai-desktop platforms``, ``status`` and
``GET /api/v1/platforms``: from the specs, the stored accounts and (when the app runs) the
connectors' live states."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from streampai_desktop.platforms.base import ConnectorState, ConnectorStatus, StreamInfo
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.store import Account

NOT_CONNECTED = "not connected"
COMING_LATER = "coming later"
APP_STOPPED = "signed in (app not running)"
_STATES = {
    ConnectorState.CONNECTING: "connecting",
    ConnectorState.RECONNECTING: "connecting",
    ConnectorState.CONNECTED: "connected",
    ConnectorState.NEEDS_SIGN_IN: "needs sign-in",
    ConnectorState.ERROR: "error",
    ConnectorState.STOPPED: NOT_CONNECTED,
}


def account_state(status: ConnectorStatus | None, stream: StreamInfo | None) -> str:
    if status is None:
        return APP_STOPPED
    if status.state is ConnectorState.CONNECTED and stream is not None and stream.live:
        return "live"
    return _STATES.get(status.state, status.state.value)


def platform_rows(
    accounts: Sequence[Account],
    states: Mapping[str, ConnectorStatus] | None,
    streams: Mapping[str, StreamInfo] | None = None,
) -> list[dict[str, Any]]:
    """One row per registered platform; ``states`` None means the app is not running."""
    rows = []
    for spec in PLATFORMS.values():
        lines = []
        for account in (a for a in accounts if a.platform == spec.id):
            status = None if states is None else states.get(account.id)
            stream = (streams or {}).get(account.id)
            if states is not None and status is None:
                state = "disabled" if not account.enabled else NOT_CONNECTED
            else:
                state = account_state(status, stream)
            lines.append(
                {
                    "id": account.id,
                    "login": account.login,
                    "display_name": account.display_name,
                    "state": state,
                    "reason": status.reason if status else "",
                    "next_attempt_at": status.to_json()["next_attempt_at"] if status else None,
                }
            )
        summary = (
            lines[0]["state"] if lines else (NOT_CONNECTED if spec.available else COMING_LATER)
        )
        rows.append(
            {
                "id": spec.id,
                "label": spec.label,
                "available": spec.available,
                "sign_in": spec.sign_in.value,
                "chat_send": spec.capabilities.chat_send,
                "chat_max_length": spec.capabilities.chat_max_length,
                "state": summary,
                "accounts": lines,
            }
        )
    return rows
