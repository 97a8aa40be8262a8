"""The Account & Sync page against the real account service (in this process) on PostgreSQL.

The service runs on the test's qasync loop, so it answers while the test awaits; the app is
pointed at it with STREAMPAI_CLOUD_URL before it starts.
"""

from __future__ import annotations

import asyncio
import copy
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import qasync
from aiohttp import web

from streampai_cloud.app import create_app
from streampai_cloud.config import CloudConfig
from streampai_desktop.app import App, AppOptions
from streampai_desktop.ui.pages.account import USE_ACCOUNT, AccountPage
from streampai_desktop.ui.session import GuiSession
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until, widgets_page

pytestmark = pytest.mark.gui
PASSWORD = "correct horse battery staple"


@pytest.fixture
def service(cloud_config: CloudConfig) -> Iterator[str]:  # noqa: F811
    """The account service on a free port, on its own asyncio loop in a thread.

    Not on the test's qasync loop: qasync and pytest-qt pump Qt events outside a running loop
    (after each run and between test phases), and a request handled there would fail half-way.
    """
    runner = web.AppRunner(create_app(cloud_config))
    port = find_free_port()
    loop = asyncio.new_event_loop()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, name="account-service", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def account_gui(
    service: str,
    qloop: qasync.QEventLoop,
    tmp_path: Path,
    free_port: int,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Gui]:
    monkeypatch.setenv("STREAMPAI_CLOUD_URL", service)
    session = GuiSession(gui_options(tmp_path / "data", free_port), use_tray=False)
    assert qloop.run_until_complete(session.start()) is None
    running = Gui(session, qloop)

    async def settle() -> None:
        # Finish what opening the page starts inside a run: a task step left for qasync's
        # trailing processEvents (after run_until_complete) would run without a running loop.
        running.window.show_page("account")
        await running.vm.tasks.wait_idle()

    qloop.run_until_complete(settle())
    yield running
    qloop.run_until_complete(session.stop())


def account_page(gui: Gui) -> AccountPage:
    page = gui.window.pages["account"]
    assert isinstance(page, AccountPage)
    return page


def new_email() -> str:
    return f"{secrets.token_hex(6)}@example.com"


def shown(widget: object) -> bool:
    return not widget.isHidden()  # type: ignore[attr-defined]


def stop(gui: Gui) -> None:
    """Stop the app (sync engine, live channel) before the test returns: pytest-qt then pumps
    Qt events outside the loop, where a background step would fail."""
    gui.run(gui.session.stop())


def fill(page: AccountPage, email: str, password: str, handle: str = "") -> None:
    page.email_edit.setText(email)
    page.password_edit.setText(password)
    page.handle_edit.setText(handle)


def test_register_shows_the_account_and_sign_out_brings_the_form_back(
    account_gui: Gui, service: str
) -> None:
    gui, page = account_gui, account_page(account_gui)
    assert shown(page.sign_in_card) and not shown(page.account_card)
    assert page.url_edit.text() == service and page.url_edit.isReadOnly()
    assert "STREAMPAI_CLOUD_URL" in page.url_note.text()
    email, handle = new_email(), f"owl_{secrets.token_hex(3)}"

    async def register() -> None:
        fill(page, email, PASSWORD, handle)
        page.register_button.click()
        await gui.vm.tasks.wait_idle()
        # The background engine starts a round of its own right after the sign-in.
        await until(lambda: page.sync_badge.text() == "Up to date", what="up to date")

    gui.run(register())
    assert not shown(page.sign_in_card), page.form_status.text()
    assert shown(page.account_card) and shown(page.sync_card)
    assert page.email_label.text() == email
    assert page.handle_label.text() == f"@{handle}"
    assert page.plan_badge.text() == "Free plan"
    assert [r.device.current for r in page.device_rows] == [True]
    assert not shown(page.device_rows[0].revoke_button), "this computer signs out above"
    # (up to date was seen above; a round the live channel starts may be running by now)
    assert page.sync_badge.text() in ("Up to date", "Syncing…")
    assert page.pending_label.text() == "none"
    assert "just now" in page.last_synced_label.text()
    assert page.password_edit.text() == "", "the password is not kept in the form"

    async def sign_out() -> None:
        page.sign_out_button.click()
        await gui.vm.tasks.wait_idle()

    gui.run(sign_out())
    assert shown(page.sign_in_card) and not shown(page.account_card)
    assert not shown(page.sync_card)
    assert "Signed out" in page.form_status.text()
    assert not gui.run(gui.app.account.session.signed_in())


