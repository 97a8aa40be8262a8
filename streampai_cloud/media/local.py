"""Media on a local disk, for self-hosters: `root/ab/abcdef…` (the first two hex digits make
256 folders, so no folder grows to millions of entries)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Mapping
from pathlib import Path

from aiohttp import web

from streampai_cloud.media.staging import no_room_is_storage_full

log = logging.getLogger(__name__)

# An upload's staging file untouched this long belongs to no running upload (its process was
# killed): several processes share the folder, so younger files may be another one's upload.
STALE_STAGING_SECONDS = 3600


class LocalDiskMediaStore:
    """Uploads are staged in `root/.staging` (the same file system), then renamed into place:
    a rename is atomic, so a reader finds the whole file or none, and a full disk fails the
    staging write, never leaving half a file under a media name."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def description(self) -> str:
        return f"local folder {self.root}"

    @property
    def staging_dir(self) -> Path:
        return self.root / ".staging"

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    async def start(self) -> None:
        removed = await asyncio.to_thread(self._remove_stale_staging)
        if removed:
            log.info("removed %d unfinished upload(s) left in %s", removed, self.staging_dir)

    def _remove_stale_staging(self) -> int:
        removed = 0
        cutoff = time.time() - STALE_STAGING_SECONDS
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.staging_dir):
                with contextlib.suppress(FileNotFoundError):
                    if entry.stat().st_mtime < cutoff:
                        os.unlink(entry.path)
                        removed += 1
        return removed

    async def close(self) -> None:
        pass

    async def size(self, key: str) -> int | None:
        try:
            return (await asyncio.to_thread(os.stat, self._path(key))).st_size
        except FileNotFoundError:
            return None

    async def put(self, key: str, staged: Path, size: int) -> None:
        await asyncio.to_thread(self._put, key, staged)

    def _put(self, key: str, staged: Path) -> None:
        final = self._path(key)
        with no_room_is_storage_full():
            final.parent.mkdir(parents=True, exist_ok=True)
            # Two accounts storing the same file at once both rename identical bytes: harmless.
            os.replace(staged, final)
            # The rename itself on disk too (POSIX: fsync the folder), before the row commits.
            if hasattr(os, "O_DIRECTORY"):
                folder = os.open(final.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(folder)
                finally:
                    os.close(folder)

    async def serve(
        self, request: web.Request, key: str, headers: Mapping[str, str]
    ) -> web.StreamResponse:
        # FileResponse streams with sendfile where it can, in chunks otherwise, and answers
        # HEAD with the headers only; it never reads the file into memory.
        return web.FileResponse(self._path(key), headers=dict(headers))
