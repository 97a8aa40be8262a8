"""Command line: ``streampai-desktop [options]`` runs the app; its subcommands (``urls``,
``platforms``, ``connect``, ``disconnect``, ``account``, ``status``, ``chat``) do from a terminal
what the window does (``terminal/``).

Nothing from Qt is imported here: headless mode must start without it (a second PC, a server).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from streampai_desktop import __version__
from streampai_desktop.core.errors import report

APP_NAME = "Streampai Desktop"
DATA_DIR_ENV = "STREAMPAI_DATA_DIR"


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, "Streampai", roaming=True))


def _port(text: str) -> int:
    from streampai_desktop.settings import SettingsError, _port

    try:
        return _port(text)
    except SettingsError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="streampai-desktop",
        description="Streampai Desktop: alerts, chat and overlays for your live stream, served to "
        "OBS from this computer.",
        epilog="Environment: STREAMPAI_DATA_DIR (data folder), STREAMPAI_OVERLAY_PORT (port), "
        "STREAMPAI_*_URL (service endpoints, see the README).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    data_dir_help = f"data folder (default: ${DATA_DIR_ENV} or {default_data_dir()})"
    port_help = (
        "overlay server port for this run (default: the saved port, 7470 on a new install; "
        "env STREAMPAI_OVERLAY_PORT)"
    )
    parser.add_argument("--data-dir", type=Path, default=None, metavar="DIR", help=data_dir_help)
    parser.add_argument("--port", type=_port, default=None, metavar="N", help=port_help)
    # The subcommand takes the same two options after its name; SUPPRESS keeps a value given
    # before the subcommand from being overwritten by the subparser's default.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=argparse.SUPPRESS, metavar="DIR", help=data_dir_help
    )
    common.add_argument(
        "--port", type=_port, default=argparse.SUPPRESS, metavar="N", help=port_help
    )
    parser.add_argument(
        "--headless",
        action="store_true",
        help="run without a window (no Qt at all): overlay server, demo and stream manager only",
    )
    demo = parser.add_mutually_exclusive_group()
    demo.add_argument(
        "--demo",
        dest="demo",
        action="store_true",
        default=None,
        help="send demo chat and alerts to the overlays (on by itself when no account is "
        "connected)",
    )
    demo.add_argument("--no-demo", dest="demo", action="store_false", help="never send demo events")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    urls = sub.add_parser(
        "urls",
        parents=[common],
        help="print the overlay URLs and the local API token",
        description="Print each overlay URL (paste into an OBS browser source) and the local API "
        "token for the data folder. Uses the running app's port when it is running.",
    )
    urls.add_argument("--json", action="store_true", help="print JSON instead of text")
    from streampai_desktop.terminal.run import add_subcommands

    add_subcommands(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    from streampai_desktop.core.lifecycle import pause_gc_for_startup, resume_gc_after_startup

    # Start-up builds objects that live as long as the app; App.start resumes the collector.
    pause_gc_for_startup()
    args = build_parser().parse_args(argv)
    data_dir = (args.data_dir or default_data_dir()).expanduser().resolve()
    if args.command is not None:
        resume_gc_after_startup()  # a subcommand is not the app: collect as usual
    if args.command == "urls":
        from streampai_desktop.urls_command import print_urls

        return print_urls(data_dir, port=args.port, as_json=args.json)
    from streampai_desktop.terminal.run import COMMANDS

    if args.command in COMMANDS:
        from streampai_desktop.terminal.run import run_command

        return run_command(args, data_dir)

    from streampai_desktop.app import AppOptions

    options = AppOptions(
        data_dir=data_dir,
        port=args.port,
        headless=args.headless,
        demo=args.demo,
        verbose=args.verbose,
    )
    if not options.headless:
        reason = _why_no_gui()
        if reason:
            print(f"{reason}: starting headless.", file=sys.stderr, flush=True)
            options.headless = True
    if options.headless:
        return asyncio.run(run_headless(options))
    from streampai_desktop.instance import raise_running_window, running_instance

    running = running_instance(data_dir)
    if running is not None and not running.headless and raise_running_window(data_dir, running):
        print(
            f"{APP_NAME} is already running: its window was brought to the front.",
            file=sys.stderr,
            flush=True,
        )
        return 0
    from streampai_desktop.ui.run import run_gui

    return run_gui(options)


def _why_no_gui() -> str | None:
    """Why a window cannot be shown here, or None when it can."""
    if (
        sys.platform.startswith("linux")
        and os.environ.get("QT_QPA_PLATFORM", "")
        not in (
            "offscreen",
            "minimal",
            "vnc",
            "eglfs",
            "linuxfb",
        )
        and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    ):
        return "No display found (DISPLAY and WAYLAND_DISPLAY are not set)"
    try:
        import PySide6  # noqa: F401
    except ImportError as exc:
        return f"Qt is not available ({exc})"
    return None


async def run_headless(options: object) -> int:
    """Run until SIGINT/SIGTERM; print the overlay URLs once ready."""
    from streampai_desktop.app import App, AppOptions

    assert isinstance(options, AppOptions)
    app = App(options)
    try:
        await app.start()
    except Exception as exc:
        message = report(exc, "starting")
        print(f"{message.title}: {message.text}", file=sys.stderr, flush=True)
        return message.exit_code
    _print_banner(app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows: Ctrl+C raises instead
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await app.shutdown()
    return 0


def _print_banner(app: object) -> None:
    from streampai_desktop.app import App

    assert isinstance(app, App)
    lines = [f"{APP_NAME} is running headless (no window). Press Ctrl+C to stop.", ""]
    lines += ["Paste these URLs into OBS browser sources:"]
    # Keyed by instance id: a second chat box is "chat_box-2f9c1a", so show each one's name.
    for widget_id, url in app.overlay_urls().items():
        lines.append(f"  {app.widgets[widget_id].name:<10} {url}")
    if app.demo.reason:
        lines += ["", app.demo.reason]
    if app.state.secrets_warning:
        lines += ["", app.state.secrets_warning]
    lines += [
        "",
        f"Local API: http://127.0.0.1:{app.port}/api/v1 "
        f"(token: streampai-desktop urls --data-dir {app.data_dir})",
    ]
    if app.state.log_file:
        lines.append(f"Log file: {app.state.log_file}")
    lines += app.state.notices
    print("\n".join(lines), flush=True)
