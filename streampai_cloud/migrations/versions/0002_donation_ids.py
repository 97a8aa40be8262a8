"""Donation ids that do not show the platform's volume: a random public id and a per-account seq.

Revision ID: 0002_donation_ids
Revises: 0001_initial

Existing donations get a random `public_id` each, and `seq` = their old (global) id: every
device cursor (devices.donation_cursor) holds such ids, so they stay right, and a number an app
has already seen keeps naming the same donation. New donations continue above the account's
highest number, so they never reuse one an app has seen.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_donation_ids"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "accounts",
        sa.Column("donation_seq", sa.BigInteger, nullable=False, server_default="0"),
    )
    # A volatile default is evaluated per existing row: each gets its own random id.
    op.add_column(
        "donations",
        sa.Column(
            "public_id", sa.Uuid, nullable=False, server_default=sa.text("gen_random_uuid()")
        ),
    )
    op.add_column("donations", sa.Column("seq", sa.BigInteger, nullable=True))
    op.execute("UPDATE donations SET seq = id")
    op.alter_column("donations", "seq", nullable=False)
    op.execute(
        "UPDATE accounts SET donation_seq = top.seq "
        "FROM (SELECT account_id, max(seq) AS seq FROM donations GROUP BY account_id) AS top "
        "WHERE accounts.id = top.account_id"
    )
    op.drop_index("donations_account_id", table_name="donations")
    op.create_index("donations_account_seq", "donations", ["account_id", "seq"], unique=True)
    op.create_index("donations_public_id", "donations", ["public_id"], unique=True)


def downgrade() -> None:
    # Cursors go back to global ids: the newest donation each device had acknowledged.
    op.execute(
        "UPDATE devices SET donation_cursor = coalesce((SELECT max(d.id) FROM donations AS d "
        "WHERE d.account_id = devices.account_id AND d.seq <= devices.donation_cursor), 0)"
    )
    op.drop_index("donations_public_id", table_name="donations")
    op.drop_index("donations_account_seq", table_name="donations")
    op.create_index("donations_account_id", "donations", ["account_id", "id"])
    op.drop_column("donations", "seq")
    op.drop_column("donations", "public_id")
    op.drop_column("accounts", "donation_seq")
