"""Chat emotes, fetched once from the platform and served from the data folder.

Overlay pages only ever load from this server (their CSP allows ``'self'`` alone), so the app
fetches an emote image from the platform's CDN the first time a page asks for it and keeps it in
``{data_dir}/cache/emotes``; after that the emote shows even when the CDN is slow or offline.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)

EMOTE_ID = re.compile(r"^[A-Za-z0-9_:-]{1,100}$")
MAX_EMOTE_BYTES = 2 * 1024 * 1024
IMAGE_TYPES = {"image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/jpeg": "jpg"}


class EmoteCache:
    """Platform → URL template with ``{id}``; images cached on disk by platform and id."""

    def __init__(self, cache_dir: Path, url_templates: Mapping[str, str]) -> None:
        self.cache_dir = cache_dir
        self.url_templates = dict(url_templates)
        self._client: httpx.AsyncClient | None = None
        self._inflight: dict[tuple[str, str], asyncio.Task[tuple[Path, str] | None]] = {}

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _cached(self, platform: str, emote_id: str) -> tuple[Path, str] | None:
        folder = self.cache_dir / platform
        for content_type, ext in IMAGE_TYPES.items():
            path = folder / f"{emote_id.replace(':', '_')}.{ext}"
            if path.is_file():
                return path, content_type
        return None

    async def get(self, platform: str, emote_id: str) -> tuple[Path, str] | None:
        """(file, content type) of the emote, fetching it on first use; None when unavailable."""
        if platform not in self.url_templates or not EMOTE_ID.match(emote_id):
            return None
        cached = await asyncio.to_thread(self._cached, platform, emote_id)
        if cached:
            return cached
        key = (platform, emote_id)
        task = self._inflight.get(key)
        if task is None:  # several chat boxes asking at once share one download
            task = asyncio.create_task(self._fetch(platform, emote_id))
            self._inflight[key] = task
            task.add_done_callback(lambda _: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _fetch(self, platform: str, emote_id: str) -> tuple[Path, str] | None:
        import httpx  # only when a chat box first shows an emote: keeps start-up lean

        url = self.url_templates[platform].replace("{id}", emote_id)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10, follow_redirects=True)
        try:
            response = await self._client.get(url)
        except httpx.HTTPError as exc:
            log.info("could not fetch %s emote %s: %s", platform, emote_id, type(exc).__name__)
            return None
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        ext = IMAGE_TYPES.get(content_type)
        if response.status_code != 200 or ext is None or len(response.content) > MAX_EMOTE_BYTES:
            log.info(
                "%s emote %s not usable (HTTP %s, %s)",
                platform,
                emote_id,
                response.status_code,
                content_type or "no type",
            )
            return None
        folder = self.cache_dir / platform
        path = folder / f"{emote_id.replace(':', '_')}.{ext}"

        def store() -> None:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(response.content)
            tmp.replace(path)

        try:
            await asyncio.to_thread(store)
        except OSError as exc:  # a full disk: serve nothing rather than fail the page
            log.warning("could not cache %s emote %s: %s", platform, emote_id, exc)
            return None
        return path, content_type
