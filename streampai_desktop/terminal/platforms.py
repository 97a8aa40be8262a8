"""``platforms``, ``connect``, ``disconnect`` and ``chat send``: the Platforms page in a terminal.

With the app running, the app signs in (its connector starts at once) and the terminal shows
the flow's steps and waits; with the app stopped, the terminal runs the same generic flow itself
and stores the account, which the app connects when it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import webbrowser
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

from streampai_desktop.core.errors import EXIT_NOT_CONNECTED
from streampai_desktop.platforms import flows
from streampai_desktop.platforms.base import AlreadyConnected, NotConnected
from streampai_desktop.platforms.registry import get_platform
from streampai_desktop.platforms.spec import PlatformSpec, SignInKind
from streampai_desktop.stream.platform_status import platform_rows
from streampai_desktop.stream.sign_in import save_signed_in, sign_in_failure, step_json
from streampai_desktop.terminal.output import Out
from streampai_desktop.terminal.target import DataFolder, LocalApi, running_api

POLL_S = 0.5


async def platforms_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Every platform's row: live from the running app, or from the data folder."""
    api = await running_api(data_dir)
    if api is not None:
        try:
            rows: list[dict[str, Any]] = (await api.call("GET", "/platforms"))["platforms"]
            return rows
        finally:
            await api.close()
    async with DataFolder(data_dir) as folder:
        from streampai_desktop.store import operations as ops

        return platform_rows(await folder.run_db(ops.load_accounts, folder.db), None)


async def platforms_command(data_dir: Path, out: Out) -> int:
    rows = await platforms_rows(data_dir)
    out.result({"platforms": rows}, lambda: print_rows(out, rows))
    return 0


def print_rows(out: Out, rows: list[dict[str, Any]], indent: str = "") -> None:
    for row in rows:
        accounts = row["accounts"]
        if not accounts:
            out.line(f"{indent}{row['label']:<10} {row['state']}")
        for account in accounts:
            detail = f" — {account['reason']}" if account.get("reason") else ""
            out.line(f"{indent}{row['label']:<10} {account['state']}: {account['login']}{detail}")


# --- connect -------------------------------------------------------------------------------------


def show_step(out: Out, step: dict[str, Any], label: str) -> None:
    if step["kind"] == "device_code":
        out.line(
            f"To connect {label}, open {step['verification_uri']} and enter the code "
            f"{step['user_code']} (it expires in {step['expires_in_s'] // 60} min)."
        )
    else:
        opened = "Your browser opened" if step.get("opened") else "Open this address in a browser"
        out.line(f"{opened} to approve Streampai Desktop on {label}:\n  {step['url']}")
    out.line("Waiting for your approval… (Ctrl+C cancels)")
    out.event({"event": "step", "step": step})


async def connect_command(
    data_dir: Path,
    out: Out,
    platform: str,
    *,
    again: bool,
    open_browser: bool,
    choice: str | None = None,
) -> int:
    """``choice`` (``--page``) names the channel when the sign-in may reach several."""
    spec = get_platform(platform)
    api = await running_api(data_dir)
    if api is not None:
        try:
            return await _connect_running(api, out, spec.id, spec.label, again, choice)
        finally:
            await api.close()
    async with DataFolder(data_dir) as folder:
        return await _connect_here(folder, out, spec.id, again, open_browser, choice)


async def _connect_running(
    api: LocalApi, out: Out, platform: str, label: str, again: bool, choice: str | None
) -> int:
    body: dict[str, Any] = {"again": again}
    if choice is not None:
        body["choice"] = choice
    attempt = await api.call("POST", f"/platforms/{platform}/connect", body)
    shown = False
    try:
        while attempt["state"] in ("starting", "waiting"):
            if attempt.get("step") and not shown:
                show_step(out, attempt["step"], label)
                shown = True
            await asyncio.sleep(POLL_S)
            attempt = await api.call("GET", f"/sign-ins/{attempt['id']}")
    except asyncio.CancelledError:
        await api.call("DELETE", f"/sign-ins/{attempt['id']}")
        raise
    return _finished(out, attempt, label, running=True)


