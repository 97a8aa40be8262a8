"""``streampai-desktop urls``: the overlay URLs and the local API token for a data folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from streampai_desktop.core.errors import report
from streampai_desktop.instance import running_instance
from streampai_desktop.secrets import API_TOKEN, OVERLAY_TOKEN, open_secret_store
from streampai_desktop.server.urls import api_base_url, overlay_url
from streampai_desktop.settings import Settings
from streampai_desktop.widgets import WIDGETS


def _saved_port(data_dir: Path) -> int:
    from streampai_desktop.store import open_database, operations

    opened = open_database(data_dir)
    try:
        return Settings(operations.load_preferences(opened.db)).overlay_port
    finally:
        opened.db.close()


def print_urls(data_dir: Path, *, port: int | None, as_json: bool) -> int:
    """Print the URLs; 0 on success, the error's exit code otherwise."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        running = running_instance(data_dir)
        if port is None:
            port = running.port if running else _saved_port(data_dir)
        store = open_secret_store(data_dir)
        overlay_token = store.ensure_token_blocking(OVERLAY_TOKEN)
        api_token = store.ensure_token_blocking(API_TOKEN)
    except Exception as exc:
        message = report(exc, "reading the overlay URLs")
        print(f"{message.title}: {message.text}", file=sys.stderr)
        return message.exit_code
    urls = {w: overlay_url(port, w, overlay_token) for w in WIDGETS}
    if as_json:
        print(
            json.dumps(
                {
                    "running": running is not None,
                    "port": port,
                    "overlays": urls,
                    "api": {"base_url": api_base_url(port), "token": api_token},
                },
                indent=2,
            )
        )
        return 0
    state = "running" if running else "not running; these URLs work once it starts"
    print(f"Streampai Desktop ({state}), data folder {data_dir}")
    print("Overlay URLs (paste each into an OBS browser source):")
    for widget, url in urls.items():
        print(f"  {WIDGETS[widget].title:<10} {url}")
    print(f"Local API: {api_base_url(port)}")
    print(f"Local API token: {api_token}")
    if store.warning:
        print(store.warning)
    return 0
