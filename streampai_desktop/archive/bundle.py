"""The export zip: its layout, and reading one with every check done before anything changes.

Layout (format ``streampai-desktop-export``, version 1)::

    manifest.json      {"format", "version", "app_version", "created_at", "counts"}
    widgets.json       [{"id", "type", "name", "config"}, ...]
    preferences.json   {key: value} — only :data:`EXPORTED_PREFERENCES`
    media/{sha256}.{ext}   the picked files the configs use (``user/{sha256}.{ext}``)

What goes in is an allow-list: the preferences that also sync between computers (theme, demo
events). Per-computer settings (hotkeys, the overlay port, service addresses, the Dashboard's
checklist) stay, and secrets are never read at all (they live in the keyring, not the database).

A zip is untrusted input: :func:`read_bundle` refuses unsafe member names (absolute, ``..``,
backslashes, drive letters, links), too many or too large members (a zip bomb), files whose
content does not match their name or type, and anything not in this layout — with one sentence
saying which, and before the caller writes anything.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import re
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from streampai_desktop.core.errors import EXIT_BAD_FILE, EXIT_USAGE, UserFacingError
from streampai_desktop.settings import SettingsError, setting_spec
from streampai_desktop.store.operations import SYNCED_PREFERENCES
from streampai_desktop.widgets.media import FORMATS, MAX_BYTES, looks_like
from streampai_desktop.widgets.registry import WIDGETS
from streampai_desktop.widgets.schema import MEDIA_REF, ConfigError, clean_name

FORMAT = "streampai-desktop-export"
VERSION = 1
MANIFEST = "manifest.json"
WIDGETS_FILE = "widgets.json"
PREFERENCES_FILE = "preferences.json"
MEDIA_DIR = "media"
EXPORTED_PREFERENCES = SYNCED_PREFERENCES

MAX_MEMBERS = 2000
MAX_WIDGETS = 500
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
_MEDIA_NAME = re.compile(r"^media/(?P<sha>[0-9a-f]{64})\.(?P<ext>[a-z0-9]{2,5})$")
_WIDGET_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")


class BadExport(UserFacingError):
    """The file is not a usable export (damaged, foreign, unsafe, too large or newer)."""

    title = "Cannot import this file"
    exit_code = EXIT_BAD_FILE


class NoSuchFile(UserFacingError):
    title = "No such file"
    exit_code = EXIT_USAGE


@dataclass(frozen=True, slots=True)
class WidgetEntry:
    """One widget from an export, checked against its widget's spec."""

    id: str
    type: str
    name: str
    config: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Bundle:
    """A checked export: what to add, and where in the zip each media file is."""

    path: Path
    manifest: dict[str, Any]
    widgets: list[WidgetEntry]
    preferences: dict[str, Any]
    media: dict[str, str]  # media file name ({sha256}.{ext}) → zip member
    skipped_types: list[str] = field(default_factory=list)  # widget types this version lacks


def user_media_refs(value: Any) -> Iterator[str]:
    """Every ``user/…`` media ref anywhere in a config (alert types and variations nest)."""
    if isinstance(value, str):
        if value.startswith("user/") and MEDIA_REF.match(value):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from user_media_refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from user_media_refs(item)


def read_bundle(path: Path) -> Bundle:
    """Open and check the export at ``path`` completely; :class:`BadExport` says what is wrong."""
    name = path.name
    if not path.is_file():
        raise NoSuchFile(f"{path} does not exist (or is not a file).")
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError):
        raise BadExport(f"{name} is not a zip file, or it is damaged.") from None
    with archive:
        members = _check_members(archive, name)
        if MANIFEST not in members:
            raise BadExport(f"{name} is not a Streampai Desktop export (it has no {MANIFEST}).")
        manifest = _json(archive, members[MANIFEST], name)
        _check_manifest(manifest, name)
        unexpected = [
            m
            for m in members
            if m not in (MANIFEST, WIDGETS_FILE, PREFERENCES_FILE) and not _MEDIA_NAME.match(m)
        ]
        if unexpected:
            raise BadExport(f"{name} holds {unexpected[0]}, which no export has; nothing imported.")
        raw_widgets = _json(archive, members[WIDGETS_FILE], name) if WIDGETS_FILE in members else []
        raw_prefs = (
            _json(archive, members[PREFERENCES_FILE], name) if PREFERENCES_FILE in members else {}
        )
        widgets, skipped = _widgets(raw_widgets, name)
        media = {m.removeprefix(f"{MEDIA_DIR}/"): m for m in members if _MEDIA_NAME.match(m)}
        for member in media.values():
            _check_media(archive, members[member], name)
    return Bundle(path, manifest, widgets, _preferences(raw_prefs, name), media, skipped)


