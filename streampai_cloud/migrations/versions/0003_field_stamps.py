"""Per-setting sync: a stamp per field, and widget configs split into one field per key path.

Revision ID: 0003_field_stamps
Revises: 0002_donation_ids

Each stored widget config (one `config` field) becomes one field per leaf setting
(`config.font_size`, `config.types.follow.duration_ms`; a list stays one value), each keeping
the account version the whole config had, so no device's cursor changes meaning and nothing is
pulled again. Fields stored before stamps existed have no stamp, which orders before every
stamp: the first stamped edit of a setting wins over it. Row versions are unchanged (the split
is the same data), so devices are not asked to pull anything. The downgrade joins the settings
back into one `config` (its version the newest of theirs) and drops the stamps.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003_field_stamps"
down_revision = "0002_donation_ids"
branch_labels = None
depends_on = None


def _flatten(prefix: str, value: Any) -> dict[str, Any]:
    # A frozen copy of entities.flatten: a migration must not change when the code does.
    if not isinstance(value, dict) or not value:
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, item in value.items():
        out.update(_flatten(f"{prefix}.{key}", item))
    return out


def _rows(bind: sa.Connection) -> list[Any]:
    return list(
        bind.execute(
            sa.text(
                "SELECT account_id, entity, row_id, fields::text AS fields, "
                "field_versions::text AS field_versions FROM sync_rows "
                "WHERE entity = 'widget_config' AND NOT deleted"
            )
        )
    )


def _store(bind: sa.Connection, row: Any, fields: dict[str, Any], versions: dict[str, Any]) -> None:
    bind.execute(
        sa.text(
            "UPDATE sync_rows SET fields = CAST(:fields AS json), "
            "field_versions = CAST(:versions AS json) "
            "WHERE account_id = :account_id AND entity = :entity AND row_id = :row_id"
        ),
        {
            "fields": json.dumps(fields),
            "versions": json.dumps(versions),
            "account_id": row.account_id,
            "entity": row.entity,
            "row_id": row.row_id,
        },
    )


def upgrade() -> None:
    op.add_column(
        "sync_rows",
        sa.Column("field_stamps", sa.JSON, nullable=False, server_default=sa.text("'{}'::json")),
    )
    bind = op.get_bind()
    for row in _rows(bind):
        # Read as text: json.loads keeps every value exactly as it was stored.
        fields, versions = json.loads(row.fields), json.loads(row.field_versions)
        if not isinstance(fields.get("config"), dict):
            continue
        config = fields.pop("config")
        version = versions.pop("config", 0)
        for path, value in (_flatten("config", config) if config else {}).items():
            fields[path] = value
            versions[path] = version
        _store(bind, row, fields, versions)


def downgrade() -> None:
    bind = op.get_bind()
    for row in _rows(bind):
        fields, versions = json.loads(row.fields), json.loads(row.field_versions)
        paths = sorted(name for name in fields if name.startswith("config."))
        if not paths:
            continue
        config: dict[str, Any] = {}
        for path in paths:
            keys = path.split(".")[1:]
            node = config
            for key in keys[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[keys[-1]] = fields.pop(path)
        newest = max(int(versions.pop(path, 0)) for path in paths)
        fields["config"] = config
        versions["config"] = newest
        _store(bind, row, fields, versions)
    op.drop_column("sync_rows", "field_stamps")
