"""Media in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2, ...), through aiobotocore.

Credentials come from where every AWS tool looks (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
a profile, an instance role), never from the service's own settings, and never reach a log or
an error message: failures are reported by their S3 error code only.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from streampai_cloud.media import StorageFull, StorageUnavailable

log = logging.getLogger(__name__)

# S3 error codes for "no room": a bucket quota (MinIO) or the account's storage (R2).
_FULL_CODES = frozenset({"QuotaExceeded", "XMinioStorageFull", "EntityTooLarge"})
_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})
CHUNK = 256 * 1024


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", "")) or type(exc).__name__
    return type(exc).__name__


class S3MediaStore:
    """Objects under `prefix/ab/abcdef…` in `bucket`. A PUT is atomic in S3: readers see the
    whole object or none. Uploads are staged in the system's temp folder ($TMPDIR)."""

    def __init__(self, bucket: str, prefix: str, endpoint: str = "") -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint = endpoint
        self._stack = contextlib.AsyncExitStack()
        self._client: Any = None

    @property
    def description(self) -> str:
        # Only scheme, host and port of the endpoint: a URL may carry user:password@.
        where = ""
        if self.endpoint:
            parts = urlsplit(self.endpoint)
            where = f" at {parts.scheme}://{parts.hostname}" + (
                f":{parts.port}" if parts.port else ""
            )
        under = f" under {self.prefix}/" if self.prefix else ""
        return f"S3 bucket {self.bucket}{under}{where}"

    @property
    def staging_dir(self) -> Path:
        return Path(tempfile.gettempdir()) / "streampai-cloud-uploads"

    def _key(self, key: str) -> str:
        name = f"{key[:2]}/{key}"
        return f"{self.prefix}/{name}" if self.prefix else name

    async def start(self) -> None:
        from aiobotocore.config import AioConfig
        from aiobotocore.session import get_session

        # Path-style addressing for other endpoints: MinIO and local servers have no wildcard
        # DNS for bucket.host names; AWS itself gets its default (virtual-hosted) style.
        config = AioConfig(
            s3={"addressing_style": "path"} if self.endpoint else {},
            retries={"max_attempts": 3, "mode": "standard"},
        )
        self._client = await self._stack.enter_async_context(
            get_session().create_client("s3", endpoint_url=self.endpoint or None, config=config)
        )

    async def close(self) -> None:
        await self._stack.aclose()

    @contextlib.contextmanager
    def _errors(self, action: str) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except (ClientError, BotoCoreError) as exc:
            code = _code(exc)
            if code in _FULL_CODES:
                raise StorageFull(code) from None
            # `from None`: botocore's own text may name the endpoint, never worth the risk.
            raise StorageUnavailable(f"{action} failed: {code}") from None

    async def size(self, key: str) -> int | None:
        from botocore.exceptions import ClientError

        with self._errors("HeadObject"):
            try:
                head = await self._client.head_object(Bucket=self.bucket, Key=self._key(key))
            except ClientError as exc:
                if _code(exc) in _MISSING_CODES:
                    return None
                raise
        return int(head["ContentLength"])

    async def put(self, key: str, staged: Path, size: int) -> None:
        with self._errors("PutObject"), staged.open("rb") as body:
            # One PUT: S3 takes up to 5 GB that way, far above any plan's per-file limit. The
            # hash we verified goes along, so the bucket refuses bytes damaged on the way there
            # (and botocore need not read the file once more to checksum it).
            await self._client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=body,
                ContentLength=size,
                ContentType="application/octet-stream",
                ChecksumSHA256=base64.b64encode(bytes.fromhex(key)).decode(),
            )

    async def serve(
        self, request: web.Request, key: str, headers: Mapping[str, str]
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers=headers)
        if request.method == "HEAD":
            size = await self.size(key)
            if size is None:
                raise StorageUnavailable("HeadObject failed: NoSuchKey")
            response.content_length = size
            await response.prepare(request)
            return response
        with self._errors("GetObject"):
            obj = await self._client.get_object(Bucket=self.bucket, Key=self._key(key))
        body = obj["Body"]
        try:
            response.content_length = int(obj["ContentLength"])
            await response.prepare(request)
            async for chunk in body.iter_chunks(CHUNK):
                await response.write(chunk)
            await response.write_eof()
        except ConnectionError:
            # The app stopped reading (closed, went offline): nothing to answer any more.
            pass
        finally:
            body.close()
        return response
