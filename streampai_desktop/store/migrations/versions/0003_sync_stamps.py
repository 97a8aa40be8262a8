"""Per-setting sync: outbox entries carry their edit's stamp; pending whole configs are split.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

Each outbox entry gets the stamp of its edit (store/hlc.py). Entries written before this
version get one from the time they were written (``created_at``, counter = their seq), so the
streamer's offline edits keep their place in time. A pending widget edit that carried the whole
``config`` becomes one field per setting (``config.font_size`` ...): the service merges those per
setting. Its old config is unknown, so every setting of it is sent once; edits made after this
upgrade send only the settings they change. The downgrade joins the settings back.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _flatten(config: dict[str, Any], prefix: str = "config") -> dict[str, Any]:
    # A frozen copy of store/config_paths.flatten: a migration must not change with the code.
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}.{key}"
        if isinstance(value, dict) and value:
            out.update(_flatten(value, path))
        else:
            out[path] = value
    return out


def _ms(created_at: Any) -> int:
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    if not isinstance(created_at, datetime):
        return 0
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)  # stored as naive UTC
    return int(created_at.timestamp() * 1000)


def upgrade() -> None:
    with op.batch_alter_table("sync_outbox") as batch:
        batch.add_column(sa.Column("stamp", sa.String(), nullable=True))
    bind = op.get_bind()
    found = bind.execute(sa.text("SELECT value FROM sync_meta WHERE key = 'device_id'")).first()
    device = json.loads(found[0]) if found else "legacy"
    rows = bind.execute(sa.text("SELECT seq, entity, patch, created_at FROM sync_outbox")).all()
    for seq, entity, patch_text, created_at in rows:
        patch = json.loads(patch_text) if patch_text is not None else None
        if entity == "widget_config" and isinstance(patch, dict):
            config = patch.pop("config", None)
            if isinstance(config, dict):
                patch.update(_flatten(config))
        stamp = f"{_ms(created_at):015d}:{seq % 1_000_000:06d}:{device}"
        bind.execute(
            sa.text("UPDATE sync_outbox SET stamp = :stamp, patch = :patch WHERE seq = :seq"),
            {"stamp": stamp, "patch": None if patch is None else json.dumps(patch), "seq": seq},
        )


def downgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT seq, patch FROM sync_outbox WHERE entity = 'widget_config'")
    ).all()
    for seq, patch_text in rows:
        patch = json.loads(patch_text) if patch_text is not None else None
        if not isinstance(patch, dict):
            continue
        settings = sorted(name for name in patch if name.startswith("config."))
        if not settings:
            continue
        config: dict[str, Any] = {}
        for name in settings:
            value = patch.pop(name)
            if value is None:
                continue
            keys = name.split(".")[1:]
            node = config
            for key in keys[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[keys[-1]] = value
        patch["config"] = config
        bind.execute(
            sa.text("UPDATE sync_outbox SET patch = :patch WHERE seq = :seq"),
            {"patch": json.dumps(patch), "seq": seq},
        )
    with op.batch_alter_table("sync_outbox") as batch:
        batch.drop_column("stamp")
