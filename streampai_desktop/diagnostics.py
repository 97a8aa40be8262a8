"""The "Export diagnostics" action: one zip a streamer can attach to a support request.

It holds the logs, the non-secret settings (preferences, widget configs, which accounts are
connected), a list of the data folder's files and an environment summary (versions, OS). Secrets
are kept out twice over: every text is passed through the log redactor after every stored secret
value has been registered with it, and the finished zip is then read back and searched for each
secret value; if one is found anywhere the zip is deleted and the export fails
(:class:`DiagnosticsError`), so a leak can never be handed out.

Blocking (reads the database and files): in the app, run :func:`export_diagnostics` on the
database thread, e.g. ``await app.run_db(export_from_app, app, target)``. No Qt here.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import locale
import platform
import re
import sys
import zipfile
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from streampai_desktop import __version__, logging_setup
from streampai_desktop.core.errors import UserFacingError
from streampai_desktop.logging_setup import redact, register_secret
from streampai_desktop.platforms.registry import PLATFORMS
from streampai_desktop.secrets import (
    API_TOKEN,
    FALLBACK_FILE_NAME,
    INSTALL_ID_FILE,
    OVERLAY_TOKEN,
    SecretStore,
)
from streampai_desktop.settings import Settings
from streampai_desktop.store.operations import diagnostics_snapshot

if TYPE_CHECKING:
    from streampai_desktop.app import App
    from streampai_desktop.store import Database

# Files in the data folder whose contents never go into the zip (their names are listed).
PRIVATE_FILES = {FALLBACK_FILE_NAME, INSTALL_ID_FILE}
LOG_GLOB = "streampai.log*"
MAX_LOG_BYTES = 8_000_000  # per file; the rotating handler keeps them near 2 MB anyway
# A credential carried in a URL or a key=value line: whatever follows is treated as a secret in
# every member, not only where it was seen (the same OBS password may sit in a log line bare).
_CREDENTIAL = re.compile(r"(?i)\b(?:token|key|secret|password|passwd)=([^&\s\"'<>]+)")
REPORTED_PACKAGES = (
    "pyside6-essentials",
    "qasync",
    "aiohttp",
    "httpx",
    "sqlalchemy",
    "alembic",
    "keyring",
    "platformdirs",
    "filelock",
    "orjson",  # EventSub frames, overlay frames and the event log go through it
)


class DiagnosticsError(UserFacingError):
    title = "Diagnostics not exported"


def default_filename(now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"streampai-diagnostics-{stamp}.zip"


# --- secrets -------------------------------------------------------------------------------------


def known_secrets(data_dir: Path, store: SecretStore | None, names: Iterable[str] = ()) -> set[str]:
    """Every secret value this install holds that can be found: the named entries in the store,
    everything in the fallback secrets file (also a stale one beside a working keyring), and
    every value this process has registered with the log redactor."""
    values: set[str] = set()
    if store is not None:
        for name in {OVERLAY_TOKEN, API_TOKEN, *names}:
            with contextlib.suppress(Exception):  # an unreadable entry cannot leak either
                value = store.get_blocking(name)
                if value:
                    values.add(value)
    with contextlib.suppress(OSError, ValueError):
        raw = json.loads((data_dir / FALLBACK_FILE_NAME).read_text(encoding="utf-8"))
        if isinstance(raw, dict):
            values.update(str(v) for v in raw.values() if v)
    # The redactor's own set: tokens read or written this run (platform tokens, stream keys).
    with logging_setup._secrets_lock:
        values.update(logging_setup._secrets)
    return {v for v in values if len(v) >= logging_setup._MIN_SECRET_LEN}


def find_secrets(zip_path: Path, secrets: Iterable[str]) -> list[str]:
    """``member: secret-hint`` for each secret found in any member of the zip (empty: clean)."""
    needles = [(s, s.encode("utf-8"), json.dumps(s)[1:-1].encode("utf-8")) for s in secrets]
    found = []
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.namelist():
            data = archive.read(member)
            for secret, raw, escaped in needles:
                if raw in data or escaped in data or secret.encode() in member.encode():
                    found.append(f"{member}: {secret[:3]}…")
    return found


# --- what goes in ---------------------------------------------------------------------------------


def environment(data_dir: Path, store: SecretStore | None) -> dict[str, Any]:
    """Versions and OS facts that explain most "works on my machine" reports."""
    packages = {}
    # Each platform names its own client library in its spec.
    names = [*REPORTED_PACKAGES, *(n for spec in PLATFORMS.values() for n in spec.packages)]
    for name in names:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            packages[name] = importlib.metadata.version(name)
    qt = sys.modules.get("PySide6.QtCore")  # only when the UI has loaded it: never import Qt here
    return {
        "app_version": __version__,
        "exported_at": datetime.now(UTC).isoformat(),
        "python": sys.version,
        "frozen": bool(getattr(sys, "frozen", False)),
        "executable": sys.executable,
        "platform": platform.platform(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "locale": locale.getlocale(),
        "qt": getattr(qt, "qVersion", lambda: None)() if qt else None,
        "packages": packages,
        "data_dir": str(data_dir),
        "secrets_backend": store.backend.description if store else None,
        "secrets_encrypted": store.backend.encrypted if store else None,
    }


def platforms_report(settings: Settings | None) -> dict[str, Any]:
    """Every platform the app knows, from its spec: built or coming later, how it signs in,
    what it can do, and where each of its endpoints points now (and why: saved, environment)."""
    settings = settings if settings is not None else Settings()  # not running: env and defaults
    report: dict[str, Any] = {}
    for spec in PLATFORMS.values():
        report[spec.id] = {
            "label": spec.label,
            "available": spec.available,
            "sign_in": spec.sign_in.value,
            "capabilities": asdict(spec.capabilities),
            "endpoints": {
                endpoint.key: {
                    "value": settings.get(endpoint.key),
                    "source": settings.source(endpoint.key),
                    "env": endpoint.env,
                }
                for endpoint in spec.endpoints
            },
        }
    return report


def data_folder_listing(data_dir: Path) -> str:
    """One line per file (relative path and size): what is there, never what is inside."""
    lines = []
    for path in sorted(data_dir.rglob("*")):
        if path.is_file():
            lines.append(f"{path.stat().st_size:>12}  {path.relative_to(data_dir).as_posix()}")
    return "\n".join(lines) + "\n"


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str) + "\n"


# --- the export -----------------------------------------------------------------------------------


def export_diagnostics(
    data_dir: Path,
    target: Path,
    *,
    db: Database | None = None,
    store: SecretStore | None = None,
    secret_names: Iterable[str] = (),
    log_dir: Path | None = None,
    settings: Settings | None = None,
) -> Path:
    """Write the diagnostics zip to ``target`` (a folder gets a dated file name); returns it.

    ``db`` and ``store`` are the running app's (a database opened here otherwise);
    ``secret_names`` are further secret-store entries to keep out (platform tokens, stream keys).
    """
    if target.is_dir():
        target = target / default_filename()
    secrets = known_secrets(data_dir, store, secret_names)
    for value in secrets:
        register_secret(value)  # so redact() removes them from every text below

    members: dict[str, str] = {
        "environment.json": _json(environment(data_dir, store)),
        "platforms.json": _json(platforms_report(settings)),
        "data-folder.txt": data_folder_listing(data_dir),
    }
    try:
        members.update(
            (f"{key}.json", _json(value)) for key, value in _read_store(data_dir, db).items()
        )
    except Exception as exc:  # a damaged database is exactly when diagnostics are wanted
        members["store-error.txt"] = f"could not read the database: {exc!r}\n"
    logs = log_dir or data_dir / "logs"
    for log_file in sorted(logs.glob(LOG_GLOB)) if logs.is_dir() else []:
        with log_file.open("rb") as fh:
            text = fh.read(MAX_LOG_BYTES).decode("utf-8", errors="replace")
        members[f"logs/{log_file.name}"] = text

    for text in list(members.values()):
        for match in _CREDENTIAL.finditer(text):
            if len(match.group(1)) >= logging_setup._MIN_SECRET_LEN:
                secrets.add(match.group(1))
                register_secret(match.group(1))

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(f"streampai-diagnostics/{name}", redact(text))
    leaks = find_secrets(tmp, secrets)
    if leaks:
        tmp.unlink()
        raise DiagnosticsError(
            "A secret could not be removed from the diagnostics, so nothing was saved "
            f"({len(leaks)} place(s)). Please report this."
        )
    tmp.replace(target)
    return target


def _read_store(data_dir: Path, db: Database | None) -> dict[str, Any]:
    if db is not None:
        return diagnostics_snapshot(db)
    from streampai_desktop.store import DB_FILENAME, open_database

    if not (data_dir / DB_FILENAME).exists():
        return {}
    opened = open_database(data_dir)
    try:
        return diagnostics_snapshot(opened.db)
    finally:
        opened.db.close()


def export_from_app(app: App, target: Path) -> Path:
    """:func:`export_diagnostics` for the running app (run it on the app's database thread)."""
    log_file = app.state.log_file
    return export_diagnostics(
        app.data_dir,
        target,
        db=app.db,
        store=app.secrets,
        log_dir=log_file.parent if log_file else None,
        settings=app.settings,
    )
