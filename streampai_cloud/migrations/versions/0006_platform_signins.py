"""Sign-ins through the service for any platform (Kick, and now Facebook): Kick's pending sign-in
table becomes `platform_signins`, with the platform each sign-in is for.

Revision ID: 0006_platform_signins
Revises: 0005_kick

The rows already there are Kick's and stay as they are (platform 'kick'): a streamer who was
between Kick's consent page and the hand-over when the service was upgraded still gets the
tokens. The downgrade forgets other platforms' sign-ins (the old table cannot tell them apart),
which only means those streamers start connecting again.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_platform_signins"
down_revision = "0005_kick"
branch_labels = None
depends_on = None

# Named after the table, as PostgreSQL and 0005 named them.
_CONSTRAINTS = (
    ("kick_authorizations_status", "platform_signins_status"),
    ("kick_authorizations_account_id_fkey", "platform_signins_account_id_fkey"),
    ("kick_authorizations_device_id_fkey", "platform_signins_device_id_fkey"),
)


def upgrade() -> None:
    op.rename_table("kick_authorizations", "platform_signins")
    op.execute("ALTER INDEX kick_authorizations_pkey RENAME TO platform_signins_pkey")
    op.execute("ALTER INDEX kick_authorizations_expires RENAME TO platform_signins_expires")
    for old, new in _CONSTRAINTS:
        op.execute(f"ALTER TABLE platform_signins RENAME CONSTRAINT {old} TO {new}")
    # Existing rows get 'kick' from the default; new ones always name their platform.
    op.add_column(
        "platform_signins",
        sa.Column("platform", sa.Text, nullable=False, server_default="kick"),
    )
    op.alter_column("platform_signins", "platform", server_default=None)


def downgrade() -> None:
    op.execute("DELETE FROM platform_signins WHERE platform <> 'kick'")
    op.drop_column("platform_signins", "platform")
    for old, new in _CONSTRAINTS:
        op.execute(f"ALTER TABLE platform_signins RENAME CONSTRAINT {new} TO {old}")
    op.execute("ALTER INDEX platform_signins_expires RENAME TO kick_authorizations_expires")
    op.execute("ALTER INDEX platform_signins_pkey RENAME TO kick_authorizations_pkey")
    op.rename_table("platform_signins", "kick_authorizations")
