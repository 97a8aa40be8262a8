"""Receiving an upload: streamed into a staging file while it is hashed and counted, never held
in memory, so a 100 MB video costs the service one write buffer, not 100 MB of RAM."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from aiohttp import StreamReader
from aiohttp.http_exceptions import HttpProcessingError

from streampai_cloud.media import StorageFull

# Bytes gathered before one write (and hash update) in a worker thread: big enough that the
# thread hop is rare (one per MiB), small enough to be no memory concern.
WRITE_BLOCK = 1024 * 1024
# A disk (or the process's share of it) that takes no more bytes.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class TooLarge(Exception):
    """The body went past the limit while it arrived (no or a false Content-Length)."""


class UploadInterrupted(Exception):
    """The client stopped sending before the body was complete (disconnect, broken chunking)."""


@dataclass(frozen=True)
class Staged:
    """A fully received upload: where it is, how big, and the SHA-256 of its bytes."""

    path: Path
    size: int
    sha256: str


@contextlib.contextmanager
def no_room_is_storage_full() -> Iterator[None]:
    """Turn "no space left" from the OS into StorageFull (a clean 507, not a traceback)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in _NO_ROOM:
            raise StorageFull(os.strerror(exc.errno or 0)) from exc
        raise


def _open(staging_dir: Path) -> IO[bytes]:
    with no_room_is_storage_full():
        staging_dir.mkdir(parents=True, exist_ok=True)
        return tempfile.NamedTemporaryFile(dir=staging_dir, prefix="upload-", delete=False)


def _write(handle: IO[bytes], hasher: Any, data: bytearray) -> None:
    hasher.update(data)  # hashlib releases the GIL on large buffers: real parallelism
    with no_room_is_storage_full():
        handle.write(data)


def _finish(handle: IO[bytes]) -> None:
    # On disk before anyone may reference it: a crash after the database row is committed
    # must not leave a row pointing at a file the kernel never wrote.
    with no_room_is_storage_full():
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()


def _discard(handle: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        handle.close()
    Path(handle.name).unlink(missing_ok=True)


async def receive(stream: StreamReader, staging_dir: Path, max_bytes: int) -> Staged:
    """The request body as a new file in `staging_dir`. Raises TooLarge as soon as more than
    `max_bytes` arrived, UploadInterrupted when the client stops early and StorageFull when
    the disk is full; in every such case no file is left behind."""
    handle = await asyncio.to_thread(_open, staging_dir)
    hasher = hashlib.sha256()
    size = 0
    buffer = bytearray()
    try:
        try:
            async for chunk in stream.iter_chunked(WRITE_BLOCK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge
                buffer += chunk
                if len(buffer) >= WRITE_BLOCK:
                    full, buffer = buffer, bytearray()
                    await asyncio.to_thread(_write, handle, hasher, full)
        except (ConnectionError, HttpProcessingError) as exc:
            raise UploadInterrupted from exc
        if buffer:
            await asyncio.to_thread(_write, handle, hasher, buffer)
        await asyncio.to_thread(_finish, handle)
    except BaseException:
        await asyncio.to_thread(_discard, handle)
        raise
    return Staged(Path(handle.name), size, hasher.hexdigest())