def test_a_wrong_password_shows_the_services_message(account_gui: Gui, service: str) -> None:
    gui, page = account_gui, account_page(account_gui)
    email = new_email()

    async def attempt() -> None:
        async with httpx.AsyncClient(base_url=service) as http:
            created = await http.post(
                "/v1/auth/register", json={"email": email, "password": PASSWORD}
            )
            assert created.status_code == 201, created.text
        fill(page, email, "not the password")
        page.sign_in_button.click()
        await gui.vm.tasks.wait_idle()

    gui.run(attempt())
    assert page.form_status.objectName() == "inlineError"
    assert page.form_status.text() == "The email or password is wrong."
    assert shown(page.sign_in_card) and not shown(page.account_card)
    assert page.sign_in_button.isEnabled(), "the form can be used again"
    assert not gui.run(gui.app.account.session.signed_in())


def test_a_second_computer_asks_which_settings_win_and_takes_the_accounts(
    account_gui: Gui, service: str, tmp_path: Path
) -> None:
    gui, page = account_gui, account_page(account_gui)
    email = new_email()
    editor = widgets_page(gui).editor("chat_box")  # already open before the sign-in
    assert editor.collect()["font_size"] == 20

    async def other_computer() -> App:
        other = App(
            AppOptions(
                data_dir=tmp_path / "other",
                port=find_free_port(),
                headless=True,
                demo=False,
                log_to_file=False,
            )
        )
        await other.start()
        config = copy.deepcopy(other.widgets["chat_box"].config)
        config["font_size"] = 31
        await other.widgets.save_config("chat_box", config)
        await other.account.sign_in(email, PASSWORD, register=True)
        return other

    other = gui.run(other_computer())
    try:

        async def sign_in() -> None:
            fill(page, email, PASSWORD)
            page.sign_in_button.click()
            box = await until(lambda: find_dialog("syncChoiceDialog"), 10, "the choice dialog")
            assert "both have widget settings" in box.text()
            assert gui.app.widgets["chat_box"].config["font_size"] == 20, "nothing changed yet"
            button(box, USE_ACCOUNT).click()
            await gui.vm.tasks.wait_idle()
            # The background engine starts a round of its own right after the sign-in.
            await until(lambda: page.sync_badge.text() == "Up to date", what="up to date")

        gui.run(sign_in())
        assert shown(page.account_card), page.form_status.text()
        assert gui.app.widgets["chat_box"].config["font_size"] == 31
        assert editor.collect()["font_size"] == 31, "the open editor shows the account's value"
        rows = page.device_rows
        assert [r.device.current for r in rows] == [True, False], "no stale sign-in is left"
        assert shown(rows[1].revoke_button)

        async def revoke_the_other() -> None:
            rows[1].revoke_button.click()
            box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
            button(box, "Revoke").click()
            await gui.vm.tasks.wait_idle()

        gui.run(revoke_the_other())
        assert [r.device.current for r in page.device_rows] == [True], (
            page.account_status.text(),
            [(r.device.name, r.device.id) for r in page.device_rows],
        )
        assert "is signed out of your account" in page.account_status.text()
    finally:
        gui.run(other.shutdown())
        stop(gui)


