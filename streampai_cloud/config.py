"""Service configuration: one frozen dataclass, read from the environment by the CLI."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from streampai_cloud.payments import PaymentProvider, TestPaymentProvider


class ConfigError(Exception):
    """The environment does not describe a usable service (missing or malformed value)."""


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
}


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
