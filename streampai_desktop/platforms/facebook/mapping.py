"""Facebook Graph objects → core events. Pure functions, no I/O.

* **Comments** (a ``live_comments`` event, or an item of ``GET {live-video-id}/comments``):
  ``{"id", "message", "created_time", "from": {"name", "id"}}``. The comment id is the event id
  and the dedupe key: the stream and the catch-up list after a drop name the same comment the
  same way. Facebook chat has no badges; a comment the Page itself wrote is the streamer's
  (the ``broadcaster`` badge, as the chat box marks a channel owner). ``from`` is missing when
  Facebook withholds who wrote it (someone who did not allow apps to see them): no user then.
* **Reactions** (a ``live_reactions`` event): ``{"reaction_stream": [{"key": "LIKE", "value":
  n}, …]}`` with ``value`` the video's running total for the type, so what came since the last
  update is the difference (:func:`reaction_totals`, :meth:`ReactionTally.add`).
* **Live videos** (``{page-id}/live_videos``, the video node): ``title``, ``creation_time`` or
  ``broadcast_start_time``, ``live_views``, ``status``.

Graph times look like ``2018-08-30T18:47:02+0000``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from streampai_desktop.core import events as ev
from streampai_desktop.core.events import Platform

Raw = Mapping[str, Any]
P = Platform.FACEBOOK

STREAMER_BADGE = ev.Badge("broadcaster")


def parse_time(value: Any) -> datetime | None:
    """A Graph time (``+0000`` offsets, or ISO 8601 with ``Z``) as aware UTC; None if absent."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def author(raw: Any, page_id: str) -> ev.User | None:
    """The commenter; the Page's own comments carry the streamer's badge."""
    if not isinstance(raw, Mapping) or not raw.get("id"):
        return None
    user_id = str(raw["id"])
    name = str(raw.get("name") or user_id)
    badges = (STREAMER_BADGE,) if user_id == page_id else ()
    # Facebook has no login apart from the name; the id is the stable key.
    return ev.User(id=user_id, login=name, display_name=name, badges=badges)


def comment(raw: Raw, page_id: str) -> ev.ChatMessage:
    """One comment → a chat message (KeyError without an id)."""
    text = str(raw.get("message") or "")
    return ev.ChatMessage(
        platform=P,
        id=str(raw["id"]),
        at=parse_time(raw.get("created_time")) or datetime.now(UTC),
        user=author(raw.get("from"), page_id),
        text=text,
        fragments=(ev.Fragment("text", text),) if text else (),
    )


def reaction_totals(raw: Raw) -> dict[str, int]:
    """A ``live_reactions`` event's running totals by type (types Facebook left out: none)."""
    totals: dict[str, int] = {}
    for item in raw.get("reaction_stream") or ():
        if isinstance(item, Mapping) and item.get("key"):
            try:
                totals[str(item["key"]).upper()] = max(0, int(item.get("value") or 0))
            except (TypeError, ValueError):
                continue
    return totals


class ReactionTally:
    """Reactions of one live video: its totals as Facebook last gave them, and what came since
    the last tally was taken (per type), for one :class:`~ev.ReactionsTally` a second."""

    def __init__(self, video_id: str, baseline: Mapping[str, int] | None = None) -> None:
        self.video_id = video_id
        # None: the first update sets the totals without counting as new reactions (the app
        # found the video already running: most of those came before it was watching, and
        # Facebook's updates say totals only, so the first one's new part cannot be told).
        self.totals: Counter[str] | None = Counter(baseline) if baseline is not None else None
        self.pending: Counter[str] = Counter()
        self._totals_changed = False  # the next tally goes out even with nothing pending
        self._taken = 0  # tallies made so far: part of each one's id

    def add(self, totals: Mapping[str, int]) -> None:
        """A new update of the video's running totals; the increase per type is pending."""
        if self.totals is None:
            self.totals = Counter(totals)
            self._totals_changed = True
            return
        for kind, total in totals.items():
            grown = total - self.totals.get(kind, 0)
            if grown > 0:
                self.pending[kind] += grown
            # A total that went down (a viewer took a reaction back) lowers the total only.
            self.totals[kind] = total

    def take(self, second: datetime) -> ev.ReactionsTally | None:
        """The tally of what is pending (None when nothing came), timed at ``second``."""
        if not self.pending and not self._totals_changed:
            return None
        self._totals_changed = False
        counts = tuple(ev.ReactionCount(k, n) for k, n in sorted(self.pending.items()) if n > 0)
        self.pending.clear()
        totals = tuple(
            ev.ReactionCount(k, n) for k, n in sorted((self.totals or {}).items()) if n > 0
        )
        # The count makes the id unique: two tallies in one clock second (a late tick) must not
        # look like one delivered twice, or ingest would drop the second and its reactions.
        self._taken += 1
        return ev.ReactionsTally(
            platform=P,
            id=f"reactions:{self.video_id}:{int(second.timestamp())}:{self._taken}",
            at=second,
            counts=counts,
            totals=totals,
        )


def video_started(raw: Raw) -> datetime | None:
    return parse_time(raw.get("broadcast_start_time")) or parse_time(raw.get("creation_time"))


def live_views(raw: Raw) -> int | None:
    value = raw.get("live_views")
    try:
        return None if value is None else max(0, int(value))
    except (TypeError, ValueError):
        return None


def online_id(video_id: str) -> str:
    return f"online:{video_id}"


def offline_id(video_id: str) -> str:
    return f"offline:{video_id}"
