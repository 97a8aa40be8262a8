"""Sealing the streamer's Kick tokens for the few minutes between the callback and the hand-over.

They are the only tokens the service ever holds, and only until the desktop that asked picks them
up (or AUTHORIZATION_TTL passes). Sealed with AES-GCM under a key derived from the service secret,
bound to their sign-in's state, so a copy of the database alone does not give them away.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_PURPOSE = b"streampai-cloud kick hand-over v1"
_NONCE_BYTES = 12


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()


def seal(secret: str, state_hash: str, value: dict[str, Any]) -> bytes:
    """`value` as JSON, encrypted and authenticated; only `unseal` with the same state opens it."""
    nonce = os.urandom(_NONCE_BYTES)
    plain = json.dumps(value, separators=(",", ":")).encode("utf-8")
    return nonce + AESGCM(_key(secret)).encrypt(nonce, plain, state_hash.encode("ascii"))


def unseal(secret: str, state_hash: str, sealed: bytes) -> dict[str, Any] | None:
    """The sealed value, or None when it cannot be opened (another secret, another state)."""
    nonce, box = sealed[:_NONCE_BYTES], sealed[_NONCE_BYTES:]
    try:
        plain = AESGCM(_key(secret)).decrypt(nonce, box, state_hash.encode("ascii"))
    except (InvalidTag, ValueError):
        return None
    value = json.loads(plain)
    return value if isinstance(value, dict) else None