async def _connect_here(
    folder: DataFolder,
    out: Out,
    platform: str,
    again: bool,
    open_browser: bool,
    choice: str | None,
) -> int:
    from streampai_desktop.store import operations as ops

    spec = get_platform(platform)
    accounts = await folder.run_db(ops.load_accounts, folder.db)
    mine = [a for a in accounts if a.platform == spec.id]
    if mine and not again:
        raise AlreadyConnected(
            f"{spec.label} is already connected as {mine[0].login}. Disconnect it first, or "
            "sign in again with --again."
        )

    async def show(step: flows.SignInStep) -> None:
        if isinstance(step, flows.ChoiceStep):
            # Several to choose from and none named (--page): say which there are.
            raise flows.ChoiceNeeded.listing(step)
        show_step(out, step_json(step), spec.label)

    browser = webbrowser.open if open_browser else (lambda url: False)
    try:
        async with _account_session(spec, folder):
            who = await flows.sign_in(
                spec,
                show,
                settings=folder.settings,
                secrets=folder.secrets,
                open_browser=browser,
                choice=choice,
            )
    except Exception as exc:
        message = sign_in_failure(exc)
        return _finished(
            out,
            {"state": "failed", "error": {"message": message.text, "exit_code": message.exit_code}},
            spec.label,
            running=False,
        )
    account = await save_signed_in(folder.db, folder.run_db, spec, who)
    done = {
        "state": "done",
        "account": {"id": account.id, "login": account.login, "display_name": who.display_name},
    }
    return _finished(out, done, spec.label, running=False)


def _account_session(spec: PlatformSpec, folder: DataFolder) -> AbstractAsyncContextManager[Any]:
    """A platform that signs in through the Streampai account service needs the account's
    session, which the app holds when it runs: here, the data folder's, for the sign-in."""
    if spec.sign_in is not SignInKind.VIA_SERVICE:
        return contextlib.nullcontext()
    from streampai_desktop.terminal.account import stopped_app_account

    return stopped_app_account(folder)


def _finished(out: Out, attempt: dict[str, Any], label: str, *, running: bool) -> int:
    if attempt["state"] == "done":
        login = attempt["account"]["login"]
        when = "connecting now" if running else "it connects when Streampai Desktop starts"
        out.result(
            {"connected": True, "platform": label, "account": attempt["account"]},
            lambda: out.line(f"Connected {label} as {login}: {when}."),
        )
        return 0
    error = attempt.get("error") or {}
    out.error(f"{label} was not connected: {error.get('message', attempt['state'])}")
    return int(error.get("exit_code") or 1)


# --- disconnect and chat -------------------------------------------------------------------------


async def disconnect_command(data_dir: Path, out: Out, platform: str) -> int:
    spec = get_platform(platform)
    api = await running_api(data_dir)
    if api is not None:
        try:
            gone = (await api.call("POST", f"/platforms/{spec.id}/disconnect"))["disconnected"]
        finally:
            await api.close()
    else:
        async with DataFolder(data_dir) as folder:
            gone = await _disconnect_here(folder, spec.id, spec.label)
    out.result(
        {"disconnected": gone, "platform": spec.id},
        lambda: out.line(f"Disconnected {spec.label} ({', '.join(gone)}); its sign-in is deleted."),
    )
    return 0


async def _disconnect_here(folder: DataFolder, platform: str, label: str) -> list[str]:
    from streampai_desktop.platforms.base import ConnectorDeps
    from streampai_desktop.platforms.registry import create_connector
    from streampai_desktop.store import operations as ops

    accounts = [
        a for a in await folder.run_db(ops.load_accounts, folder.db) if a.platform == platform
    ]
    if not accounts:
        raise NotConnected(f"{label} is not connected: there is nothing to disconnect.")

    async def nowhere(_: Any) -> bool:
        return False

    for account in accounts:
        # The platform's own connector knows which keyring entries are its tokens.
        deps = ConnectorDeps(submit=nowhere, on_state=lambda _: None, on_stream=lambda _: None)
        connector = create_connector(
            account, deps, settings=folder.settings, secrets=folder.secrets
        )
        await connector.sign_out()
        await folder.run_db(ops.remove_account, folder.db, account.id)
    return [a.login for a in accounts]


async def chat_send_command(data_dir: Path, out: Out, platform: str, text: str) -> int:
    spec = get_platform(platform)
    api = await running_api(data_dir)
    if api is None:
        out.error(
            f"Streampai Desktop is not running on {data_dir}: start it (it holds the "
            f"{spec.label} connection), then send again."
        )
        return EXIT_NOT_CONNECTED
    try:
        sent = await api.call("POST", "/chat", {"platform": spec.id, "text": text})
    finally:
        await api.close()
    out.result(sent, lambda: out.line(f"Sent to {spec.label} as {sent['account']}."))
    return 0
