"""The `streampai-cloud` command: migrate, set-plan, clear errors for a bad environment."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streampai_cloud import migrate
from streampai_cloud.cli import main
from streampai_cloud.config import CloudConfig
from tests.cloud.conftest import Api
from tests.conftest import find_free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s" * 40


def test_migrate_is_idempotent_and_reports_the_revision(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("STREAMPAI_CLOUD_SECRET", SECRET)
    assert main(["migrate"]) == 0
    assert f"database at revision {migrate.head_revision()}" in capsys.readouterr().out


def test_a_missing_or_bad_environment_is_explained(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert main(["migrate"]) == 2
    assert "DATABASE_URL is not set" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    monkeypatch.setenv("STREAMPAI_CLOUD_SECRET", SECRET)
    assert main(["serve"]) == 2
    assert "postgresql+asyncpg://" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/x")
    monkeypatch.setenv("STREAMPAI_CLOUD_SECRET", "short")
    assert main(["migrate"]) == 2
    assert "at least 32 characters" in capsys.readouterr().err
    monkeypatch.setenv("STREAMPAI_CLOUD_SECRET", SECRET)
    monkeypatch.setenv("STREAMPAI_CLOUD_ACCESS_TOKEN_TTL", "soon")
    assert main(["migrate"]) == 2
    assert "STREAMPAI_CLOUD_ACCESS_TOKEN_TTL='soon' is not a int" in capsys.readouterr().err


def test_an_unreachable_database_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"postgresql+asyncpg://u@127.0.0.1:{find_free_port()}/db")
    monkeypatch.setenv("STREAMPAI_CLOUD_SECRET", SECRET)
    assert main(["migrate"]) == 1
    assert "cannot reach the database" in capsys.readouterr().err


async def test_set_plan_shows_in_me(
    api: Api, cloud_config: CloudConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = await api.register()
    monkeypatch.setenv("DATABASE_URL", cloud_config.database_url)
    monkeypatch.setenv("STREAMPAI_CLOUD_SECRET", SECRET)
    # The CLI runs its own event loop, so it gets a thread of its own here.
    assert await asyncio.to_thread(main, ["set-plan", session.account["email"], "pro"]) == 0
    _, body = await api.call("GET", "/v1/me", session=session)
    assert body["account"]["plan"] == "pro"


def test_the_suite_explains_a_missing_postgresql() -> None:
    env = {
        **os.environ,
        "STREAMPAI_TEST_POSTGRES": f"postgresql://u@127.0.0.1:{find_free_port()}/x",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "tests/cloud/test_auth.py::test_register_signs_in_and_me_shows_the_free_plan",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "The cloud tests need PostgreSQL at" in result.stdout


def _raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_serve_names_neither_python_nor_aiohttp_even_before_routing(database_url: str) -> None:
    port = find_free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "STREAMPAI_CLOUD_SECRET": SECRET}
    server = subprocess.Popen(
        [sys.executable, "-m", "streampai_cloud.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = _raw_request(
                    port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                )
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "serve did not start"
                time.sleep(0.1)
        # A routed answer, and one aiohttp writes itself (a header line it cannot parse).
        bad = _raw_request(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
        assert bad.split(b"\r\n", 1)[0].endswith(b" 400 Bad Request")
        for raw in (answer, bad):
            head = raw.partition(b"\r\n\r\n")[0].decode("latin-1").lower()
            assert "\r\nserver: streampai-cloud\r\n" in head + "\r\n", head
            assert "python" not in head and "aiohttp" not in head, head
    finally:
        server.terminate()
        server.wait(timeout=30)
