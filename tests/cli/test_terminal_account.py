"""``account signin | status | signout`` and ``status`` from a fresh shell against the real
account service on PostgreSQL — with the app stopped and with it running headless — and every
documented way for a sign-in to fail."""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Terminal
from tests.cloud.conftest import PASSWORD, LiveService
from tests.conftest import find_free_port
from tests.e2e.conftest import app_env

pytestmark = pytest.mark.e2e


def new_email() -> str:
    return f"cli-{secrets.token_hex(5)}@example.com"


@pytest.fixture
def shell(tmp_path: Path, live_service: LiveService) -> Terminal:
    data = tmp_path / "data"
    return Terminal(data, app_env(data, STREAMPAI_CLOUD_URL=live_service.base_url))


def test_sign_in_status_and_sign_out_from_the_terminal(
    shell: Terminal, launch_app: Any, tmp_path: Path
) -> None:
    before = shell.json("account", "status")
    assert before["signed_in"] is False and before["running"] is False

    email = new_email()
    signed = shell.run("account", "signin", email, "--register", "--password-stdin", stdin=PASSWORD)
    assert signed.returncode == 0, signed.stderr
    assert f"Signed in as {email}" in signed.stdout and PASSWORD not in signed.stdout

    report = shell.json("account", "status")
    assert report["signed_in"] and report["account"]["email"] == email
    assert [d["current"] for d in report["devices"]] == [True]
    assert report["sync"]["pending"] == 0
    assert "refresh" not in (shell.data_dir / "streampai.db").read_bytes().decode("latin-1")

    app = launch_app("--headless", data_dir=shell.data_dir, env=shell.env)
    app.wait_healthy()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = shell.json("status")
        if status["account"]["sync"]["state"] == "up_to_date":
            break
        time.sleep(0.3)
    assert status["running"] and status["account"]["sync"]["state"] == "up_to_date"
    assert status["account"]["sync"]["last_synced_at"], "the running app says when it synced"
    text = shell.run("status")
    assert "Account: sync: up to date" in text.stdout

    out = shell.run("account", "signout")
    assert out.returncode == 0 and "Signed out" in out.stdout
    assert shell.json("account", "status")["signed_in"] is False


def test_a_second_computer_must_choose_whose_settings_win(
    shell: Terminal,
    tmp_path: Path,
    live_service: LiveService,
    launch_app: Any,
) -> None:
    # The first computer runs the app (so it has widgets) and signs in through it.
    launch_app("--headless", data_dir=shell.data_dir, env=shell.env).wait_healthy()
    email = new_email()
    first = shell.run("account", "signin", email, "--register", "--password-stdin", stdin=PASSWORD)
    assert first.returncode == 0, first.stderr
    assert shell.json("account", "status")["running"] is True
    other_dir = tmp_path / "second-pc"
    other = Terminal(other_dir, app_env(other_dir, STREAMPAI_CLOUD_URL=live_service.base_url))
    undecided = other.run("account", "signin", email, "--password-stdin", stdin=PASSWORD)
    assert undecided.returncode == 11 and "already has a configuration" in undecided.stderr
    assert other.json("account", "status")["signed_in"] is False, "nothing kept half-way"
    chosen = other.run(
        "account", "signin", email, "--keep", "account", "--password-stdin", stdin=PASSWORD
    )
    assert chosen.returncode == 0, chosen.stderr


def test_wrong_password_and_unreachable_service_have_their_own_exit_codes(
    shell: Terminal, tmp_path: Path
) -> None:
    email = new_email()
    made = shell.run("account", "signin", email, "--register", "--password-stdin", stdin=PASSWORD)
    assert made.returncode == 0, made.stderr
    shell.run("account", "signout")
    wrong = shell.run("account", "signin", email, "--password-stdin", stdin="not the password")
    assert wrong.returncode == 6, wrong.stderr
    assert "password" in wrong.stderr.lower()

    nowhere = Terminal(
        shell.data_dir,
        {**shell.env, "STREAMPAI_CLOUD_URL": f"http://127.0.0.1:{find_free_port()}"},
    )
    down = nowhere.run("account", "signin", email, "--password-stdin", stdin=PASSWORD)
    assert down.returncode == 7 and "Could not reach the account service" in down.stderr
    assert nowhere.json("account", "status")["signed_in"] is False
