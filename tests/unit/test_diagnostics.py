"""Export diagnostics: logs and settings go in, no stored secret does (checked in every member)."""

from __future__ import annotations

import json
import secrets as pysecrets
import zipfile
from pathlib import Path

import pytest

from streampai_desktop import diagnostics
from streampai_desktop.diagnostics import DiagnosticsError, export_diagnostics
from streampai_desktop.secrets import (
    API_TOKEN,
    OVERLAY_TOKEN,
    SERVICE_PREFIX,
    load_install_id,
    open_secret_store,
)
from streampai_desktop.store import AccountRepo, PreferencesRepo, WidgetConfigRepo, open_database


def planted(prefix: str) -> str:
    """A fresh secret that no other test (and no earlier run) has registered with the redactor."""
    return f"{prefix}{pysecrets.token_hex(12)}"


@pytest.fixture
def install(tmp_path: Path, memory_keyring) -> dict:
    """A data folder holding secrets in every place they live, and mentions of them in logs."""
    data = tmp_path / "data"
    store = open_secret_store(data)
    overlay = store.ensure_token_blocking(OVERLAY_TOKEN)
    api = store.ensure_token_blocking(API_TOKEN)
    # Written by an earlier run: in the keyring, but never registered in this process.
    twitch = planted("oauth-twitch-")
    service = f"{SERVICE_PREFIX}/{load_install_id(data)}"
    memory_keyring.entries[(service, "twitch:access_token")] = twitch
    # A stale fallback file from a time the keyring did not work.
    stream_key = planted("live_sk_")
    (data / "secrets.json").write_text(json.dumps({"stream_key": stream_key}))
    # A token only ever seen in a URL (not in any store).
    url_token = planted("urltok")

    opened = open_database(data)
    with opened.db.session() as session:
        PreferencesRepo(session).set("overlay_port", 7471)
        PreferencesRepo(session).set("obs_url", f"ws://127.0.0.1:4455/?token={url_token}")
        WidgetConfigRepo(session).create("alert_box", "Main alerts", {"duration_ms": 5000})
        AccountRepo(session).upsert("twitch", "123", "streamer", "Streamer")
    opened.db.close()

    logs = data / "logs"
    logs.mkdir()
    (logs / "streampai.log").write_text(
        "2026-01-01 10:00:00 INFO    app: started\n"
        f"2026-01-01 10:00:01 DEBUG   twitch: refreshed token {twitch}\n"
        f"2026-01-01 10:00:02 INFO    server: GET /overlay/alert_box?token={overlay} 200\n"
        f"2026-01-01 10:00:03 DEBUG   api: Authorization: Bearer {api}\n"
    )
    (logs / "streampai.log.1").write_text(f"older: stream key {stream_key} via {url_token}\n")
    return {
        "data": data,
        "store": store,
        "secrets": [overlay, api, twitch, stream_key, url_token],
    }


def read_zip(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_no_stored_secret_reaches_any_member(install: dict, tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()  # a folder gets a dated file name
    out = export_diagnostics(
        install["data"],
        tmp_path / "out",
        store=install["store"],
        secret_names=["twitch:access_token"],
    )
    assert out.name.startswith("streampai-diagnostics-") and out.suffix == ".zip"
    members = read_zip(out)
    for name, data in members.items():
        for secret in install["secrets"]:
            assert secret.encode() not in data, f"{secret[:6]}… leaked into {name}"
            assert secret not in name

    prefix = "streampai-diagnostics/"
    env = json.loads(members[prefix + "environment.json"])
    assert env["app_version"] and env["python"] and env["platform"]
    assert json.loads(members[prefix + "preferences.json"])["overlay_port"] == 7471
    widgets = json.loads(members[prefix + "widgets.json"])
    assert any(w["name"] == "Main alerts" for w in widgets)
    assert json.loads(members[prefix + "accounts.json"])[0]["login"] == "streamer"
    log = members[prefix + "logs/streampai.log"].decode()
    assert "app: started" in log and "refreshed token ***" in log and "?token=***" in log
    assert prefix + "logs/streampai.log.1" in members
    listing = members[prefix + "data-folder.txt"].decode()
    assert "secrets.json" in listing and "streampai.db" in listing  # named, never copied
    assert not any(name.endswith(("secrets.json", ".db")) for name in members)


def test_a_secret_that_slips_past_redaction_stops_the_export(
    install: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(diagnostics, "redact", lambda text: text)  # a broken redactor
    target = tmp_path / "diag.zip"
    with pytest.raises(DiagnosticsError):
        export_diagnostics(install["data"], target, store=install["store"])
    assert not target.exists()
    assert not list(tmp_path.glob("diag.zip*")), "no partial file is left behind"


def test_works_without_a_database_or_logs(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    data.mkdir()
    members = read_zip(export_diagnostics(data, tmp_path / "d.zip"))
    assert set(members) == {
        "streampai-diagnostics/environment.json",
        "streampai-diagnostics/platforms.json",
        "streampai-diagnostics/data-folder.txt",
    }
