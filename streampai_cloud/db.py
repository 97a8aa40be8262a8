"""Tables (SQLAlchemy Core) and the async engine. The migrations create exactly these tables."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSON, JSONB
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("email", Text, nullable=False, unique=True),  # stored lower-cased
    Column("password_hash", Text, nullable=False),
    Column("handle", Text, nullable=False, unique=True),  # public donation page name
    Column("plan", Text, nullable=False, server_default="free"),
    # The account's sync version: bumped once per applied mutation, under the account row lock.
    Column("version", BigInteger, nullable=False, server_default="0"),
    # The account's last donation number (donations.seq), bumped under the row lock.
    Column("donation_seq", BigInteger, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("plan IN ('free', 'pro')", name="accounts_plan"),
)

# A device is one signed-in app: one refresh-token chain. Revoking it ends the chain.
devices = Table(
    "devices",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_seen_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revoke_reason", Text),
    # Highest donation seq this device acknowledged; starts at the account's latest at sign-in.
    Column("donation_cursor", BigInteger, nullable=False, server_default="0"),
    Index("devices_account", "account_id"),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),  # sha256 hex: tokens are 256 random bits
    Column("device_id", Uuid, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
    Index("refresh_tokens_device", "device_id"),
)

# Fixed-window counters shared by every process (see ratelimit.py for why not memory).
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("bucket", Text, primary_key=True),
    Column("window", BigInteger, primary_key=True),
    Column("hits", Integer, nullable=False),
)

sync_rows = Table(
    "sync_rows",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("entity", Text, primary_key=True),
    Column("row_id", Uuid, primary_key=True),
    # `json`, not `jsonb`: synced values are stored exactly as sent, and jsonb refuses some valid
    # JSON text (\u0000, unpaired surrogates) that a client may legitimately hold. Nothing
    # queries inside these columns, so jsonb's indexing would buy nothing.
    Column("fields", JSON, nullable=False),
    Column("field_versions", JSON, nullable=False),  # field name -> account version that set it
    # field name -> the stamp (hybrid logical clock, see sync.py) of the edit that set it.
    Column("field_stamps", JSON, nullable=False, server_default=text("'{}'::json")),
    Column("version", BigInteger, nullable=False),  # version of the row's latest change
    Column("deleted", Boolean, nullable=False, server_default="false"),
    Index("sync_rows_account_version", "account_id", "version"),
)

# Per (account, client device) the last applied seq: mutations apply in seq order, gaps refused.
sync_devices = Table(
    "sync_devices",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("device_id", Uuid, primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
)

# The stored answer for each seq, so a retried batch gets the same results (idempotency).
sync_results = Table(
    "sync_results",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("device_id", Uuid, primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("result", JSONB, nullable=False),
)

# Donation ids never show the platform's volume: `id` is internal (a global counter), donors see
# the random `public_id`, and the streamer's devices see `seq`, the account's own count.
donations = Table(
    "donations",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("public_id", Uuid, nullable=False, server_default=text("gen_random_uuid()")),
    # Per account 1, 2, 3... in commit order: the devices' ack cursor (devices.donation_cursor).
    Column("seq", BigInteger, nullable=False),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("donor_name", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),  # minor units
    Column("currency", Text, nullable=False),
    Column("message", Text, nullable=False),
    Column("provider", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("donations_account_seq", "account_id", "seq", unique=True),
    Index("donations_public_id", "public_id", unique=True),
)


# Media an account uploaded. The bytes live once in the media store under their SHA-256, however
# many accounts upload them; a row here is what lets an account read them (and counts toward its
# plan's storage), so an account sees only media it has uploaded itself.
media = Table(
    "media",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("sha256", Text, primary_key=True),  # 64 lowercase hex digits: the store's key
    Column("size", BigInteger, nullable=False),
    Column("content_type", Text, nullable=False),  # as uploaded; what downloads are served as
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


# --- Platform sign-ins (platform_signin.py) ---------------------------------------------------

# A sign-in with a platform through the service (platform_signin.py: Kick, Facebook) between
# `POST /v1/platforms/{platform}/authorize` and the desktop picking the tokens up: at most
# AUTHORIZATION_TTL (10 minutes) old, then pruned. The state is kept only as its SHA-256; a PKCE
# verifier (Kick's) until the code is exchanged; the tokens sealed (platform_signin.seal) and only
# until handed over.
platform_signins = Table(
    "platform_signins",
    metadata,
    Column("state_hash", Text, primary_key=True),
    Column("platform", Text, nullable=False),  # "kick", "facebook"
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", Uuid, ForeignKey("devices.id", ondelete="CASCADE"), nullable=False),
    Column("code_verifier", Text),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("handover", LargeBinary),
    Column("error_code", Text),
    Column("error_message", Text),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    CheckConstraint(
        "status IN ('pending', 'exchanging', 'connected', 'failed')",
        name="platform_signins_status",
    ),
    Index("platform_signins_expires", "expires_at"),
)


# --- Kick (kick/) -----------------------------------------------------------------------------

# Per account that connected Kick: its relayed events' counter (kick_events.seq, bumped under
# this row's lock, so seq follows commit order) and when the last one came in.
kick_accounts = Table(
    "kick_accounts",
    metadata,
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("event_seq", BigInteger, nullable=False, server_default="0"),
    Column("last_event_at", DateTime(timezone=True)),
)

# Which account a Kick channel's webhooks go to: the last account that signed in as it.
kick_broadcasters = Table(
    "kick_broadcasters",
    metadata,
    Column("broadcaster_user_id", BigInteger, primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", Text, nullable=False),
    Column("connected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("kick_broadcasters_account", "account_id"),
)

# The webhook subscriptions Kick confirmed for a channel, as of the last ensure.
kick_subscriptions = Table(
    "kick_subscriptions",
    metadata,
    Column(
        "broadcaster_user_id",
        BigInteger,
        ForeignKey("kick_broadcasters.broadcaster_user_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("event", Text, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("subscription_id", Text, nullable=False),
    Column("checked_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Webhook events waiting for the account's devices. `message_id` is unique: Kick's idempotency key,
# so a delivery seen before is never relayed twice. Rows go once expired (and past the replay
# window, so a replayed message id is still recognised).
kick_events = Table(
    "kick_events",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    # Per account 1, 2, 3... in commit order: what devices acknowledge (kick_cursors.up_to).
    Column("seq", BigInteger, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("event_version", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("subscription_id", Text),
    Column("broadcaster_user_id", BigInteger, nullable=False),
    # `json`, not `jsonb`: relayed exactly as Kick sent it (key order, duplicates and all).
    Column("payload", JSON, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("kick_events_account_seq", "account_id", "seq", unique=True),
    Index("kick_events_message_id", "message_id", unique=True),
    Index("kick_events_expires", "expires_at"),
)

# Highest Kick event seq each device acknowledged. No row: nothing acknowledged yet, and the
# device gets only events received after it signed in (devices.created_at).
kick_cursors = Table(
    "kick_cursors",
    metadata,
    Column("device_id", Uuid, ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("up_to", BigInteger, nullable=False),
)

# What the service did with Kick on an account's behalf (connect, refresh, subscribe), for support
# and abuse questions. Never a token: the service keeps none beyond the hand-over.
kick_audit = Table(
    "kick_audit",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("account_id", Uuid, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("device_id", Uuid),
    Column("action", Text, nullable=False),
    Column("outcome", Text, nullable=False),
    Column("broadcaster_user_id", BigInteger),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("kick_audit_account", "account_id", "at"),
)


def create_engine(database_url: str, pool_size: int = 10) -> AsyncEngine:
    """The process's engine; pool_pre_ping survives a database restart without 500s."""
    return create_async_engine(
        database_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
    )
