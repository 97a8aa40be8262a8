"""Media the streamer picked (alert images, videos, sounds), uploaded so other computers get them.

Revision ID: 0004_media
Revises: 0003_field_stamps

One row per (account, file): the bytes themselves live once in the media store, keyed by their
SHA-256. Nothing existing changes; the downgrade drops the rows (the stored files stay in the
store, where nothing can reach them without a row).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_media"
down_revision = "0003_field_stamps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media",
        sa.Column(
            "account_id",
            sa.Uuid,
            sa.ForeignKey("accounts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("sha256", sa.Text, primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.Text, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


def downgrade() -> None:
    op.drop_table("media")
