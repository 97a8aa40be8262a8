"""Service configuration: one frozen dataclass, read from the environment by the CLI."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from streampai_cloud.payments import PaymentProvider, TestPaymentProvider

# Media sizes are counted in binary megabytes and shown as "MB", as Windows Explorer (where most
# streamers pick their files) shows them: a file Explorer calls 24.9 MB is under a 25 MB limit.
MB = 1024 * 1024
GB = 1024 * MB
# Without STREAMPAI_CLOUD_MEDIA_STORE, media go to a `media` folder in the service user's data
# directory (~/.local/share/streampai-cloud/media on Linux), created on the first upload.
DEFAULT_MEDIA_STORE = (
    Path(platformdirs.user_data_dir("streampai-cloud", appauthor=False)) / "media"
).as_uri()


class ConfigError(Exception):
    """The environment does not describe a usable service (missing or malformed value)."""


@dataclass(frozen=True)
class MediaLimits:
    """What one plan may store: the largest single file and the account's total."""

    max_file_bytes: int
    quota_bytes: int


@dataclass(frozen=True)
class CloudConfig:
    """Everything a service process needs. Nothing here is per-process state, so N processes
    behind a load balancer share one database and behave as one service."""

    database_url: str
    secret: str = field(repr=False)
    access_token_ttl: int = 15 * 60
    refresh_token_ttl: int = 60 * 24 * 3600
    # A client whose refresh request timed out retries with the same token; within this window that
    # is a retry, not a theft, and it gets the same successor instead of a revoked device.
    refresh_reuse_grace: int = 30
    min_client_version: str = "0.1.0"
    # Sign-in limits (api_auth._limit_signin), per `signin_window` seconds. Failed attempts on
    # one email from one address: beyond this, that address waits out the window.
    signin_limit_per_email_ip: int = 5
    # Failed attempts on one email from all addresses together: beyond this ceiling the account
    # is not locked (an attacker could then lock its streamer out) but slowed: each address
    # waits 1, 2, 4 ... up to `signin_slow_max_wait` seconds between its attempts on it.
    signin_limit_per_email: int = 20
    signin_slow_max_wait: int = 5 * 60
    # All attempts (and registrations) from one address, whatever the email.
    signin_limit_per_ip: int = 50
    signin_window: int = 5 * 60
    donate_limit_per_ip: int = 20
    donate_window: int = 60
    # Only behind a proxy that sets X-Forwarded-For; else a client could pick its own rate bucket.
    trust_forwarded_for: bool = False
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 1
    pool_size: int = 10
    pull_max_limit: int = 1000
    push_max_batch: int = 500
    payment_provider: PaymentProvider = field(default_factory=TestPaymentProvider)
    # Where uploaded media live: `file:///abs/path` (a local folder) or `s3://bucket/prefix`
    # (credentials from the standard AWS_* variables, never from here).
    media_store: str = DEFAULT_MEDIA_STORE
    # An S3-compatible endpoint (MinIO, R2, ...); empty means AWS itself.
    s3_endpoint: str = ""
    media_free_max_file_bytes: int = 25 * MB
    media_free_quota_bytes: int = 500 * MB
    media_pro_max_file_bytes: int = 100 * MB
    media_pro_quota_bytes: int = 10 * GB
    # The service's own public base URL (https://cloud.example.com): Kick redirects the
    # streamer's browser to {public_url}/v1/platforms/kick/callback, which must be registered as
    # the redirect URL of the Kick app.
    public_url: str = ""
    # Kick (kick/): the app's credentials and Kick's hosts. Without the id and secret (and a
    # public_url) the Kick endpoints answer 503 kick_not_configured.
    kick_client_id: str = ""
    kick_client_secret: str = field(default="", repr=False)
    kick_auth_url: str = "https://id.kick.com"
    kick_api_url: str = "https://api.kick.com"
    # Where the key that signs Kick's webhooks is fetched; empty means {kick_api_url}/public/v1/
    # public-key.
    kick_public_key_url: str = ""
    # What the streamer is asked to allow: everything the desktop's Kick features use.
    kick_scopes: str = (
        "user:read channel:read channel:write chat:write streamkey:read events:subscribe "
        "moderation:ban moderation:chat_message:manage kicks:read channel:rewards:read"
    )
    # How long a relayed Kick event waits for a device that is off (then it is pruned).
    kick_event_ttl_s: int = 7 * 24 * 3600
    # Facebook (facebook/): the app's id and secret and Facebook's hosts (versioned). Without the
    # id and secret (and a public_url) the Facebook endpoints answer 503 facebook_not_configured.
    facebook_app_id: str = ""
    facebook_app_secret: str = field(default="", repr=False)
    facebook_graph_url: str = "https://graph.facebook.com/v21.0"
    facebook_dialog_url: str = "https://www.facebook.com/v21.0/dialog/oauth"
    # What the streamer is asked to allow (comma separated, as Facebook's Login dialog takes it):
    # list their Pages and get Page tokens, read the Pages' live videos, their comments and
    # reactions, and comment as the Page. Each needs the app to pass App Review (see the README).
    facebook_scopes: str = (
        "pages_show_list,pages_read_engagement,pages_read_user_content,pages_manage_posts,"
        "pages_manage_engagement"
    )

    @property
    def kick_configured(self) -> bool:
        return bool(self.kick_client_id and self.kick_client_secret and self.public_url)

    @property
    def kick_callback_url(self) -> str:
        return f"{self.public_url}/v1/platforms/kick/callback"

    @property
    def facebook_configured(self) -> bool:
        return bool(self.facebook_app_id and self.facebook_app_secret and self.public_url)

    @property
    def facebook_callback_url(self) -> str:
        return f"{self.public_url}/v1/platforms/facebook/callback"

    @property
    def kick_public_key_endpoint(self) -> str:
        return self.kick_public_key_url or f"{self.kick_api_url}/public/v1/public-key"

    def media_limits(self, plan: str) -> MediaLimits:
        """The plan's media limits (an unknown plan gets the free one's)."""
        if plan == "pro":
            return MediaLimits(self.media_pro_max_file_bytes, self.media_pro_quota_bytes)
        return MediaLimits(self.media_free_max_file_bytes, self.media_free_quota_bytes)

    def __post_init__(self) -> None:
        if not self.database_url.startswith("postgresql+asyncpg://"):
            raise ConfigError(
                "DATABASE_URL must be a postgresql+asyncpg:// URL, "
                "e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/streampai"
            )
        if len(self.secret) < 32:
            raise ConfigError(
                "STREAMPAI_CLOUD_SECRET must be at least 32 characters of random data"
            )
        _check_media_store(self.media_store)
        _check_urls(self)
        _check_kick(self)
        _check_facebook(self)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> CloudConfig:
        """Build the config from `DATABASE_URL`, `STREAMPAI_CLOUD_SECRET` and optional
        `STREAMPAI_CLOUD_*` overrides."""
        env = dict(os.environ if environ is None else environ)
        url = env.get("DATABASE_URL", "")
        if not url:
            raise ConfigError("DATABASE_URL is not set (postgresql+asyncpg://user@host:port/db)")
        secret = env.get("STREAMPAI_CLOUD_SECRET", "")
        if not secret:
            raise ConfigError("STREAMPAI_CLOUD_SECRET is not set (32+ random characters)")
        overrides: dict[str, object] = {}
        for name, kind in _ENV_OVERRIDES.items():
            raw = env.get(f"STREAMPAI_CLOUD_{name.upper()}")
            if raw is None:
                continue
            try:
                overrides[name] = _parse(raw, kind)
            except ValueError:
                raise ConfigError(
                    f"STREAMPAI_CLOUD_{name.upper()}={raw!r} is not a {kind}"
                ) from None
        return cls(database_url=url, secret=secret, **overrides)  # type: ignore[arg-type]


