"""Multistream: one ingest, many destinations (not available yet)."""

from __future__ import annotations

from streampai_desktop.ui.pages.placeholder import ComingSoonPage


def multistream_page() -> ComingSoonPage:
    return ComingSoonPage(
        "Multistream",
        "Send one stream from OBS to several platforms at once.",
        [
            "Stream once from OBS; Streampai relays it to Twitch, YouTube, Kick and Facebook "
            "through Cloudflare Stream.",
            "Add, enable and disable destinations here, with each one's live status.",
            "Set the OBS stream settings for you over obs-websocket.",
        ],
    )
