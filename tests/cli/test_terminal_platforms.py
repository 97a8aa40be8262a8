"""``connect``, ``platforms``, ``chat send``, ``disconnect`` and ``status`` from a fresh shell,
against the fake Twitch's device flow — with the app stopped, and with it running headless."""

from __future__ import annotations

import asyncio
import json
import signal
import time
from typing import Any

import pytest

from tests.cli.conftest import Terminal, ThreadedTwitch, finish, read_code

pytestmark = pytest.mark.e2e


def until(check: Any, timeout: float = 30, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what or check}")


def secrets_file(terminal: Terminal) -> dict[str, str]:
    return json.loads((terminal.data_dir / "secrets.json").read_text())


def test_connect_with_the_app_stopped_then_the_app_uses_it(
    terminal: Terminal, twitch: ThreadedTwitch, launch_app: Any, free_port: int
) -> None:
    connect = terminal.start("connect", "twitch")
    code = read_code(connect)
    twitch.do(lambda: twitch.fake.approve_device(code))
    returncode, out, err = finish(connect)
    assert returncode == 0, err
    assert "Connected Twitch as cool_streamer" in out and "when Streampai Desktop starts" in out
    assert any("twitch" in name for name in secrets_file(terminal)), "tokens kept, 0600 file"
    assert (terminal.data_dir / "secrets.json").stat().st_mode & 0o777 == 0o600
    row = terminal.platform("twitch")
    assert row["accounts"][0]["login"] == "cool_streamer"
    assert row["state"] == "signed in (app not running)"

    again = terminal.run("connect", "twitch")
    assert again.returncode == 9 and "already connected as cool_streamer" in again.stderr

    app = launch_app("--headless", data_dir=terminal.data_dir, env=terminal.env)
    app.wait_healthy()
    until(lambda: terminal.platform("twitch")["state"] == "connected", what="connected")
    status = terminal.run("status")
    assert status.returncode == 0, status.stderr
    assert "running headless" in status.stdout and "connected: cool_streamer" in status.stdout

    sent = terminal.run("chat", "send", "twitch", "thanks", "for", "the", "raid!")
    assert sent.returncode == 0, sent.stderr
    assert twitch.do(lambda: twitch.fake.sent_chat[-1]["message"]) == "thanks for the raid!"
    too_long = terminal.run("chat", "send", "twitch", "x" * 501)
    assert too_long.returncode == 2 and "at most 500 characters" in too_long.stderr
    declined = "Your message is identical to the previous one."
    twitch.do(lambda: twitch.fake.chat_drops.append(("msg_duplicate", declined)))
    again_sent = terminal.run("chat", "send", "twitch", "thanks", "for", "the", "raid!")
    assert again_sent.returncode == 2 and declined in again_sent.stderr, "Twitch's reason, no 500"

    gone = terminal.run("disconnect", "twitch")
    assert gone.returncode == 0, gone.stderr
    assert terminal.platform("twitch")["state"] == "not connected"
    assert not any("twitch" in name for name in secrets_file(terminal)), "tokens deleted"
    nothing = terminal.run("disconnect", "twitch")
    assert nothing.returncode == 10 and "not connected" in nothing.stderr
    offline_chat = terminal.run("chat", "send", "twitch", "hello?")
    assert offline_chat.returncode == 10


def test_connect_while_the_app_runs_headless_is_picked_up_without_a_restart(
    terminal: Terminal, twitch: ThreadedTwitch, launch_app: Any
) -> None:
    app = launch_app("--headless", data_dir=terminal.data_dir, env=terminal.env)
    app.wait_healthy()
    assert terminal.platform("twitch")["state"] == "not connected"
    connect = terminal.start("connect", "twitch", "--json")
    assert connect.stdout is not None
    step = json.loads(connect.stdout.readline())
    assert step["event"] == "step" and step["step"]["kind"] == "device_code"
    twitch.do(lambda: twitch.fake.approve_device(step["step"]["user_code"]))
    returncode, out, err = finish(connect)
    assert returncode == 0, err
    assert json.loads(out)["account"]["login"] == "cool_streamer"
    until(lambda: terminal.platform("twitch")["state"] == "connected", what="connected")
    assert app.proc.poll() is None, "the same app process, not restarted"

    # The streamer disconnects the app on twitch.tv: the headless app says so, and the
    # terminal is the way back.
    twitch.do(lambda: twitch.fake.revoke_user("1337"))
    asyncio.run_coroutine_threadsafe(
        twitch.fake.revoke("authorization_revoked"), twitch.loop
    ).result(timeout=10)
    row = until(
        lambda: (r := terminal.platform("twitch"))["state"] == "needs sign-in" and r,
        what="needs sign-in",
    )
    assert "revoked" in row["accounts"][0]["reason"]
    again = terminal.start("connect", "twitch")
    code = read_code(again)
    twitch.do(lambda: twitch.fake.approve_device(code))
    returncode, _, err = finish(again)
    assert returncode == 0, err
    until(lambda: terminal.platform("twitch")["state"] == "connected", what="reconnected")


@pytest.mark.parametrize("app_running", [False, True], ids=["app stopped", "app running"])
def test_ctrl_c_cancels_the_sign_in_and_stores_nothing(
    terminal: Terminal, twitch: ThreadedTwitch, launch_app: Any, app_running: bool
) -> None:
    if app_running:
        launch_app("--headless", data_dir=terminal.data_dir, env=terminal.env).wait_healthy()
    connect = terminal.start("connect", "twitch")
    read_code(connect)
    connect.send_signal(signal.SIGINT)
    returncode, _, err = finish(connect)
    assert returncode == 130 and "Cancelled" in err
    assert terminal.platform("twitch")["accounts"] == []


def test_an_expired_code_and_an_unreachable_twitch_say_so(
    terminal: Terminal, twitch: ThreadedTwitch
) -> None:
    twitch.do(lambda: setattr(twitch.fake, "device_expires_s", 2))
    connect = terminal.start("connect", "twitch")
    read_code(connect)
    returncode, _, err = finish(connect)
    assert returncode == 8 and "expired" in err
    assert terminal.platform("twitch")["accounts"] == []

    unreachable = Terminal(
        terminal.data_dir,
        {**terminal.env, "STREAMPAI_TWITCH_AUTH_URL": "http://127.0.0.1:9/oauth2"},
    )
    down = unreachable.run("connect", "twitch")
    assert down.returncode == 7 and "not reachable" in down.stderr.lower()


def test_usage_errors_have_their_own_exit_code(terminal: Terminal) -> None:
    unknown = terminal.run("connect", "myspace")
    assert unknown.returncode == 2 and "use one of: twitch" in unknown.stderr
    misspelt = terminal.run("connect", "twitch", "--pages", "Mine")
    assert misspelt.returncode == 2 and "--pages" in misspelt.stderr