_ENV_OVERRIDES: dict[str, str] = {
    "access_token_ttl": "int",
    "refresh_token_ttl": "int",
    "refresh_reuse_grace": "int",
    "min_client_version": "str",
    "signin_limit_per_email": "int",
    "signin_limit_per_email_ip": "int",
    "signin_slow_max_wait": "int",
    "signin_limit_per_ip": "int",
    "signin_window": "int",
    "donate_limit_per_ip": "int",
    "donate_window": "int",
    "trust_forwarded_for": "bool",
    "pool_size": "int",
    "media_store": "str",
    "s3_endpoint": "str",
    "media_free_max_file_bytes": "int",
    "media_free_quota_bytes": "int",
    "media_pro_max_file_bytes": "int",
    "media_pro_quota_bytes": "int",
    "public_url": "str",
    "kick_client_id": "str",
    "kick_client_secret": "str",
    "kick_auth_url": "str",
    "kick_api_url": "str",
    "kick_public_key_url": "str",
    "kick_scopes": "str",
    "kick_event_ttl_s": "int",
    "facebook_app_id": "str",
    "facebook_app_secret": "str",
    "facebook_graph_url": "str",
    "facebook_dialog_url": "str",
    "facebook_scopes": "str",
}


def _check_media_store(url: str) -> None:
    # The value is not echoed: an operator may have pasted credentials into it by mistake.
    parts = urlsplit(url)
    if parts.scheme == "file" and parts.path.startswith("/") and not parts.netloc:
        return
    if parts.scheme == "s3" and parts.netloc and "@" not in parts.netloc:
        if importlib.util.find_spec("aiobotocore") is None:
            raise ConfigError(
                "STREAMPAI_CLOUD_MEDIA_STORE is an s3:// URL, which needs aiobotocore: "
                "pip install 'streampai-desktop[cloud,cloud-s3]'"
            )
        return
    raise ConfigError(
        "STREAMPAI_CLOUD_MEDIA_STORE must be file:///absolute/folder or s3://bucket/prefix "
        "(S3 credentials go in the AWS_* variables, not in the URL)"
    )


