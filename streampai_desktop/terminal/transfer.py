"""``export FILE.zip`` and ``import FILE.zip``: widgets, preferences and their media, to move
to another computer or keep aside (layout and what is left out: ``archive/bundle.py``).

With the app running they go through its local API (an import must reach the widgets it holds
in memory, the overlays and sync); with it stopped they work on the data folder directly. An
import checks the whole zip before anything is opened for writing.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from streampai_desktop.core.errors import EXIT_USAGE, UserFacingError
from streampai_desktop.terminal.output import Out
from streampai_desktop.terminal.target import DataFolder, running_api


class NotAZipName(UserFacingError):
    title = "Not understood"
    exit_code = EXIT_USAGE


def _zip_path(text: str) -> Path:
    path = Path(text).expanduser().resolve()
    if path.suffix.lower() != ".zip":
        raise NotAZipName(f"{text}: name the file FILE.zip.")
    return path


async def export_command(data_dir: Path, out: Out, target_text: str) -> int:
    target = _zip_path(target_text)
    api = await running_api(data_dir)
    if api is not None:
        try:
            result = await api.call("POST", "/export", {"path": str(target)})
        finally:
            await api.close()
    else:
        from streampai_desktop.archive.export import collect, write_export

        async with DataFolder(data_dir) as folder:
            collected = await folder.run_db(collect, folder.db)
        summary = await asyncio.to_thread(write_export, data_dir, target, collected)
        result = {**summary.to_json(), "message": summary.sentence()}
    out.result(result, lambda: out.line(result["message"]))
    return 0


async def import_command(data_dir: Path, out: Out, source_text: str) -> int:
    source = _zip_path(source_text)
    api = await running_api(data_dir)
    if api is not None:
        try:
            result = await api.call("POST", "/import", {"path": str(source)})
        finally:
            await api.close()
    else:
        from streampai_desktop.archive.bundle import read_bundle
        from streampai_desktop.archive.importer import import_bundle

        bundle = await asyncio.to_thread(read_bundle, source)  # refused here: nothing opened
        async with DataFolder(data_dir) as folder:
            summary = await folder.run_db(import_bundle, folder.db, data_dir, bundle)
        result = {**summary.to_json(), "message": summary.sentence(source)}
    out.result(result, lambda: out.line(result["message"]))
    return 0


def add_parsers(sub: Any, shared: argparse.ArgumentParser) -> None:
    export = sub.add_parser(
        "export",
        parents=[shared],
        help="write widgets, preferences and their media to FILE.zip (never sign-ins)",
        description="Write every widget with its settings, the preferences that travel (theme, "
        "demo events) and the image, video and sound files the widgets use to FILE.zip. "
        "Sign-ins, tokens and this computer's own settings (port, hotkeys) are left out.",
    )
    export.add_argument("file", metavar="FILE.zip")
    imp = sub.add_parser(
        "import",
        parents=[shared],
        help="add the widgets, preferences and media from FILE.zip",
        description="Check FILE.zip, then add its widgets (with new ids where this computer has "
        "widgets with the same ids), media files and preferences. A damaged or foreign file "
        "changes nothing.",
    )
    imp.add_argument("file", metavar="FILE.zip")


def dispatch(args: argparse.Namespace, data_dir: Path, out: Out) -> Coroutine[Any, Any, int]:
    if args.command == "export":
        return export_command(data_dir, out, args.file)
    return import_command(data_dir, out, args.file)
