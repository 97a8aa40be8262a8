"""Emote images for the Dashboard's chat, from the same cache the overlays use.

The Chat Box overlay loads ``/overlay/emotes/{platform}/{id}``, which the app fetches once from
the platform's CDN and keeps in ``{data_dir}/cache/emotes`` (``server/emotes.py``). The window
asks that cache directly: no HTTP to itself, and an emote OBS already showed is on disk. Nothing
here blocks the window: the fetch is a task, the file is decoded on a worker thread, and until
an image is here the chat shows the emote's name.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from streampai_desktop.server.emotes import EmoteCache

log = logging.getLogger("streampai_desktop.ui")

Key = tuple[str, str]  # (platform, emote id)
Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]
MAX_IMAGES = 500  # a long stream's emotes, bounded; the least recently drawn go first
READY_MS = 50  # images arriving together redraw the chat once


class EmoteImages(QObject):
    """Decoded emote images by (platform, id), loaded on first use."""

    ready = Signal()  # one or more images arrived: redraw the messages that use them

    def __init__(self, cache: EmoteCache, spawn: Spawn, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cache = cache
        self._spawn = spawn
        self._images: OrderedDict[Key, QImage] = OrderedDict()
        self._loading: set[Key] = set()
        self._failed: set[Key] = set()  # no image to be had: shown as words from then on
        self._ready = QTimer(self)
        self._ready.setSingleShot(True)
        self._ready.setInterval(READY_MS)
        self._ready.timeout.connect(self.ready.emit)

    def image(self, platform: str, emote_id: str) -> QImage | None:
        """The image if it is loaded; else None, and it starts loading (once)."""
        key = (platform, emote_id)
        found = self._images.get(key)
        if found is not None:
            self._images.move_to_end(key)
            return found
        if key not in self._loading and key not in self._failed:
            self._loading.add(key)
            self._spawn(self._load(key), "load an emote")
        return None

    def size(self, platform: str, emote_id: str, height: int) -> tuple[int, int] | None:
        """The emote's size at ``height`` (its own aspect), or None while it has no image."""
        found = self.image(platform, emote_id)
        if found is None or found.height() <= 0:
            return None
        return max(1, round(found.width() * height / found.height())), height

    async def _load(self, key: Key) -> None:
        image: QImage | None = None
        try:
            found = await self._cache.get(*key)
            if found is not None:
                # QImage may be made off the GUI thread (unlike QPixmap): decode there.
                image = await asyncio.to_thread(QImage, str(found[0]))
        except Exception as exc:  # an emote is decoration: never an error dialog mid-stream
            log.info("emote %s/%s not shown: %s", *key, type(exc).__name__)
        finally:
            self._loading.discard(key)
        if image is None or image.isNull():
            self._failed.add(key)
            return
        self._images[key] = image
        while len(self._images) > MAX_IMAGES:
            self._images.popitem(last=False)
        self._ready.start()