def _check_urls(config: CloudConfig) -> None:
    """The service's and the platforms' URLs are plain http(s) bases (or empty)."""
    for name in (
        "public_url",
        "kick_auth_url",
        "kick_api_url",
        "kick_public_key_url",
        "facebook_graph_url",
        "facebook_dialog_url",
    ):
        value = getattr(config, name)
        if not value:
            continue
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
            raise ConfigError(
                f"STREAMPAI_CLOUD_{name.upper()} must be an http(s) URL without credentials, "
                f"e.g. https://cloud.example.com"
            )
        if value.endswith("/"):
            # Paths are appended to these bases; a trailing slash would double it.
            object.__setattr__(config, name, value.rstrip("/"))


def _check_kick(config: CloudConfig) -> None:
    """Kick is off (nothing set) or fully described. The secret is never echoed."""
    if bool(config.kick_client_id) != bool(config.kick_client_secret):
        raise ConfigError(
            "Kick needs both STREAMPAI_CLOUD_KICK_CLIENT_ID and STREAMPAI_CLOUD_KICK_CLIENT_SECRET "
            "(or neither, to leave Kick off)"
        )
    if config.kick_client_id and not config.public_url:
        raise ConfigError(
            "Kick needs STREAMPAI_CLOUD_PUBLIC_URL, the service's public base URL: Kick sends the "
            "streamer's browser back to {public_url}/v1/platforms/kick/callback"
        )
    if config.kick_event_ttl_s < 60:
        raise ConfigError("STREAMPAI_CLOUD_KICK_EVENT_TTL_S must be at least 60 seconds")


def _check_facebook(config: CloudConfig) -> None:
    """Facebook is off (nothing set) or fully described. The secret is never echoed."""
    if bool(config.facebook_app_id) != bool(config.facebook_app_secret):
        raise ConfigError(
            "Facebook needs both STREAMPAI_CLOUD_FACEBOOK_APP_ID and "
            "STREAMPAI_CLOUD_FACEBOOK_APP_SECRET (or neither, to leave Facebook off)"
        )
    if config.facebook_app_id and not config.public_url:
        raise ConfigError(
            "Facebook needs STREAMPAI_CLOUD_PUBLIC_URL, the service's public base URL: Facebook "
            "sends the streamer's browser back to {public_url}/v1/platforms/facebook/callback"
        )
    if not config.facebook_scopes.strip():
        raise ConfigError("STREAMPAI_CLOUD_FACEBOOK_SCOPES must name at least one permission")


def _parse(raw: str, kind: str) -> object:
    if kind == "int":
        return int(raw)
    if kind == "bool":
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(raw)
    return raw
