"""``backup list | create | restore``, ``export`` and ``import`` from a fresh shell, as a streamer
runs them: with the app stopped, and with it running headless (restore refused, a backup taken
while the app writes, export and import through its local API)."""

from __future__ import annotations

import copy
import hashlib
import json
import sqlite3
import struct
import subprocess
import time
import zipfile
import zlib
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from streampai_desktop.store import open_database
from streampai_desktop.store import operations as ops
from streampai_desktop.widgets.instances import create_widget, load_widgets
from streampai_desktop.widgets.media import import_media
from streampai_desktop.widgets.registry import WIDGETS
from tests.cli.conftest import Terminal
from tests.e2e.conftest import app_env

pytestmark = pytest.mark.e2e

EXIT_CANCELLED, EXIT_APP_RUNNING, EXIT_BAD_FILE = 130, 12, 13


def png(path: Path, seed: int) -> Path:
    """A real (tiny) PNG; ``seed`` makes each one's content, so its hash, its own."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    pixel = zlib.compress(bytes([0, seed % 256, 80, 160]))
    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixel) + chunk(b"IEND", b"")
    )
    return path


def wav(path: Path) -> Path:
    samples = b"\x00\x00" * 800
    fmt = struct.pack("<HHIIHH", 1, 1, 8000, 16000, 2, 16)
    path.write_bytes(
        b"RIFF"
        + struct.pack("<I", 36 + len(samples))
        + b"WAVEfmt "
        + struct.pack("<I", 16)
        + fmt
        + b"data"
        + struct.pack("<I", len(samples))
        + samples
    )
    return path


def seed(data_dir: Path, tmp_path: Path) -> None:
    """A streamer's data folder: two alert box images and a sound of their own, a second chat
    box, a dark theme, demo off — and a port and a hotkey that belong to this computer."""
    opened = open_database(data_dir)
    db = opened.db
    try:
        load_widgets(db)
        image = import_media(data_dir, png(tmp_path / "follow.png", 1), ("image", "video"))
        other = import_media(data_dir, png(tmp_path / "raid.png", 2), ("image", "video"))
        sound = import_media(data_dir, wav(tmp_path / "ding.wav"), ("sound",))
        config = copy.deepcopy(WIDGETS["alert_box"].defaults)
        config["types"]["follow"].update(image=image, sound=sound, template="{name} is here!")
        config["types"]["raid"]["image"] = other
        ops.save_widget_config(db, "alert_box", WIDGETS["alert_box"].validate(config))
        create_widget(db, "chat_box", "Chat for the second scene")
        ops.save_preference(db, "theme", "dark")
        ops.save_preference(db, "demo_when_offline", False)
        ops.save_preference(db, "overlay_port", 7999)
        ops.save_preference(db, "hotkey_skip_alert", "Ctrl+Shift+F9")
    finally:
        db.close()


def state(data_dir: Path) -> dict[str, Any]:
    """What an export carries, as the database and the media folder hold it."""
    with closing(sqlite3.connect(data_dir / "streampai.db")) as connection:
        widgets = {
            row[0]: (row[1], row[2], json.loads(row[3]))
            for row in connection.execute(
                "SELECT id, widget_type, name, config FROM widget_configs"
            )
        }
        prefs = {
            key: json.loads(value) if isinstance(value, str) else value
            for key, value in connection.execute("SELECT key, value FROM preferences")
        }
    media = {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((data_dir / "media").glob("*"))
    }
    return {"widgets": widgets, "preferences": prefs, "media": media}


def dump(data_dir: Path) -> list[str]:
    with closing(sqlite3.connect(data_dir / "streampai.db")) as connection:
        return list(connection.iterdump())


def fingerprint(data_dir: Path) -> tuple[list[str], list[str]]:
    """The whole database and every file in the data folder: equal means nothing changed."""
    files = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())
    return dump(data_dir), files


@pytest.fixture
def shell(tmp_path: Path) -> Terminal:
    data = tmp_path / "data"
    seed(data, tmp_path)
    return Terminal(data, app_env(data))


def other_shell(tmp_path: Path, name: str) -> Terminal:
    data = tmp_path / name
    return Terminal(data, app_env(data))


def ok(done: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert done.returncode == 0, done.stderr
    return done


def alert_box_name(data_dir: Path) -> str:
    return str(state(data_dir)["widgets"]["alert_box"][1])


def rename_alert_box(data_dir: Path, name: str) -> None:
    opened = open_database(data_dir)
    try:
        ops.rename_widget(opened.db, "alert_box", name)
    finally:
        opened.db.close()


# --- backups with the app stopped -----------------------------------------------------------------


def test_backup_create_list_and_restore_with_the_app_stopped(shell: Terminal) -> None:
    made = json.loads(ok(shell.run("backup", "create", "--json")).stdout)
    assert made["kind"] == "manual" and Path(made["path"]).parent == shell.data_dir / "backups"
    human = ok(shell.run("backup", "list")).stdout
    assert made["name"] in human and "made by you" in human
    rename_alert_box(shell.data_dir, "Renamed after the backup")

    asked = shell.run("backup", "restore", made["name"], stdin="n\n")
    assert asked.returncode == EXIT_CANCELLED
    assert "Restore the backup from" in asked.stderr and "Not restored" in asked.stderr
    assert alert_box_name(shell.data_dir) == "Renamed after the backup"

    done = ok(shell.run("backup", "restore", made["name"], stdin="y\n"))
    assert "Restored the backup from" in done.stdout
    assert alert_box_name(shell.data_dir) == "Alert Box"
    listed = shell.json("backup", "list")["backups"]
    assert sorted(b["kind"] for b in listed) == ["before-restore", "manual"]
    [before] = [b for b in listed if b["kind"] == "before-restore"]
    assert before["path"] in done.stdout
    # The before-restore copy holds what was there: restoring it brings the rename back.
    ok(shell.run("backup", "restore", before["name"], "--yes"))
    assert alert_box_name(shell.data_dir) == "Renamed after the backup"

    missing = shell.run("backup", "restore", "streampai-19990101-000000.db", "--yes")
    assert missing.returncode == 2 and "backup list" in missing.stderr


def logged_events(data_dir: Path) -> int:
    with closing(sqlite3.connect(data_dir / "streampai.db", timeout=10)) as connection:
        return int(connection.execute("SELECT count(*) FROM event_log").fetchone()[0])


def until(check: Any, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what or check}")


# --- with the app running -----------------------------------------------------------------------


def test_while_the_app_runs_a_backup_is_taken_and_a_restore_is_refused(
    shell: Terminal, launch_app: Any, tmp_path: Path
) -> None:
    made = json.loads(ok(shell.run("backup", "create", "--json")).stdout)
    app = launch_app("--headless", "--demo", data_dir=shell.data_dir, env=shell.env)
    app.wait_healthy()
    # The demo writes chat and alerts to the event log all along: back up in the middle of it.
    until(lambda: logged_events(shell.data_dir) > 0, what="the demo's first events")
    during = [json.loads(ok(shell.run("backup", "create", "--json")).stdout) for _ in range(3)]
    counts = []
    for backup in during:
        with closing(sqlite3.connect(backup["path"])) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert copy.execute("SELECT count(*) FROM widget_configs").fetchone() == (3,)
            counts.append(copy.execute("SELECT count(*) FROM event_log").fetchone()[0])
    assert counts[0] > 0 and counts == sorted(counts), "each copy holds the events up to then"

    refused = shell.run("backup", "restore", made["name"], "--yes")
    assert refused.returncode == EXIT_APP_RUNNING, refused.stderr
    assert "quit it first" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
    kinds = [b["kind"] for b in shell.json("backup", "list")["backups"]]
    assert "before-restore" not in kinds, "nothing was touched"
    assert httpx.get(f"{app.base}/healthz", timeout=5).status_code == 200

    # Export and import go through the running app, which shows the new widgets at once.
    exported = tmp_path / "while running.zip"
    ok(shell.run("export", str(exported)))
    result = json.loads(ok(shell.run("import", str(exported), "--json")).stdout)
    assert result["widgets"] == 3 and len(result["renamed"]) == 3
    token = shell.json("urls")["api"]["token"]
    listed = httpx.get(
        f"{app.base}/api/v1/widgets", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert {w["id"] for w in listed} >= set(result["renamed"].values())
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 nothing after this")
    refused_zip = shell.run("import", str(bad))
    assert refused_zip.returncode == EXIT_BAD_FILE and "damaged" in refused_zip.stderr


# --- export and import ----------------------------------------------------------------------------


def test_export_then_import_into_a_fresh_folder_gives_the_same_widgets_media_and_preferences(
    shell: Terminal, tmp_path: Path
) -> None:
    target = tmp_path / "my setup.zip"
    out = ok(shell.run("export", str(target))).stdout
    assert "Exported 3 widgets, 3 media files and 2 preferences" in out
    fresh = other_shell(tmp_path, "fresh")
    imported = ok(fresh.run("import", str(target))).stdout
    assert "Imported 3 widgets, 3 media files and 2 preferences from my setup.zip." in imported
    source, copy_ = state(shell.data_dir), state(fresh.data_dir)
    assert copy_["widgets"] == source["widgets"]
    assert copy_["media"] == source["media"] and len(source["media"]) == 3
    assert source["preferences"]["overlay_port"] == 7999
    travelling = {"theme": "dark", "demo_when_offline": False}
    assert copy_["preferences"] == travelling, "port and hotkeys stay on their computer"


def test_importing_twice_gives_new_ids_and_loses_nothing(shell: Terminal, tmp_path: Path) -> None:
    target = tmp_path / "setup.zip"
    ok(shell.run("export", str(target)))
    before = state(shell.data_dir)
    again = json.loads(ok(shell.run("import", str(target), "--json")).stdout)
    assert set(again["renamed"]) == set(before["widgets"])
    third = json.loads(ok(shell.run("import", str(target), "--json")).stdout)
    after = state(shell.data_dir)
    assert len(after["widgets"]) == 3 * len(before["widgets"])
    for old_id, widget in before["widgets"].items():
        assert after["widgets"][old_id] == widget, "the originals are untouched"
        for result in (again, third):
            assert after["widgets"][result["renamed"][old_id]] == widget
    assert after["media"] == before["media"], "the same files, stored once"
    assert (
        "New ids where this computer already had the widget"
        in ok(shell.run("import", str(target))).stdout
    )


def test_the_export_holds_no_secret(shell: Terminal, tmp_path: Path) -> None:
    ok(shell.run("urls"))  # makes the overlay and API tokens (the 0600 file: no keyring here)
    secrets_path = shell.data_dir / "secrets.json"
    secrets = json.loads(secrets_path.read_text())
    secrets["twitch:1337:access_token"] = "oauth-access-0123456789abcdef"
    secrets["twitch:1337:refresh_token"] = "oauth-refresh-fedcba9876543210"
    secrets_path.write_text(json.dumps(secrets))
    target = tmp_path / "setup.zip"
    ok(shell.run("export", str(target)))
    raw = target.read_bytes()
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        unpacked = b"".join(archive.read(name) for name in names)
    assert len(secrets) >= 4
    for value in secrets.values():
        assert value.encode() not in raw and value.encode() not in unpacked
    assert not [n for n in names if "secret" in n or n.endswith(".db")]
    assert sorted(n for n in names if not n.startswith("media/")) == [
        "manifest.json",
        "preferences.json",
        "widgets.json",
    ]


def zip_with(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


MANIFEST = json.dumps({"format": "streampai-desktop-export", "version": 1}).encode()


@pytest.mark.parametrize(
    ("kind", "says"),
    [
        ("truncated", "is not a zip file, or it is damaged"),
        ("flipped", "is damaged"),
        ("slip", "unsafe path"),
        ("absolute", "unsafe path"),
        ("foreign", "is not a Streampai Desktop export"),
        ("newer", "Update Streampai Desktop to import it"),
        ("bad config", "are not usable"),
        ("wrong media", "its content does not match"),
    ],
)
def test_a_damaged_unsafe_or_foreign_zip_is_refused_and_changes_nothing(
    shell: Terminal, tmp_path: Path, kind: str, says: str
) -> None:
    good = tmp_path / "good.zip"
    ok(shell.run("export", str(good)))
    bad = tmp_path / "bad.zip"
    data = good.read_bytes()
    if kind == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif kind == "flipped":  # a bit flipped inside the stored widgets: the CRC no longer fits
        with zipfile.ZipFile(good) as archive:
            info = archive.getinfo("widgets.json")
        at = info.header_offset + 30 + len(info.filename) + 10
        bad.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    elif kind == "slip":
        zip_with(bad, {"manifest.json": MANIFEST, "media/../../evil.txt": b"x", "../evil": b"x"})
    elif kind == "absolute":
        zip_with(bad, {"manifest.json": MANIFEST, "/tmp/evil.txt": b"x"})
    elif kind == "foreign":
        zip_with(bad, {"README.txt": b"holiday photos", "photo.jpg": b"\xff\xd8\xff"})
    elif kind == "newer":
        manifest = {"format": "streampai-desktop-export", "version": 2, "app_version": "9.0"}
        zip_with(bad, {"manifest.json": json.dumps(manifest).encode()})
    elif kind == "bad config":
        widgets = [{"id": "x", "type": "chat_box", "name": "X", "config": {"font_size": "lots"}}]
        zip_with(bad, {"manifest.json": MANIFEST, "widgets.json": json.dumps(widgets).encode()})
    elif kind == "wrong media":
        name = f"media/{'0' * 64}.png"
        zip_with(bad, {"manifest.json": MANIFEST, name: png(tmp_path / "p.png", 9).read_bytes()})
    before = fingerprint(shell.data_dir)

    refused = shell.run("import", str(bad))

    assert refused.returncode == EXIT_BAD_FILE, refused.stderr
    assert says in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1, "one clear line"
    assert fingerprint(shell.data_dir) == before, "nothing changed"
    assert not (tmp_path / "evil.txt").exists() and not Path("/tmp/evil.txt").exists()
