"""A platform account's OAuth tokens in the secret store (the keyring), one JSON entry each.

The platforms that sign in with OAuth and renew their own tokens (YouTube, Kick) keep them the
same way: access token, refresh token and when the access token expires, on the wall clock so it
survives a restart. Each platform names its entry (``youtube:{channel}:tokens``…).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from streampai_desktop.secrets import SecretStore


@dataclass(frozen=True, slots=True)
class TokenSet:
    access: str
    refresh: str
    expires_at: float  # wall clock (time.time()), so it survives a restart


class TokenStore:
    """One account's tokens in the secret store (JSON), under ``key``."""

    def __init__(self, secrets: SecretStore, key: str) -> None:
        self._secrets = secrets
        self.key = key

    async def load(self) -> TokenSet | None:
        raw = await self._secrets.get(self.key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            return TokenSet(str(data["access"]), str(data["refresh"]), float(data["expires_at"]))
        except (ValueError, KeyError, TypeError):
            return None  # a damaged entry: the same as signed out

    async def save(self, tokens: TokenSet) -> None:
        value = {
            "access": tokens.access,
            "refresh": tokens.refresh,
            "expires_at": tokens.expires_at,
        }
        await self._secrets.set(self.key, json.dumps(value))

    async def delete(self) -> None:
        await self._secrets.delete(self.key)
