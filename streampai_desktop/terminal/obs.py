"""``obs connect | status | repair``: Settings → OBS in a terminal.

With the app running, the app does it (its connection to OBS is the one that counts, and it
connects with the new settings at once); with the app stopped, the terminal saves the settings in
the data folder (the password in the keyring) and talks to OBS itself.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from streampai_desktop.obs.errors import ObsError
from streampai_desktop.obs.overlay_sources import repair_sources
from streampai_desktop.obs.service import ObsService, repairs_json
from streampai_desktop.terminal.output import Out
from streampai_desktop.terminal.target import DataFolder, running_api

# How long a terminal command waits for OBS (a running OBS answers in milliseconds).
CONNECT_WAIT_S = 5.0


@asynccontextmanager
async def stopped_app_obs(data_dir: Path) -> AsyncIterator[tuple[ObsService, DataFolder]]:
    """The OBS service on the data folder while the app is stopped (started, not yet
    connected), and the folder."""
    from streampai_desktop.store import operations as ops

    async with DataFolder(data_dir) as folder:

        async def save(key: str, value: Any) -> Any:
            parsed = folder.settings.validate(key, value)
            await folder.run_db(ops.save_preference, folder.db, key, parsed)
            return folder.settings.set_stored(key, parsed)

        service = ObsService(folder.settings, folder.secrets, save)
        try:
            await service.start()
            yield service, folder
        finally:
            await service.stop()


async def _with_obs(
    data_dir: Path,
    api_call: tuple[str, str, dict[str, Any] | None],
    local: Callable[[ObsService, DataFolder], Awaitable[dict[str, Any]]],
) -> tuple[bool, dict[str, Any]]:
    """(True, the API's answer) with the app running, else (False, ``local(service, folder)``)."""
    api = await running_api(data_dir)
    if api is not None:
        try:
            answer: dict[str, Any] = await api.call(*api_call)
            return True, answer
        finally:
            await api.close()
    async with stopped_app_obs(data_dir) as (service, folder):
        return False, await local(service, folder)


async def connect_command(data_dir: Path, out: Out, url: str | None, password: str | None) -> int:
    """Save where OBS is and connect. The settings are kept even when OBS does not answer (it may
    not be running yet); the exit code then says why (7 not reachable, 6 password refused)."""
    body: dict[str, Any] = {}
    if url is not None:
        body["url"] = url
    if password is not None:
        body["password"] = password

    async def local(service: ObsService, _folder: DataFolder) -> dict[str, Any]:
        return (await service.connect_with(url, password, within=CONNECT_WAIT_S)).to_json()

    _, report = await _with_obs(data_dir, ("POST", "/obs/connect", body), local)
    out.result(report, lambda: _print_status(out, report))
    return 0


async def status_command(data_dir: Path, out: Out) -> int:
    """OBS's status: from the running app, or by connecting once with the saved settings."""

    async def local(service: ObsService, _folder: DataFolder) -> dict[str, Any]:
        with contextlib.suppress(ObsError):  # the status says why
            await service.wait_connected(CONNECT_WAIT_S)
        return service.status.to_json()

    running, report = await _with_obs(data_dir, ("GET", "/obs", None), local)
    body = {"running": running, **report}
    out.result(body, lambda: _print_status(out, body))
    return 0


async def repair_command(data_dir: Path, out: Out) -> int:
    """Point every OBS browser source showing one of this app's overlays at its current URL
    (after a new overlay token or port); exit 1 when OBS refused one."""

    async def local(service: ObsService, folder: DataFolder) -> dict[str, Any]:
        from streampai_desktop.secrets import OVERLAY_TOKEN
        from streampai_desktop.server.urls import overlay_url
        from streampai_desktop.widgets.instances import load_widgets

        await service.wait_connected(CONNECT_WAIT_S)
        token = await folder.secrets.get(OVERLAY_TOKEN)
        if not token:
            return {"changed": []}  # no overlay URL was ever made: nothing in OBS can be ours
        widgets = await folder.run_db(load_widgets, folder.db)
        port = folder.settings.overlay_port
        urls = {w.id: overlay_url(port, w.id, token) for w in widgets}
        return repairs_json(await repair_sources(service.connection, urls))

    _, report = await _with_obs(data_dir, ("POST", "/obs/repair", None), local)
    out.result(report, lambda: _print_repairs(out, report))
    return 1 if any(not r.get("ok", True) for r in report.get("changed", [])) else 0


def _print_status(out: Out, body: dict[str, Any]) -> None:
    if body.get("running") is False:
        out.line("Streampai Desktop is not running; asked OBS directly.")
    out.line(str(body.get("line", "")))
    if body.get("connected"):
        out.line(
            f"Connected to OBS {body.get('obs_version')} (obs-websocket "
            f"{body.get('websocket_version')}) at {body.get('url')}"
        )
        scenes = ", ".join(body.get("scenes") or []) or "none"
        out.line(f"Scene: {body.get('scene') or '—'} (scenes: {scenes})")
    else:
        out.line(f"Address: {body.get('url')}")
        if body.get("error"):
            out.line(str(body["error"]))


def _print_repairs(out: Out, report: dict[str, Any]) -> None:
    changed = report.get("changed") or []
    if not changed:
        out.line("Every OBS source showing a Streampai overlay already has the right URL.")
        return
    out.line(f"Updated {sum(1 for r in changed if r.get('ok'))} OBS source(s):")
    for repair in changed:
        out.line(f"  {repair['description']}")


def add_parsers(sub: Any, shared: argparse.ArgumentParser) -> None:
    obs = sub.add_parser(
        "obs",
        parents=[shared],
        help="OBS: connect, status, repair overlay URLs",
        description="Control OBS over its WebSocket server (OBS 28 or later: Tools → WebSocket "
        "Server Settings).",
    )
    obs_sub = obs.add_subparsers(dest="obs_command", metavar="ACTION", required=True)
    connect = obs_sub.add_parser(
        "connect",
        parents=[shared],
        help="save where OBS is (and its password) and connect",
        description="Save the OBS WebSocket address and password (kept in the keyring) and "
        "connect. Find both in OBS under Tools → WebSocket Server Settings → Show Connect Info.",
    )
    connect.add_argument(
        "--url", metavar="URL", help="OBS's WebSocket address (default ws://127.0.0.1:4455)"
    )
    connect.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the WebSocket password from standard input (an empty line removes it)",
    )
    obs_sub.add_parser(
        "status",
        parents=[shared],
        help="connected?, versions, scene, streaming and recording",
    )
    obs_sub.add_parser(
        "repair",
        parents=[shared],
        help="point OBS's overlay sources at the current URLs (new token or port)",
    )


def dispatch(args: argparse.Namespace, data_dir: Path, out: Out) -> Coroutine[Any, Any, int]:
    if args.obs_command == "connect":
        password = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
        return connect_command(data_dir, out, args.url, password)
    if args.obs_command == "repair":
        return repair_command(data_dir, out)
    return status_command(data_dir, out)
