"""Alert media between this computer and the account service.

A picked file lives in ``{data_dir}/media/{sha256}.{ext}`` and configs name it
``user/{sha256}.{ext}`` (widgets/media.py); only the ref syncs with the config. So that the other
computer can show it, the sync engine calls this module:

- before pushing a batch, :meth:`MediaMover.upload_for` uploads every picked file its values name
  (``PUT /v1/media/{sha256}``) unless the service is known to have it. Network trouble raises
  the engine's RetryLater/OutcomeUnknown: the batch waits, nothing is lost. A refusal (the file is
  larger than the plan takes) does not hold the config back: the other computers show the
  built-in default, and the streamer is told once, in the service's words;
- before applying a pulled page, :meth:`MediaMover.fetch_for` downloads the files its values
  name that this computer lacks, so the config appears with its media. A download that fails
  (not uploaded yet, refused, offline, damaged) leaves the ref wanted: the page is applied all
  the same (overlays show the built-in default), and :meth:`MediaMover.fetch_missing` tries
  again at the end of every sync round until the file is here.

A download is checked against its SHA-256 (the name it is asked by) and written under a
temporary name first, so the media folder never holds half a file or the wrong bytes under a
file's name.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from streampai_desktop.cloud.engine import ClientTooOld, Refused, SignInRequired, SyncError
from streampai_desktop.widgets.media import (
    FORMATS,
    MAX_BYTES,
    looks_like,
    media_dir,
    resolve_media,
    user_refs,
)

log = logging.getLogger(__name__)

StoredRefs = Callable[[], Awaitable[set[str]]]


class MediaHttp(Protocol):
    """What moving media needs from the signed-in session (cloud/transport.py's
    :class:`~streampai_desktop.cloud.transport.AccountSession`, which refreshes on a 401)."""

    async def exists(self, path: str) -> bool: ...
    async def put_file(self, path: str, file: Path, content_type: str) -> Any: ...
    def download(self, path: str) -> AbstractAsyncContextManager[AsyncIterator[bytes]]: ...


class DamagedDownload(Exception):
    """The bytes that arrived are not the file asked for (another hash, too large, wrong type)."""


def _split(ref: str) -> tuple[str, str]:
    """(sha256, extension) of a ``user/{sha256}.{ext}`` ref."""
    sha, ext = ref.removeprefix("user/").rsplit(".", 1)
    return sha, ext


def stored_media_refs(db: Any) -> set[str]:
    """Every picked-file ref the stored widget configs name. Blocking (the database thread)."""
    from streampai_desktop.store import reads

    return set().union(*(user_refs(row.config) for row in reads.widget_configs(db.read())))


class MediaMover:
    """Uploads the picked files this computer pushes, fetches the ones it pulls."""

    def __init__(self, http: MediaHttp, data_dir: Path, stored_refs: StoredRefs) -> None:
        self.http = http
        self.data_dir = data_dir
        self._stored_refs = stored_refs  # refs the saved configs name (to fetch what is missing)
        self._on_service: set[str] = set()  # hashes the service is known to have
        self._refused: set[str] = set()  # refs the service would not take (told once)
        self._failed_this_round: set[str] = set()
        self._logged_missing: set[str] = set()  # said once in the log, not every round

    def have(self, ref: str) -> bool:
        return resolve_media(self.data_dir, ref) is not None

    # --- up -------------------------------------------------------------------------------------

    async def upload_for(self, batch: Iterable[dict[str, Any]]) -> list[str]:
        """Upload the picked files ``batch``'s patches name that this computer has; returns a
        notice for each one the service refused (the config still syncs without it)."""
        notices = []
        for mutation in batch:
            for field, value in (mutation.get("patch") or {}).items():
                for ref in sorted(user_refs(value)):
                    refusal = await self._upload(ref)
                    if refusal is not None:
                        notices.append(_refused_notice(mutation, field, ref, refusal))
        return notices

    async def _upload(self, ref: str) -> str | None:
        """Make sure the service has ``ref``'s file; the service's reason when it refuses it
        (only the first time: a batch retried after a timeout does not repeat the notice)."""
        sha = _split(ref)[0]
        if sha in self._on_service or ref in self._refused:
            return None
        found = resolve_media(self.data_dir, ref)
        if found is None:
            return None  # not on this computer either: whoever picked it uploads it
        path, content_type = found
        url = f"/v1/media/{sha}"
        # A HEAD first: after a restart the service usually has it already (and the HEAD
        # renews an expired access token before a large body is on its way).
        if not await self.http.exists(url):
            try:
                answer = await self.http.put_file(url, path, content_type)
            except (SignInRequired, ClientTooOld):
                raise
            except Refused as exc:
                self._refused.add(ref)
                log.warning("the account service refused media %s: %s", ref, exc)
                return _service_words(exc)
            except FileNotFoundError:
                return None  # deleted since: nothing to send
            size = answer.get("size") if isinstance(answer, dict) else None
            log.info("uploaded media %s (%s bytes)", ref, size)
        self._on_service.add(sha)
        return None

    # --- down -----------------------------------------------------------------------------------

    async def fetch_for(self, changes: Iterable[Any]) -> None:
        """Download the picked files pulled ``changes`` name that this computer lacks (before
        the page is applied). Failures are logged; the refs stay wanted."""
        refs: set[str] = set()
        for change in changes:
            if change.fields:
                refs |= user_refs(change.fields)
        await self._fetch(refs)

    async def fetch_missing(self) -> bool:
        """Try again for the picked files the saved configs name and this computer lacks
        (ones that failed earlier in this round wait for the next); True when one arrived."""
        skip, self._failed_this_round = self._failed_this_round, set()
        wanted = await self._stored_refs()
        arrived = await self._fetch(wanted - skip)
        self._failed_this_round = set()
        return arrived

    async def _fetch(self, refs: set[str]) -> bool:
        arrived = False
        for ref in sorted(refs):
            if self.have(ref) or _split(ref)[1] not in FORMATS:
                continue
            try:
                await self._download(ref)
            except (SignInRequired, ClientTooOld):
                raise
            except (SyncError, DamagedDownload, OSError) as exc:
                # Not uploaded yet (404), refused for the plan, offline, a full disk: the
                # overlays show the built-in default meanwhile, and a later round tries again.
                self._failed_this_round.add(ref)
                if ref not in self._logged_missing:
                    self._logged_missing.add(ref)
                    log.info("media %s is not here yet (%s); retrying on later syncs", ref, exc)
                continue
            arrived = True
        return arrived

    async def _download(self, ref: str) -> None:
        sha, ext = _split(ref)
        folder = media_dir(self.data_dir)
        digest = hashlib.sha256()
        size = 0
        head = b""
        # The temporary file is made once the service answers with the file (not for a 404).
        async with self.http.download(f"/v1/media/{sha}") as chunks:
            part, out = await asyncio.to_thread(_new_part, folder)
            try:
                try:
                    async for chunk in chunks:
                        size += len(chunk)
                        if size > MAX_BYTES:
                            raise DamagedDownload(f"larger than {MAX_BYTES} bytes")
                        if len(head) < 16:
                            head = (head + chunk)[:16]
                        digest.update(chunk)
                        await asyncio.to_thread(out.write, chunk)
                finally:
                    await asyncio.to_thread(out.close)
                if digest.hexdigest() != sha:
                    raise DamagedDownload("its SHA-256 does not match; discarded")
                if not looks_like(ext, head):
                    raise DamagedDownload(f"it is not a .{ext} file; discarded")
                await asyncio.to_thread(part.replace, folder / f"{sha}.{ext}")
            finally:
                await asyncio.to_thread(part.unlink, missing_ok=True)  # gone once renamed
        self._on_service.add(sha)
        log.info("fetched media %s (%d bytes)", ref, size)


def _new_part(folder: Path) -> tuple[Path, BinaryIO]:
    """A new temporary file in the media folder, open for writing. Blocking."""
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".part")
    return Path(name), os.fdopen(fd, "wb")


def _service_words(exc: Refused) -> str:
    """The service's own sentence ("This file is 31.2 MB; the free plan takes files up to
    25 MB."), without the "(HTTP 413)" the transport appends."""
    return str(exc).removesuffix(f" (HTTP {exc.status})")


def _refused_notice(mutation: dict[str, Any], field: str, ref: str, reason: str) -> str:
    from streampai_desktop.widgets.labels import setting_label
    from streampai_desktop.widgets.registry import get_widget

    what = f"{ref.removeprefix('user/')[:12]}….{_split(ref)[1]}"
    widget_type = (mutation.get("patch") or {}).get("widget_type")
    if isinstance(widget_type, str) and get_widget(widget_type) is not None:
        spec = get_widget(widget_type)
        assert spec is not None
        where = f" for {spec.title} > {setting_label(widget_type, field)}"
    else:
        where = ""
    return (
        f"The file {what} you picked{where} stays on this computer: {reason} Your other "
        "computers show the built-in one until you pick a smaller file."
    )