def test_sync_now_updates_the_last_sync_time_and_shows_notices(account_gui: Gui) -> None:
    gui, page = account_gui, account_page(account_gui)

    async def signed_in_a_while_ago() -> None:
        await gui.vm.account.sign_in(new_email(), PASSWORD, register=True)
        # The background engine starts a round of its own right after the sign-in.
        await until(lambda: page.sync_badge.text() == "Up to date", what="up to date")
        assert gui.app.account.sync.status.last_synced is not None
        gui.app.account.sync.status.last_synced -= 300  # as if the last sync was five minutes ago
        page._show_sync()

    gui.run(signed_in_a_while_ago())
    assert "5 min ago" in page.last_synced_label.text()
    notice = "Your change to font_size of widget 'chat_box' was replaced by a newer one."
    gui.app.account.sync.status.notices.append(notice)

    async def sync_now() -> None:
        page.sync_now_button.click()
        assert page.sync_badge.text() == "Syncing…" and page.progress.isVisibleTo(page)
        await gui.vm.tasks.wait_idle()

    gui.run(sync_now())
    assert "just now" in page.last_synced_label.text()
    assert page.sync_badge.text() == "Up to date" and page.sync_now_button.isEnabled()
    assert shown(page.notices_banner) and notice in page.notices_banner.text.text()
    assert page.notices_banner.button is not None
    page.notices_banner.button.click()
    assert not shown(page.notices_banner)
    stop(gui)


def test_the_page_says_since_when_sync_is_online_or_offline(account_gui: Gui) -> None:
    gui, page = account_gui, account_page(account_gui)
    assert page.connection_label.text() == "not tried yet on this run"

    async def online() -> None:
        await gui.vm.account.sign_in(new_email(), PASSWORD, register=True)
        await until(lambda: page.sync_badge.text() == "Up to date", what="up to date")
        await until(lambda: "Online since" in page.connection_label.text(), what="online")

    gui.run(online())
    assert "just now" in page.connection_label.text()

    async def service_gone() -> None:
        # The service moves away (as when the network drops): the next round cannot reach it.
        session = gui.app.account.session
        await session.close()
        session.base_url = f"http://127.0.0.1:{find_free_port()}"  # nothing listens there
        page.sync_now_button.click()
        await gui.vm.tasks.wait_idle()
        await until(lambda: "Offline since" in page.connection_label.text(), what="offline")

    gui.run(service_gone())
    assert page.sync_badge.text() == "Offline", "a failed Sync now does not stay 'Syncing…'"
    assert page.sync_now_button.isEnabled()
    stop(gui)


def test_a_replaced_change_offers_use_mine_instead(account_gui: Gui) -> None:
    """Another computer's later edit replaced this computer's: the strip names the widget, the
    setting and both values; "Use mine instead" saves this computer's value again."""
    from streampai_desktop.cloud.engine import describe
    from streampai_desktop.store.sync_state import SyncConflict

    gui, page = account_gui, account_page(account_gui)

    async def signed_in() -> None:
        await gui.vm.account.sign_in(new_email(), PASSWORD, register=True)
        await until(lambda: page.sync_badge.text() == "Up to date", what="up to date")

    gui.run(signed_in())
    widgets = gui.app.widgets
    mine = widgets["chat_box"].config["font_size"]
    config = {**copy.deepcopy(widgets["chat_box"].config), "font_size": 40}
    gui.run(widgets.save_config("chat_box", config))  # what the other computer's value did
    conflict = SyncConflict(
        "replaced",
        "widget_config",
        "chat_box",
        "config.font_size",
        mine,
        40,
        "Chat Box",
        "chat_box",
    )
    status = gui.app.account.sync.status
    status.conflicts.append(conflict)
    status.notices.append(describe(conflict))
    page._show_sync()
    [strip] = page.conflict_banners
    text = strip.text.text()
    assert "Font size" in text and "Chat Box" in text and f"({mine})" in text and "(40)" in text
    assert strip.button is not None and strip.button.text() == "Use mine instead"

    async def use_mine() -> None:
        strip.button.click()
        await gui.vm.tasks.wait_idle()
        await until(lambda: widgets["chat_box"].config["font_size"] == mine, what="mine again")

    gui.run(use_mine())
    assert gui.app.account.sync.status.conflicts == []
    assert page.conflict_banners == []
    stop(gui)
