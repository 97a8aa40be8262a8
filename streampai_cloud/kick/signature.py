"""Checking that a webhook comes from Kick: an RSA (PKCS#1 v1.5, SHA-256) signature over
`message_id.timestamp.raw_body`, made with Kick's private key, checked with its public key.

The key is fetched once per process and cached. When a signature does not check out, the key is
fetched again (Kick may have rotated it) — but at most every REFETCH_INTERVAL_S seconds, so a
flood of forged requests cannot turn the service into a flood of requests to Kick.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
from collections.abc import Awaitable, Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from streampai_cloud.kick.client import KickUnavailable

REFETCH_INTERVAL_S = 30.0


def signed_bytes(message_id: str, timestamp: str, body: bytes) -> bytes:
    """What Kick signs: the headers' message id and timestamp and the raw body, dot-separated."""
    return f"{message_id}.{timestamp}.".encode() + body


def load_public_key(pem: str) -> rsa.RSAPublicKey:
    """An RSA public key from PEM text; KickUnavailable for anything else (Kick's answer is
    unusable, which is not the webhook sender's fault)."""
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise KickUnavailable("Kick's public key is not a PEM public key") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise KickUnavailable("Kick's public key is not an RSA key")
    return key


def check(key: rsa.RSAPublicKey, signature_b64: str, data: bytes) -> bool:
    """Whether `signature_b64` (standard base64) is the key's signature of `data`."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


class WebhookVerifier:
    """Kick's public key, fetched on first use and again (rate limited) when a signature fails."""

    def __init__(
        self,
        fetch_pem: Callable[[], Awaitable[str]],
        refetch_interval: float | None = None,
    ) -> None:
        self._fetch_pem = fetch_pem
        self._refetch_interval = (
            REFETCH_INTERVAL_S if refetch_interval is None else refetch_interval
        )
        self._key: rsa.RSAPublicKey | None = None
        self._fetched_at = -float("inf")
        self._lock = asyncio.Lock()

    async def _refresh(self, stale: rsa.RSAPublicKey | None) -> rsa.RSAPublicKey:
        async with self._lock:
            # Another request may have fetched it while this one waited for the lock.
            if self._key is not None and self._key is not stale:
                return self._key
            key = load_public_key(await self._fetch_pem())
            self._key, self._fetched_at = key, time.monotonic()
            return key

    async def verify(self, message_id: str, timestamp: str, body: bytes, signature: str) -> bool:
        """Whether the webhook's signature is Kick's. KickUnavailable when the key cannot be had."""
        data = signed_bytes(message_id, timestamp, body)
        key = self._key if self._key is not None else await self._refresh(None)
        if check(key, signature, data):
            return True
        current = self._key
        if current is not None and current is not key:  # fetched meanwhile by another request
            return check(current, signature, data)
        if time.monotonic() - self._fetched_at < self._refetch_interval:
            return False
        fresh = await self._refresh(key)
        return fresh is not key and check(fresh, signature, data)
