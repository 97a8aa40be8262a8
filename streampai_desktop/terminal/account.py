"""``account signin | signout | status`` and ``status``: the Account & Sync page and the status
bar in a terminal."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
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


def _sync_line(report: dict[str, Any], *, detail: bool = True) -> str:
    """ "sync: up to date; last sync 14:05 (2 min ago); 0 change(s) waiting to upload." —
    without ``detail`` when the "since" line beside it says why sync is not online."""
    sync = report.get("sync") or {}
    state = str(sync.get("state", "")).replace("_", " ")
    parts = [f"sync: {state}"]
    if sync.get("detail") and detail:
        parts.append(str(sync["detail"]))
    last = _utc(sync.get("last_synced_at"))
    if last is not None:
        parts.append(f"last sync {_clock(last)} ({_duration(last)} ago)")
    parts.append(f"{sync.get('pending', 0)} change(s) waiting to upload")
    return "; ".join(parts) + "."


def _since_line(sync: dict[str, Any]) -> str | None:
    """ "Online since 14:02 (3 min)", or "Offline since 13:58 (7 min): why": how long the
    running app has (not) been reaching the service. None before its first round ends."""
    since = _utc(sync.get("since"))
    if since is None or sync.get("online") is None:
        return None
    when = f"since {_clock(since)} ({_duration(since)})"
    if sync["online"]:
        return f"Online {when}"
    label = "Offline" if sync.get("state") == "offline" else "Not syncing"
    reason = str(sync.get("detail") or "").rstrip(".")
    return f"{label} {when}" + (f": {reason}" if reason else "")


def _utc(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _clock(moment: datetime) -> str:
    """The moment on this computer's clock: "14:02", with the date when it is not today."""
    local = moment.astimezone()
    today = datetime.now().astimezone().date()
    return local.strftime("%H:%M" if local.date() == today else "%Y-%m-%d %H:%M")


def _duration(since: datetime) -> str:
    seconds = max(0, int((datetime.now(UTC) - since).total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def _print_account(out: Out, report: dict[str, Any]) -> None:
    if not report.get("signed_in"):
        out.line(f"Not signed in to the Streampai account ({report.get('service_url')}).")
        return
    account = report.get("account") or {}
    sync = report.get("sync") or {}
    who = (
        account.get("email")
        or sync.get("signed_in_as")
        or account.get("handle")
        or "(the service did not answer)"
    )
    out.line(f"Signed in as {who} at {report.get('service_url')}")
    since = _since_line(sync)
    if since:
        out.line(since)
    line = _sync_line(report, detail=since is None)
    out.line(line[:1].upper() + line[1:])
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
        since = _since_line(account.get("sync") or {})
        out.line(f"Account: {_sync_line(account, detail=since is None)}")
        if since:
            out.line(f"  {since}")
    else:
        out.line("Account: not signed in.")
