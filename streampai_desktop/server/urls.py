"""The URLs the streamer pastes into OBS and other tools (DESIGN.md §4: keep these stable)."""

from __future__ import annotations

from urllib.parse import quote

HOST = "127.0.0.1"


def overlay_url(port: int, widget: str, token: str) -> str:
    """``http://127.0.0.1:{port}/overlay/{widget}?token={overlay_token}``."""
    return f"http://{HOST}:{port}/overlay/{quote(widget, safe='')}?token={quote(token, safe='')}"


def preview_url(port: int, widget: str, token: str, preview_id: str) -> str:
    """The overlay page as a preview (server/preview.py): the same page and token rules, plus
    ``&preview={id}``, so it shows only what the settings editor sends to that session."""
    return f"{overlay_url(port, widget, token)}&preview={quote(preview_id, safe='')}"


def api_base_url(port: int) -> str:
    return f"http://{HOST}:{port}/api/v1"
