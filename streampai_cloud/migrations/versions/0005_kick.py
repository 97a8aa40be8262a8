"""Kick through the account service: sign-ins in progress, connected channels, their webhook
subscriptions, relayed webhook events with each device's acknowledged cursor, and an audit trail.

Revision ID: 0005_kick
Revises: 0004_media

Nothing existing changes. A device signed in before this migration has no Kick cursor, which
means "events received after it signed in" (see kick/events.py), so no history is replayed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSON

revision = "0005_kick"
down_revision = "0004_media"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def _account(primary_key: bool = False) -> sa.Column[sa.Uuid]:
    return sa.Column(
        "account_id",
        sa.Uuid,
        sa.ForeignKey("accounts.id", ondelete="CASCADE"),
        nullable=False,
        primary_key=primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "kick_authorizations",
        sa.Column("state_hash", sa.Text, primary_key=True),
        _account(),
        sa.Column(
            "device_id", sa.Uuid, sa.ForeignKey("devices.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code_verifier", sa.Text),
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("handover", sa.LargeBinary),
        sa.Column("error_code", sa.Text),
        sa.Column("error_message", sa.Text),
        sa.Column("created_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", _TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'exchanging', 'connected', 'failed')",
            name="kick_authorizations_status",
        ),
    )
    op.create_index("kick_authorizations_expires", "kick_authorizations", ["expires_at"])
    op.create_table(
        "kick_accounts",
        _account(primary_key=True),
        sa.Column("event_seq", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("last_event_at", _TS),
    )
    op.create_table(
        "kick_broadcasters",
        sa.Column("broadcaster_user_id", sa.BigInteger, primary_key=True),
        _account(),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("connected_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("kick_broadcasters_account", "kick_broadcasters", ["account_id"])
    op.create_table(
        "kick_subscriptions",
        sa.Column(
            "broadcaster_user_id",
            sa.BigInteger,
            sa.ForeignKey("kick_broadcasters.broadcaster_user_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("event", sa.Text, primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("checked_at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_table(
        "kick_events",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _account(),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("event_version", sa.Text, nullable=False),
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("subscription_id", sa.Text),
        sa.Column("broadcaster_user_id", sa.BigInteger, nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("received_at", _TS, nullable=False, server_default=sa.func.now()),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_index("kick_events_account_seq", "kick_events", ["account_id", "seq"], unique=True)
    op.create_index("kick_events_message_id", "kick_events", ["message_id"], unique=True)
    op.create_index("kick_events_expires", "kick_events", ["expires_at"])
    op.create_table(
        "kick_cursors",
        sa.Column(
            "device_id",
            sa.Uuid,
            sa.ForeignKey("devices.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        _account(),
        sa.Column("up_to", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "kick_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
        _account(),
        sa.Column("device_id", sa.Uuid),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.Column("broadcaster_user_id", sa.BigInteger),
        sa.Column("at", _TS, nullable=False, server_default=sa.func.now()),
    )
    op.create_index("kick_audit_account", "kick_audit", ["account_id", "at"])


def downgrade() -> None:
    for table in (
        "kick_audit",
        "kick_cursors",
        "kick_events",
        "kick_subscriptions",
        "kick_broadcasters",
        "kick_accounts",
        "kick_authorizations",
    ):
        op.drop_table(table)
