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
    secret: str
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
