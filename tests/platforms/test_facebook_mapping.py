"""Facebook's Graph objects → core events, with the payloads of Facebook's own documentation
(the Live Video API's "Interacting with Viewers" comments, live_reactions' reaction_stream)."""

from __future__ import annotations

from datetime import UTC, datetime

from streampai_desktop.core.events import (
    ChatMessage,
    Platform,
    ReactionCount,
    ReactionsTally,
    event_from_json,
)
from streampai_desktop.platforms.facebook import mapping
from streampai_desktop.ui.formatting import reactions_line, summarize

PAGE = "102030405060708"

# Facebook's example answer of GET {live-video-id}/comments.
DOC_COMMENT = {
    "created_time": "2018-08-30T18:47:02+0000",
    "from": {"name": "Steph C.", "id": "552524095105158"},
    "message": "This is such a great live stream.",
    "id": "911936075671494_911936769004758",
}


def test_a_comment_is_a_chat_message_with_its_id_time_and_author() -> None:
    message = mapping.comment(DOC_COMMENT, PAGE)
    assert isinstance(message, ChatMessage)
    assert message.platform is Platform.FACEBOOK
    assert message.id == "911936075671494_911936769004758"
    assert message.at == datetime(2018, 8, 30, 18, 47, 2, tzinfo=UTC)
    assert message.text == "This is such a great live stream."
    assert message.user is not None
    assert (message.user.id, message.user.display_name) == ("552524095105158", "Steph C.")
    assert message.user.badges == ()  # Facebook chat has no badges
    assert [f.text for f in message.fragments] == [message.text]
    assert event_from_json(message.to_json()) == message


def test_the_pages_own_comment_is_the_streamers() -> None:
    own = mapping.comment({**DOC_COMMENT, "from": {"name": "Cool Streamer", "id": PAGE}}, PAGE)
    assert own.user is not None and [b.set_id for b in own.user.badges] == ["broadcaster"]


def test_a_comment_facebook_does_not_name_the_author_of() -> None:
    # Someone who did not allow apps to see them: Facebook leaves "from" out.
    anonymous = mapping.comment({k: v for k, v in DOC_COMMENT.items() if k != "from"}, PAGE)
    assert anonymous.user is None and anonymous.actor_name == "Anonymous"
    empty = mapping.comment({"id": "1_2", "created_time": "2018-08-30T18:47:02+0000"}, PAGE)
    assert empty.text == "" and empty.fragments == ()


def test_reaction_totals_are_read_from_the_reaction_stream() -> None:
    raw = {
        "reaction_stream": [
            {"key": "LIKE", "value": 12},
            {"key": "LOVE", "value": 3},
            {"key": "haha", "value": "2"},
            {"key": "WOW", "value": None},
            {"value": 9},
            "nonsense",
        ]
    }
    assert mapping.reaction_totals(raw) == {"LIKE": 12, "LOVE": 3, "HAHA": 2, "WOW": 0}
    assert mapping.reaction_totals({}) == {}


def test_the_tally_counts_what_each_second_added_to_the_totals() -> None:
    second = datetime(2026, 12, 3, 18, 0, 0, tzinfo=UTC)
    tally = mapping.ReactionTally("vid", {})
    assert tally.take(second) is None  # nothing came
    tally.add({"LIKE": 4, "LOVE": 0})
    tally.add({"LIKE": 10, "LOVE": 1})
    first = tally.take(second)
    assert isinstance(first, ReactionsTally)
    assert first.counts == (ReactionCount("LIKE", 10), ReactionCount("LOVE", 1))
    assert first.totals == first.counts
    assert first.id == f"reactions:vid:{int(second.timestamp())}:1" and first.at == second
    assert first.running_update and not first.alertable
    assert event_from_json(first.to_json()) == first
    # The same totals again (a reconnect's first update) add nothing.
    tally.add({"LIKE": 10, "LOVE": 1})
    assert tally.take(second) is None
    # A reaction taken back lowers the total without a negative count.
    tally.add({"LIKE": 9, "LOVE": 1, "WOW": 2})
    later = tally.take(second.replace(second=1))
    assert later is not None and later.counts == (ReactionCount("WOW", 2),)
    # Two tallies in one clock second (a late tick) are two, not one delivered twice.
    tally.add({"LIKE": 9, "LOVE": 1, "WOW": 3})
    same_second = tally.take(second.replace(second=1))
    assert same_second is not None and same_second.id != later.id
    assert later.totals == (
        ReactionCount("LIKE", 9),
        ReactionCount("LOVE", 1),
        ReactionCount("WOW", 2),
    )


def test_a_tally_without_a_baseline_takes_the_first_totals_as_they_are() -> None:
    tally = mapping.ReactionTally("vid")  # the video was already live when the app came
    tally.add({"LIKE": 500})
    first = tally.take(datetime(2026, 12, 3, tzinfo=UTC))
    assert (
        first is not None and first.counts == () and first.totals == (ReactionCount("LIKE", 500),)
    )
    tally.add({"LIKE": 503})
    assert tally.take(datetime(2026, 12, 3, 0, 0, 1, tzinfo=UTC)).counts == (  # type: ignore[union-attr]
        ReactionCount("LIKE", 3),
    )


def test_a_tally_reads_in_words() -> None:
    tally = ReactionsTally(
        platform=Platform.FACEBOOK,
        counts=(ReactionCount("LOVE", 3), ReactionCount("LIKE", 12), ReactionCount("HUNDRED", 1)),
    )
    assert reactions_line(tally.counts) == "12 Like · 3 Love · 1 100"
    assert summarize(tally) == "12 Like · 3 Love · 1 100"


def test_live_video_fields() -> None:
    video = {
        "id": "1",
        "title": "Speedrun",
        "creation_time": "2026-12-03T17:00:00+0000",
        "live_views": 42,
    }
    assert mapping.video_started(video) == datetime(2026, 12, 3, 17, 0, tzinfo=UTC)
    assert mapping.live_views(video) == 42
    assert mapping.live_views({"live_views": "x"}) is None
    assert mapping.parse_time("not a time") is None
