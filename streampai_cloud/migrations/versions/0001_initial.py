"""Accounts, devices, refresh tokens, rate limits, sync rows/devices/results, donations.

Revision ID: 0001_initial
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSON, JSONB

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("email", sa.Text, nullable=False, unique=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("handle", sa.Text, nullable=False, unique=True),
        sa.Column("plan", sa.Text, nullable=False, server_default="free"),
        sa.Column("version", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("plan IN ('free', 'pro')", name="accounts_plan"),
    )
    op.create_table(
        "devices",
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column(
            "account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("last_seen_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("revoked_at", _TS),
        sa.Column("revoke_reason", sa.Text),
        sa.Column("donation_cursor", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("devices_account", "devices", ["account_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.Text, primary_key=True),
        sa.Column(
            "device_id", sa.Uuid, sa.ForeignKey("devices.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("used_at", _TS),
    )
    op.create_index("refresh_tokens_device", "refresh_tokens", ["device_id"])
    op.create_table(
        "rate_limits",
        sa.Column("bucket", sa.Text, primary_key=True),
        sa.Column("window", sa.BigInteger, primary_key=True),
        sa.Column("hits", sa.Integer, nullable=False),
    )
    op.create_table(
        "sync_rows",
        sa.Column(
            "account_id",
            sa.Uuid,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("entity", sa.Text, primary_key=True),
        sa.Column("row_id", sa.Uuid, primary_key=True),
        sa.Column("fields", JSON, nullable=False),
        sa.Column("field_versions", JSON, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False, server_default="false"),
    )
    op.create_index("sync_rows_account_version", "sync_rows", ["account_id", "version"])
    op.create_table(
        "sync_devices",
        sa.Column(
            "account_id",
            sa.Uuid,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("device_id", sa.Uuid, primary_key=True),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "sync_results",
        sa.Column(
            "account_id",
            sa.Uuid,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("device_id", sa.Uuid, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("result", JSONB, nullable=False),
    )
    op.create_table(
        "donations",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column(
            "account_id", sa.Uuid, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("donor_name", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("reference", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("donations_account_id", "donations", ["account_id", "id"])


def downgrade() -> None:
    for table in (
        "donations",
        "sync_results",
        "sync_devices",
        "sync_rows",
        "rate_limits",
        "refresh_tokens",
        "devices",
        "accounts",
    ):
        op.drop_table(table)
