"""Runs one terminal subcommand: picks the command, turns its failures into a sentence on stderr
and the documented exit code (README, "Exit codes"), and Ctrl+C into 130."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from streampai_desktop.core.errors import (
    EXIT_CANCELLED,
    EXIT_USAGE,
    UserFacingError,
    describe,
    report,
)
from streampai_desktop.terminal.output import Out

COMMANDS = (
    "platforms",
    "connect",
    "disconnect",
    "account",
    "status",
    "chat",
    "backup",
    "export",
    "import",
    "obs",
)


def run_command(args: argparse.Namespace, data_dir: Path) -> int:
    out = Out(bool(getattr(args, "json", False)))
    _log_warnings_once()
    try:
        return asyncio.run(_command(args, data_dir, out))
    except KeyboardInterrupt:
        out.error("Cancelled.")
        return EXIT_CANCELLED
    except Exception as exc:
        # A sentence for what we expect (wrong password, not connected); the log and its
        # traceback only for what we did not.
        message = describe(exc) if isinstance(exc, UserFacingError) else report(exc, args.command)
        out.error(f"{message.title}: {message.text}")
        return message.exit_code


class _Once(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text in self.seen:
            return False
        self.seen.add(text)
        return True


def _log_warnings_once() -> None:
    """Warnings (a keyring fallback) go to stderr once per run, not once per file opened."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.addFilter(_Once())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.WARNING)


def _command(args: argparse.Namespace, data_dir: Path, out: Out) -> Coroutine[Any, Any, int]:
    from streampai_desktop.terminal import account, backups, platforms, transfer

    if args.command == "backup":
        return backups.dispatch(args, data_dir, out)
    if args.command in ("export", "import"):
        return transfer.dispatch(args, data_dir, out)
    if args.command == "platforms":
        return platforms.platforms_command(data_dir, out)
    if args.command == "obs":
        from streampai_desktop.terminal import obs

        return obs.dispatch(args, data_dir, out)
    if args.command == "connect":
        return platforms.connect_command(
            data_dir,
            out,
            args.platform,
            again=args.again,
            open_browser=not args.no_browser,
            choice=args.page,
        )
    if args.command == "disconnect":
        return platforms.disconnect_command(data_dir, out, args.platform)
    if args.command == "chat":
        return platforms.chat_send_command(data_dir, out, args.platform, " ".join(args.text))
    if args.command == "status":
        return account.status_command(data_dir, out)
    if args.account_command == "signin":
        password = _password(args.password_stdin)
        return account.signin_command(
            data_dir,
            out,
            args.email,
            password,
            keep=args.keep,
            register=args.register,
            handle=args.handle,
        )
    if args.account_command == "signout":
        return account.signout_command(data_dir, out)
    return account.account_status_command(data_dir, out)


def _password(from_stdin: bool) -> str:
    password = sys.stdin.readline().rstrip("\n") if from_stdin else getpass.getpass("Password: ")
    if not password:
        raise SystemExit(EXIT_USAGE)
    return password


def add_subcommands(sub: Any, common: argparse.ArgumentParser) -> None:
    """The terminal's subcommands, each with ``--data-dir`` and ``--json``."""
    shared = argparse.ArgumentParser(add_help=False, parents=[common])
    shared.add_argument("--json", action="store_true", help="print JSON (one object per line)")

    sub.add_parser(
        "platforms",
        parents=[shared],
        help="each platform's state and account",
        description="Each platform with its state (not connected, connecting, connected, live, "
        "needs sign-in, error with the reason) and the connected account.",
    )
    connect = sub.add_parser(
        "connect",
        parents=[shared],
        help="connect a platform (sign in from the terminal)",
        description="Run the platform's sign-in here: a code to enter on the platform's site, or "
        "an address to open in a browser. A running app connects the account at once.",
    )
    connect.add_argument("platform", help="twitch, youtube, kick or facebook")
    connect.add_argument(
        "--again", action="store_true", help="sign in again over a connected account"
    )
    connect.add_argument(
        "--no-browser", action="store_true", help="print the sign-in address, do not open it"
    )
    connect.add_argument(
        "--page",
        metavar="NAME|ID",
        help="the Page to connect when your sign-in manages several (Facebook): its name or id",
    )
    disconnect = sub.add_parser(
        "disconnect",
        parents=[shared],
        help="disconnect a platform and delete its sign-in",
    )
    disconnect.add_argument("platform")
    chat = sub.add_parser("chat", parents=[shared], help="send a chat message")
    chat_sub = chat.add_subparsers(dest="chat_command", metavar="send", required=True)
    send = chat_sub.add_parser(
        "send",
        parents=[shared],
        help="send TEXT to the platform's chat as the connected account",
    )
    send.add_argument("platform")
    send.add_argument("text", nargs="+")
    sub.add_parser(
        "status",
        parents=[shared],
        help="overlays, alerts, platforms and sync on one screen",
    )
    account = sub.add_parser("account", parents=[shared], help="the Streampai account and sync")
    account_sub = account.add_subparsers(dest="account_command", metavar="ACTION", required=True)
    signin = account_sub.add_parser(
        "signin", parents=[shared], help="sign in (or --register) and start syncing"
    )
    signin.add_argument("email")
    signin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    signin.add_argument(
        "--keep",
        choices=("this_computer", "account"),
        help="when the account already has settings: whose settings win",
    )
    signin.add_argument("--register", action="store_true", help="create the account first")
    signin.add_argument("--handle", help="with --register: the public handle (tip page)")
    account_sub.add_parser("signout", parents=[shared], help="stop syncing this computer")
    account_sub.add_parser("status", parents=[shared], help="signed in as, sync state, computers")
    from streampai_desktop.terminal import backups, transfer

    backups.add_parsers(sub, shared)
    transfer.add_parsers(sub, shared)
    from streampai_desktop.terminal import obs

    obs.add_parsers(sub, shared)
