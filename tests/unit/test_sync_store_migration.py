"""Desktop migration 0003 on a database that has unsynced edits (the app's upgrade path)."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

from streampai_desktop.store import OutboxRepo, migrate
from streampai_desktop.store.db import create_sqlite_engine
from streampai_desktop.store.hlc import parse_stamp


def test_pending_whole_configs_become_settings_with_stamps_from_their_time(
    tmp_path: Path,
) -> None:
    path = tmp_path / "streampai.db"
    engine = create_sqlite_engine(path, foreign_keys=False, pooled=False)
    try:
        migrate.upgrade(engine, "0002")
        config = {"font_size": 31, "muted_users": ["x"], "types": {"follow": {"volume": 5}}}
        with closing(sqlite3.connect(path)) as conn, conn:
            conn.execute("INSERT INTO sync_meta (key, value) VALUES ('device_id', '\"abc123\"')")
            rows = [
                ("widget_config", "chat_box", {"widget_type": "chat_box", "config": config}),
                ("widget_config", "gone", None),
                ("preference", "theme", {"value": "dark"}),
            ]
            for entity, row_id, patch in rows:
                conn.execute(
                    "INSERT INTO sync_outbox (entity, row_id, patch, created_at) "
                    "VALUES (?, ?, ?, '2026-11-30 10:00:00.250000')",
                    (entity, row_id, None if patch is None else json.dumps(patch)),
                )
        migrate.upgrade(engine)
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            pending = OutboxRepo(session).pending()
        assert [e.patch for e in pending] == [
            {
                "widget_type": "chat_box",
                "config.font_size": 31,
                "config.muted_users": ["x"],
                "config.types.follow.volume": 5,
            },
            None,
            {"value": "dark"},
        ]
        wall = 1796032800250  # 2026-11-30 10:00:00.250 UTC in ms
        assert [e.stamp for e in pending] == [f"{wall:015d}:{seq:06d}:abc123" for seq in (1, 2, 3)]
        assert [parse_stamp(e.stamp or "") for e in pending] == [(wall, 1), (wall, 2), (wall, 3)]

        migrate.downgrade(engine, "0002")
        with closing(sqlite3.connect(path)) as conn:
            [(patch,)] = conn.execute("SELECT patch FROM sync_outbox WHERE seq = 1").fetchall()
        assert json.loads(patch) == {"widget_type": "chat_box", "config": config}
    finally:
        engine.dispose()
