"""``account signin | signout | status`` and ``status``: the Account & Sync page and the status
bar in a terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streampai_desktop.core.errors import UserMessage
from streampai_desktop.terminal.output import Out
from streampai_desktop.terminal.target import ApiFailure, DataFolder, running_api

if TYPE_CHECKING:
    from streampai_desktop.cloud.service import AccountService


@asynccontextmanager
async def stopped_app_account(folder: DataFolder) -> AsyncIterator[AccountService]:
    """The account service on the data folder while the app is stopped."""
    from streampai_desktop.cloud.service import AccountService
    from streampai_desktop.core.bus import EventBus

    async def keep_for_the_app(_: Any) -> bool:
        return False  # donations wait on the service until the app runs

    service = AccountService(
        EventBus(),
        folder.db,
        folder.run_db,
        service_url=folder.settings.get("account_service_url"),
        secrets=folder.secrets,
        submit=keep_for_the_app,
        reloads=[],
    )
    try:
        yield service
    finally:
        await service.stop()


def _raise(message: UserMessage) -> None:
    raise ApiFailure(message.text, message.exit_code, message.title)


async def signin_command(
    data_dir: Path,
    out: Out,
    email: str,
    password: str,
    *,
    keep: str | None,
    register: bool,
    handle: str | None,
) -> int:
    body = {"email": email, "password": password, "keep": keep, "register": register}
    if handle:
        body["handle"] = handle
    api = await running_api(data_dir)
    if api is not None:
        try:
            report = await api.call("POST", "/account/signin", body)
        finally:
            await api.close()
    else:
        from streampai_desktop.cloud.messages import account_failure

        async with DataFolder(data_dir) as folder, stopped_app_account(folder) as account:
            try:
                await account.sign_in(email, password, register=register, handle=handle, keep=keep)
            except Exception as exc:
                _raise(account_failure(exc, account.session.base_url))
            report = await account.report()
    who = (report.get("account") or {}).get("email") or email
    out.result(report, lambda: out.line(f"Signed in as {who}; {_sync_line(report)}"))
    return 0


async def signout_command(data_dir: Path, out: Out) -> int:
    api = await running_api(data_dir)
    if api is not None:
        try:
            report = await api.call("POST", "/account/signout")
        finally:
            await api.close()
    else:
        async with DataFolder(data_dir) as folder, stopped_app_account(folder) as account:
            await account.sign_out()
            report = await account.report(details=False)
    text = "Signed out: this computer keeps its settings and stops syncing them."
    out.result(report, lambda: out.line(text))
    return 0


async def account_report(data_dir: Path) -> tuple[bool, dict[str, Any]]:
    """(app running, the account report)."""
    api = await running_api(data_dir)
    if api is not None:
        try:
            return True, await api.call("GET", "/account")
        finally:
            await api.close()
    async with DataFolder(data_dir) as folder, stopped_app_account(folder) as account:
        report = await account.report()
        report["sync"]["state"] = "app not running" if report["signed_in"] else "signed_out"
        return False, report


async def account_status_command(data_dir: Path, out: Out) -> int:
    running, report = await account_report(data_dir)
    out.result({"running": running, **report}, lambda: _print_account(out, report))
    return 0


def _sync_line(report: dict[str, Any]) -> str:
    sync = report.get("sync") or {}
    state = str(sync.get("state", "")).replace("_", " ")
    parts = [f"sync: {state}"]
    if sync.get("detail"):
        parts.append(str(sync["detail"]))
    if sync.get("last_synced_at"):
        parts.append(f"last sync {sync['last_synced_at']}")
    parts.append(f"{sync.get('pending', 0)} change(s) waiting to upload")
    return "; ".join(parts) + "."


def _print_account(out: Out, report: dict[str, Any]) -> None:
    if not report.get("signed_in"):
        out.line(f"Not signed in to the Streampai account ({report.get('service_url')}).")
        return
    account = report.get("account") or {}
    who = account.get("email") or account.get("handle") or "(the service did not answer)"
    out.line(f"Signed in as {who} at {report.get('service_url')}")
    out.line(_sync_line(report)[:1].upper() + _sync_line(report)[1:])
    for notice in (report.get("sync") or {}).get("notices", []):
        out.line(f"  ! {notice}")
    devices = report.get("devices") or []
    if devices:
        out.line("Computers signed in to this account:")
        for device in devices:
            mark = " (this one)" if device.get("current") else ""
            seen = device.get("last_seen_at") or "never"
            out.line(f"  {device.get('name', '?')}{mark}, last seen {seen}")
    if report.get("error"):
        out.line(f"The account service could not be asked: {report['error']}")


# --- status --------------------------------------------------------------------------------------


async def status_command(data_dir: Path, out: Out) -> int:
    """Overlays, alert queue, platforms and sync on one screen."""
    from streampai_desktop.terminal.platforms import platforms_rows

    api = await running_api(data_dir)
    if api is None:
        _, account = await account_report(data_dir)
        rows = await platforms_rows(data_dir)
        body: dict[str, Any] = {"running": False, "platforms": rows, "account": account}
    else:
        try:
            status = await api.call("GET", "/status")
            rows = (await api.call("GET", "/platforms"))["platforms"]
            account = await api.call("GET", "/account")
        finally:
            await api.close()
        body = {"running": True, **status, "platforms": rows, "account": account}
    out.result(body, lambda: _print_status(out, body))
    return 0


def _print_status(out: Out, body: dict[str, Any]) -> None:
    from streampai_desktop.terminal.platforms import print_rows

    if body["running"]:
        mode = "headless" if body.get("headless") else "with its window"
        out.line(f"Streampai Desktop is running {mode} on port {body.get('port')}.")
        overlays = body.get("overlays") or {}
        shown = ", ".join(f"{k}: {v}" for k, v in overlays.items() if v) or "none"
        out.line(f"Overlays connected: {shown}")
        alerts = body.get("alerts") or {}
        now = alerts.get("now")
        showing = f"showing {now['kind']} from {now['name']}" if now else "nothing on screen"
        paused = ", paused" if alerts.get("paused") else ""
        out.line(
            f"Alerts: {showing}, {alerts.get('pending', 0)} waiting, "
            f"{alerts.get('missed', 0)} missed{paused}"
        )
        if body.get("demo"):
            out.line("Demo mode is on.")
    else:
        out.line("Streampai Desktop is not running on this data folder.")
    out.line("Platforms:")
    print_rows(out, body["platforms"], indent="  ")
    account = body.get("account") or {}
    if account.get("signed_in"):
        out.line(f"Account: {_sync_line(account)}")
    else:
        out.line("Account: not signed in.")
