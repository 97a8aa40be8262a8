"""Per-setting sync on the desktop: edits become per-setting outbox entries stamped with the
computer's hybrid logical clock, and pulled settings change only themselves."""

from __future__ import annotations

from pathlib import Path

import pytest

from streampai_desktop.cloud.engine import Change
from streampai_desktop.store import (
    OutboxRepo,
    WidgetConfigRepo,
    config_paths,
    hlc,
    open_database,
    operations,
)
from streampai_desktop.store.sync_state import apply_page, queue_full_snapshot
from streampai_desktop.widgets.instances import load_widgets


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def db(folder: Path):
    opened = open_database(folder)
    load_widgets(opened.db)
    yield opened.db
    opened.db.close()


def pending(db):
    with db.session() as session:
        return OutboxRepo(session).pending()


def chat_config(db) -> dict:
    with db.session() as session:
        return WidgetConfigRepo(session).get("chat_box").config


def test_an_edit_queues_only_the_settings_it_changed(db) -> None:
    config = chat_config(db)
    config["font_size"] = 31
    config["muted_users"] = ["troll"]  # a list is one value
    del config["theme"]
    operations.save_widget_config(db, "chat_box", config)
    [entry] = pending(db)
    assert entry.patch == {
        "widget_type": "chat_box",
        "config.font_size": 31,
        "config.muted_users": ["troll"],
        "config.theme": None,  # gone: the default applies
    }
    operations.save_widget_config(db, "chat_box", config)  # nothing changed: nothing to sync
    assert len(pending(db)) == 1


def test_stamps_grow_in_the_same_millisecond_after_a_clock_step_back_and_restarts(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000_000]
    monkeypatch.setattr(hlc, "now_ms", lambda: clock[0])
    opened = open_database(folder)
    load_widgets(opened.db)
    for size in (1, 2):
        operations.save_preference(opened.db, "theme", f"t{size}")
    clock[0] = 500  # the clock was set back
    operations.save_preference(opened.db, "theme", "t3")
    opened.db.close()
    opened = open_database(folder)  # a restart: the clock is in the database
    operations.save_preference(opened.db, "theme", "t4")
    stamps = [e.stamp for e in pending(opened.db)]
    opened.db.close()
    assert [hlc.parse_stamp(s or "") for s in stamps] == [
        (1_000_000, 0),
        (1_000_000, 1),
        (1_000_000, 2),
        (1_000_000, 3),
    ]
    assert stamps == sorted(stamps) and len({s.split(":")[2] for s in stamps if s}) == 1


def test_an_edit_after_seeing_another_computers_edit_stamps_later_even_if_its_clock_lags(
    db, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hlc, "now_ms", lambda: 1_000)
    ahead = hlc.format_stamp(9_000, 4, "other")
    apply_page(db, [Change("preference", "theme", 1, {"value": "x"}, {"value": ahead})], 1, {})
    operations.save_preference(db, "theme", "mine")
    [entry] = pending(db)
    assert (entry.stamp or "") > ahead


def test_a_pulled_setting_changes_only_itself_and_pending_settings_stay_local(db) -> None:
    config = chat_config(db)
    operations.save_widget_config(db, "chat_box", {**config, "font_size": 31})
    fields = {
        "widget_type": "chat_box",
        "config.font_size": 25,  # pending here: stays 31 until the service has ordered ours
        "config.max_messages": 7,
        "config.types.x": 1,  # a setting this computer never had
    }
    apply_page(db, [Change("widget_config", "chat_box", 4, fields)], 4, {})
    assert chat_config(db) == {**config, "font_size": 31, "max_messages": 7, "types": {"x": 1}}


def test_a_widget_first_seen_in_a_pull_is_created_from_its_settings(db) -> None:
    fields = {"widget_type": "chat_box", "name": "Second", "config.font_size": 40}
    apply_page(db, [Change("widget_config", "chat_box-2", 2, fields)], 2, {})
    with db.session() as session:
        row = WidgetConfigRepo(session).get("chat_box-2")
    assert row is not None and row.name == "Second" and row.config == {"font_size": 40}


def test_an_older_apps_whole_config_is_applied_setting_by_setting(db) -> None:
    config = chat_config(db)
    fields = {"config": {"font_size": 12}}
    apply_page(db, [Change("widget_config", "chat_box", 2, fields)], 2, {})
    assert chat_config(db) == {**config, "font_size": 12}


def test_a_full_snapshot_sends_every_setting(db) -> None:
    with db.session() as session:
        OutboxRepo(session).acknowledge(10**9)
    queue_full_snapshot(db)
    chat = next(e for e in pending(db) if e.row_id == "chat_box")
    assert chat.patch == {
        "widget_type": "chat_box",
        "name": chat.patch["name"],
        **config_paths.flatten(chat_config(db)),
    }


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"a": 1, "b": {"c": 2}}, {"a": {"x": 1}, "b": 3}),  # a leaf became an object, and back
        ({"a": {"x": 1, "y": 2}}, {"a": {"x": 1}}),
        ({"a": []}, {"a": [1, 2], "e": {}}),
    ],
)
def test_applying_the_changes_gives_the_new_config(old: dict, new: dict) -> None:
    changed = config_paths.changes(old, new)
    assert config_paths.apply(old, changed) == new
    # In any order, and when the fields come split over several pulls.
    for name in changed:
        assert config_paths.apply(config_paths.apply(old, {name: changed[name]}), changed) == new


def test_a_pulled_delete_wins_over_pending_edits_and_says_what_was_not_kept(db) -> None:
    from streampai_desktop.cloud.engine import describe
    from streampai_desktop.widgets.instances import create_widget

    extra = create_widget(db, "chat_box", "Second chat").id
    with db.session() as session:
        OutboxRepo(session).acknowledge(10**9)
        config = WidgetConfigRepo(session).get(extra).config
    operations.save_widget_config(db, extra, {**config, "font_size": 44})  # not sent yet
    [conflict] = apply_page(db, [Change("widget_config", extra, 9, None)], 9, {})
    with db.session() as session:
        assert WidgetConfigRepo(session).get(extra) is None, "deletes win"
    assert describe(conflict) == (
        "Second chat was deleted on another computer, so your change to Font size (44) was "
        "not kept."
    )


def test_taking_the_accounts_config_reverts_unsent_settings_to_their_defaults(db) -> None:
    from streampai_desktop.store.sync_state import discard_local_sync_state

    config = chat_config(db)
    operations.save_widget_config(db, "chat_box", {**config, "font_size": 40, "max_messages": 3})
    discard_local_sync_state(db)
    assert pending(db) == []
    reverted = chat_config(db)
    assert "font_size" not in reverted and "max_messages" not in reverted  # defaults apply
    # The account's values then land; a setting the account lacks keeps its default.
    apply_page(db, [Change("widget_config", "chat_box", 3, {"config.font_size": 31})], 3, {})
    assert chat_config(db)["font_size"] == 31 and "max_messages" not in chat_config(db)