def _check_members(archive: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    """Member name → info, after the checks every member must pass (directories left out)."""
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise BadExport(f"{name} holds {len(infos)} files; an export has at most {MAX_MEMBERS}.")
    total = 0
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        member = info.filename
        if not _safe(member) or stat.S_ISLNK(info.external_attr >> 16):
            raise BadExport(f"{name} holds an unsafe path ({member!r}); nothing imported.")
        if info.flag_bits & 0x1:
            raise BadExport(f"{name} is encrypted; exports never are.")
        total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise BadExport(f"{name} unpacks to more than {MAX_TOTAL_BYTES >> 30} GB.")
        if info.is_dir():
            continue
        if member in members:
            raise BadExport(f"{name} holds {member} twice: it is damaged.")
        members[member] = info
    return members


def _safe(member: str) -> bool:
    """A relative POSIX path that stays inside the folder it would be unpacked into."""
    if not member or "\\" in member or ":" in member or "\x00" in member:
        return False
    parts = PurePosixPath(member).parts
    return not member.startswith("/") and ".." not in parts and "." not in member.split("/")


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limit: int) -> IO[bytes]:
    if info.file_size > limit:
        raise BadExport(f"{info.filename} in {name} is too large ({info.file_size:,} bytes).")
    try:
        return archive.open(info)
    except (zipfile.BadZipFile, NotImplementedError, OSError) as exc:
        raise BadExport(f"{name} is damaged ({info.filename}: {exc}).") from None


def _chunks(handle: IO[bytes], info: zipfile.ZipInfo, name: str) -> Iterator[bytes]:
    """The member's bytes; its CRC is checked at the end (zipfile stops at the declared size, so
    a member cannot unpack to more than its header says)."""
    try:
        with handle:
            yield from iter(lambda: handle.read(1 << 20), b"")
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error, lzma.LZMAError) as exc:
        raise BadExport(f"{name} is damaged ({info.filename}: {exc}).") from None


def _json(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> Any:
    data = b"".join(_chunks(_read(archive, info, name, MAX_JSON_BYTES), info, name))
    try:
        return json.loads(data)
    except ValueError:
        raise BadExport(f"{info.filename} in {name} is not valid JSON: it is damaged.") from None


def _check_manifest(manifest: Any, name: str) -> None:
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BadExport(f"{name} is not a Streampai Desktop export.")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise BadExport(f"{name} has a damaged {MANIFEST}.")
    if version > VERSION:
        made_by = manifest.get("app_version", "a newer version")
        raise BadExport(
            f"{name} was exported by Streampai Desktop {made_by} (format {version}); this "
            "version reads format 1. Update Streampai Desktop to import it."
        )


def _widgets(raw: Any, name: str) -> tuple[list[WidgetEntry], list[str]]:
    if not isinstance(raw, list) or len(raw) > MAX_WIDGETS:
        raise BadExport(f"{WIDGETS_FILE} in {name} is damaged.")
    widgets: list[WidgetEntry] = []
    skipped: list[str] = []
    for item in raw:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and _WIDGET_ID.match(item["id"])
            and isinstance(item.get("type"), str)
            and isinstance(item.get("name"), str)
            and isinstance(item.get("config"), dict)
        ):
            raise BadExport(f"{WIDGETS_FILE} in {name} is damaged.")
        if any(w.id == item["id"] for w in widgets):
            raise BadExport(f"{WIDGETS_FILE} in {name} holds the widget {item['id']} twice.")
        spec = WIDGETS.get(item["type"])
        if spec is None:  # a widget type added in a later version: this one cannot show it
            skipped.append(item["type"])
            continue
        try:
            config = spec.validate(item["config"])
        except ConfigError as exc:
            raise BadExport(
                f"The settings of the widget {item['name']!r} in {name} are not usable: {exc}."
            ) from None
        widgets.append(
            WidgetEntry(item["id"], spec.type, clean_name(item["name"]) or spec.title, config)
        )
    return widgets, skipped


def _preferences(raw: Any, name: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise BadExport(f"{PREFERENCES_FILE} in {name} is damaged.")
    chosen: dict[str, Any] = {}
    for key in sorted(EXPORTED_PREFERENCES & set(raw)):  # anything else is left alone
        try:
            chosen[key] = setting_spec(key).parse(raw[key])
        except SettingsError as exc:
            raise BadExport(f"The preference {key} in {name} is not usable: {exc}.") from None
    return chosen


def _check_media(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """The file's content must hash to its name and look like its extension says."""
    match = _MEDIA_NAME.match(info.filename)
    assert match is not None
    ext = match["ext"]
    if ext not in FORMATS:
        raise BadExport(f"{info.filename} in {name} is not a media type the app uses.")
    digest = hashlib.sha256()
    head = b""
    for chunk in _chunks(_read(archive, info, name, MAX_BYTES), info, name):
        if len(head) < 16:
            head += chunk[: 16 - len(head)]
        digest.update(chunk)
    if digest.hexdigest() != match["sha"] or not looks_like(ext, head):
        raise BadExport(f"{info.filename} in {name} is damaged (its content does not match).")
