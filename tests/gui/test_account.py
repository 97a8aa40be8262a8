"""The Account & Sync page against the real account service (in this process) on PostgreSQL.

The service runs on the test's qasync loop, so it answers while the test awaits; the app is
pointed at it with STREAMPAI_CLOUD_URL before it starts.
"""

from __future__ import annotations

import copy
import secrets
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
from tests.cloud.conftest import cloud_config, database_url  # noqa: F401  (fixtures)
from tests.conftest import find_free_port
from tests.gui.conftest import Gui, button, find_dialog, gui_options, until, widgets_page

pytestmark = pytest.mark.gui
PASSWORD = "correct horse battery staple"


@pytest.fixture
def service(cloud_config: CloudConfig, qloop: qasync.QEventLoop) -> Iterator[str]:  # noqa: F811
    """The account service on a free port, served by the test's own loop."""
    runner = web.AppRunner(create_app(cloud_config))
    port = find_free_port()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    qloop.run_until_complete(start())
    yield f"http://127.0.0.1:{port}"
    qloop.run_until_complete(runner.cleanup())


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
    running.window.show_page("account")
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

    gui.run(register())
    assert not shown(page.sign_in_card), page.form_status.text()
    assert shown(page.account_card) and shown(page.sync_card)
    assert page.email_label.text() == email
    assert page.handle_label.text() == f"@{handle}"
    assert page.plan_badge.text() == "Free plan"
    assert [r.device.current for r in page.device_rows] == [True]
    assert not shown(page.device_rows[0].revoke_button), "this computer signs out above"
    assert page.sync_badge.text() == "Up to date"
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
    assert not gui.run(gui.app.cloud.signed_in())


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
    assert not gui.run(gui.app.cloud.signed_in())


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
        await other.save_widget_config("chat_box", config)
        await other.cloud_sign_in(email, PASSWORD, register=True)
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

        gui.run(sign_in())
        assert shown(page.account_card), page.form_status.text()
        assert gui.app.widgets["chat_box"].config["font_size"] == 31
        assert editor.collect()["font_size"] == 31, "the open editor shows the account's value"
        assert page.sync_badge.text() == "Up to date"
        rows = page.device_rows
        assert [r.device.current for r in rows] == [True, False], "no stale sign-in is left"
        assert shown(rows[1].revoke_button)

        async def revoke_the_other() -> None:
            rows[1].revoke_button.click()
            box = await until(lambda: find_dialog("confirmDialog"), what="confirm dialog")
            button(box, "Revoke").click()
            await gui.vm.tasks.wait_idle()

        gui.run(revoke_the_other())
        assert [r.device.current for r in page.device_rows] == [True]
        assert "is signed out of your account" in page.account_status.text()
    finally:
        gui.run(other.shutdown())


def test_sync_now_updates_the_last_sync_time_and_shows_notices(account_gui: Gui) -> None:
    gui, page = account_gui, account_page(account_gui)

    async def signed_in_a_while_ago() -> None:
        await gui.vm.account.sign_in(new_email(), PASSWORD, register=True)
        assert gui.app.sync.status.last_synced is not None
        gui.app.sync.status.last_synced -= 300  # as if the last sync was five minutes ago
        page._show_sync()

    gui.run(signed_in_a_while_ago())
    assert "5 min ago" in page.last_synced_label.text()
    notice = "Your change to font_size of widget 'chat_box' was replaced by a newer one."
    gui.app.sync.status.notices.append(notice)

    async def sync_now() -> None:
        page.sync_now_button.click()
        await gui.vm.tasks.wait_idle()

    gui.run(sync_now())
    assert "just now" in page.last_synced_label.text()
    assert page.sync_badge.text() == "Up to date" and page.sync_now_button.isEnabled()
    assert shown(page.notices_banner) and notice in page.notices_banner.text.text()
    assert page.notices_banner.button is not None
    page.notices_banner.button.click()
    assert not shown(page.notices_banner)
