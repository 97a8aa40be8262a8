"""Passwords (argon2, off the event loop), signed access tokens and hashed refresh tokens."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """argon2id hashing; each call runs in the default executor because a hash takes tens of ms
    of CPU and would otherwise stall every other request on this process."""

    def __init__(self, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism
        )
        # Verified against when the email is unknown, so both paths cost the same time.
        self._dummy = self._hasher.hash(secrets.token_hex(16))

    async def hash(self, password: str) -> str:
        return await asyncio.get_running_loop().run_in_executor(None, self._hasher.hash, password)

    async def verify(self, stored: str | None, password: str) -> bool:
        def check() -> bool:
            try:
                return self._hasher.verify(stored or self._dummy, password) and stored is not None
            except (VerificationError, InvalidHashError):
                return False

        return await asyncio.get_running_loop().run_in_executor(None, check)


@dataclass(frozen=True)
class AccessClaims:
    """Who an access token speaks for."""

    account_id: uuid.UUID
    device_id: uuid.UUID
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class AccessTokens:
    """`sp1.<payload>.<hmac-sha256>` tokens: verifiable by any process that shares the secret,
    so no process keeps session state. They are short-lived; the device row is still checked on
    each request so that revoking a device takes effect at once."""

    PREFIX = "sp1"
    MAX_LENGTH = 1024

    def __init__(self, secret: str, ttl: int) -> None:
        self._key = hashlib.sha256(b"streampai-access\0" + secret.encode()).digest()
        self.ttl = ttl

    def issue(self, account_id: uuid.UUID, device_id: uuid.UUID, now: float | None = None) -> str:
        exp = int((now if now is not None else time.time()) + self.ttl)
        payload = _b64(
            json.dumps({"sub": str(account_id), "dev": str(device_id), "exp": exp}).encode()
        )
        signed = f"{self.PREFIX}.{payload}"
        return f"{signed}.{_b64(hmac.new(self._key, signed.encode(), 'sha256').digest())}"

    def verify(self, token: str) -> AccessClaims | None:
        """The claims of a genuine token (expired or not: the caller tells those apart, because an
        expired token means "refresh" and a forged one means "sign in again"); None otherwise."""
        # Header bytes outside ASCII arrive as lone surrogates, which cannot be encoded for the
        # HMAC; no token of ours contains them (nor is longer than a few hundred characters).
        if not token.isascii() or len(token) > self.MAX_LENGTH:
            return None
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != self.PREFIX:
            return None
        expected = hmac.new(self._key, f"{parts[0]}.{parts[1]}".encode(), "sha256").digest()
        try:
            if not hmac.compare_digest(expected, _unb64(parts[2])):
                return None
            data = json.loads(_unb64(parts[1]))
            claims = AccessClaims(uuid.UUID(data["sub"]), uuid.UUID(data["dev"]), int(data["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        return claims


class RefreshTokens:
    """Opaque 256-bit refresh tokens, stored as sha256 (their entropy makes a slow hash pointless).

    A successor is derived from its predecessor with an HMAC, so a client that retries a refresh
    whose answer it never got receives the very same successor (within the grace window) instead
    of tripping reuse detection."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"streampai-refresh\0" + secret.encode()).digest()

    @staticmethod
    def new() -> str:
        return "spr_" + secrets.token_urlsafe(32)

    def successor(self, token: str) -> str:
        return "spr_" + _b64(hmac.new(self._key, token.encode(), "sha256").digest())

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()
