"""Where uploaded media bytes live: a `MediaStore`, chosen by `STREAMPAI_CLOUD_MEDIA_STORE`.

Stores are keyed by the file's SHA-256 alone and know nothing of accounts: which account may
read a file is decided by its rows in the `media` table (api_media.py). So one file uploaded by
many accounts is stored once, and no account reaches bytes it has no row for.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

from aiohttp import web

from streampai_cloud.config import CloudConfig


class StorageFull(Exception):
    """The store has no room for the file (disk full, quota of the disk or bucket)."""


class StorageUnavailable(Exception):
    """The store cannot be reached or refused the request (S3 down, wrong credentials)."""


class MediaStore(Protocol):
    """One object per SHA-256 (`key`: 64 lowercase hex digits), written once, never changed."""

    @property
    def description(self) -> str:
        """Where the media live, for the startup log (never a secret)."""
        ...

    @property
    def staging_dir(self) -> Path:
        """Where an upload is written while it is hashed, before `put` takes it."""
        ...

    async def start(self) -> None:
        """Open connections, tidy what a killed process left behind."""

    async def close(self) -> None:
        """Release connections."""

    async def size(self, key: str) -> int | None:
        """The stored object's size, or None when the store does not hold it."""
        ...

    async def put(self, key: str, staged: Path, size: int) -> None:
        """Store the verified file `staged` (its hash is `key`) atomically: a reader sees the
        whole file or none. The caller deletes `staged` afterwards if it is still there."""

    async def serve(
        self, request: web.Request, key: str, headers: Mapping[str, str]
    ) -> web.StreamResponse:
        """The object as a streamed answer (HEAD: headers only) with `headers` added."""
        ...


def open_media_store(config: CloudConfig) -> MediaStore:
    """The store `config.media_store` names (checked by CloudConfig: file:// or s3://)."""
    parts = urlsplit(config.media_store)
    if parts.scheme == "s3":
        from streampai_cloud.media.s3 import S3MediaStore

        return S3MediaStore(parts.netloc, parts.path.strip("/"), config.s3_endpoint)
    from streampai_cloud.media.local import LocalDiskMediaStore

    return LocalDiskMediaStore(Path(url2pathname(parts.path)))
