"""Facebook's sign-in for real: the account service on PostgreSQL exchanges the Login dialog's
code with the app secret and hands the long-lived user token to this computer (signed in to a
Streampai account, its live channel open); the desktop checks the permissions, lists the Pages,
asks which one when there are several, and keeps only that Page's token."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from streampai_cloud.config import CloudConfig
from streampai_desktop.cloud.service import AccountService
from streampai_desktop.platforms.base import AuthFailed
from streampai_desktop.platforms.facebook.auth import (
    AccountRequired,
    FacebookNotConfigured,
    PageTokenStore,
    token_key,
)
from streampai_desktop.platforms.facebook.spec import SPEC
from streampai_desktop.platforms.flows import (
    BrowserStep,
    ChoiceNeeded,
    ChoiceStep,
    SignedInAccount,
    SignInStep,
    sign_in,
)
from streampai_desktop.secrets import KeyringBackend, SecretStore
from tests.cloud.conftest import cloud_config, database_url, media_root  # noqa: F401  (fixtures)
from tests.fakes.facebook import APP_SECRET, PAGE_ID, PAGE_NAME, FakeFacebook
from tests.platforms.facebook_world import (  # noqa: F401  (fixtures)
    FacebookService,
    fake_facebook,
    graph_settings,
    start_service,
)
from tests.platforms.kick_world import PASSWORD, Browser, open_account, wait_until


@pytest.fixture
def store() -> SecretStore:
    return SecretStore(KeyringBackend("streampai-facebook-signin-test"))


@pytest.fixture
async def service(
    cloud_config: CloudConfig,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
) -> AsyncIterator[FacebookService]:
    running = await start_service(cloud_config, fake_facebook)
    yield running
    await running.runner.cleanup()


@pytest.fixture
async def account(
    tmp_path: Path, service: FacebookService, store: SecretStore
) -> AsyncIterator[AccountService]:
    """This computer, signed in to a fresh Streampai account, its live channel open."""
    desktop = open_account(tmp_path / "desktop", service.url, store)
    await desktop.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
    await wait_until(lambda: desktop.live.connected)
    yield desktop
    await desktop.stop()


async def connect(
    fake: FakeFacebook,
    store: SecretStore,
    *,
    browser: Browser | None = None,
    choice: str | None = None,
    pick: str | None = None,
    steps: list[SignInStep] | None = None,
) -> SignedInAccount:
    """Facebook's sign-in as the Platforms page runs it; ``pick``: the Page the streamer
    clicks when the window lists them."""
    shown = steps if steps is not None else []

    async def show(step: SignInStep) -> None:
        shown.append(step)
        if isinstance(step, ChoiceStep):
            assert pick is not None, "the sign-in asked which Page"
            step.choose(next(c for c in step.choices if c.label == pick))

    return await sign_in(
        SPEC,
        show,
        settings=graph_settings(fake),
        secrets=store,
        open_browser=(browser or Browser()).open,
        choice=choice,
    )


async def test_sign_in_through_the_service_keeps_the_pages_token_here(
    account: AccountService,
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    fake = fake_facebook
    browser = Browser()
    steps: list[SignInStep] = []
    who = await connect(fake, store, browser=browser, steps=steps)
    # The one Page: nothing to choose.
    assert who == SignedInAccount(PAGE_ID, PAGE_NAME, PAGE_NAME)
    assert [type(s) for s in steps] == [BrowserStep] and steps[0].opened  # type: ignore[union-attr]
    assert browser.pages[-1][0] == 200
    # The service added the secret to the code exchange and swapped for a long-lived token.
    grants = [t for t in fake.token_requests if t.get("client_secret") == APP_SECRET]
    assert grants and grants[-1].get("grant_type") == "fb_exchange_token"
    kept = await PageTokenStore(store, PAGE_ID).load()
    assert kept is not None and kept.declined == ()
    token = fake.tokens[kept.token]
    # A Page token from a long-lived user token: it does not expire.
    assert token.kind == "page" and token.page_id == PAGE_ID and token.expires_at is None
    # The user token is not kept: only the Page's entry is in the keyring.
    assert await store.get(token_key(PAGE_ID))
    asked = fake.dialog_requests[-1]["scope"].split(",")
    assert {"pages_show_list", "pages_read_engagement", "pages_manage_engagement"} <= set(asked)


async def test_with_several_pages_the_streamer_picks_one(
    account: AccountService,
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    fake = fake_facebook
    other = fake.add_page("Second Channel")
    steps: list[SignInStep] = []
    who = await connect(fake, store, pick="Second Channel", steps=steps)
    assert who.platform_user_id == other.id and who.login == "Second Channel"
    (choice,) = [s for s in steps if isinstance(s, ChoiceStep)]
    assert [(c.id, c.label) for c in choice.choices] == [
        (PAGE_ID, PAGE_NAME),
        (other.id, "Second Channel"),
    ]
    assert "which one do you stream from" in choice.prompt and choice.option == "page"
    kept = await PageTokenStore(store, other.id).load()
    assert kept is not None and fake.tokens[kept.token].page_id == other.id
    assert await PageTokenStore(store, PAGE_ID).load() is None

    # Named ahead (the terminal's --page), by id or by name in any case: no question.
    steps.clear()
    again = await connect(fake, store, choice=PAGE_ID, steps=steps)
    assert again.platform_user_id == PAGE_ID
    assert not any(isinstance(s, ChoiceStep) for s in steps)
    by_name = await connect(fake, store, choice="second channel")
    assert by_name.platform_user_id == other.id
    with pytest.raises(ChoiceNeeded) as refused:
        await connect(fake, store, choice="Third")
    assert "There is none called 'Third'" in str(refused.value)
    assert f"{PAGE_NAME} (id {PAGE_ID})" in str(refused.value)
    assert "--page NAME" in str(refused.value)


async def test_a_sign_in_that_did_not_allow_reading_the_page_is_refused_by_name(
    account: AccountService,
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    fake_facebook.decline_next("pages_read_engagement")
    with pytest.raises(AuthFailed, match="did not allow pages_read_engagement"):
        await connect(fake_facebook, store)
    assert await PageTokenStore(store, PAGE_ID).load() is None


async def test_a_sign_in_without_commenting_connects_and_remembers_what_is_missing(
    account: AccountService,
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    fake_facebook.decline_next("pages_manage_engagement")
    who = await connect(fake_facebook, store)
    assert who.platform_user_id == PAGE_ID
    kept = await PageTokenStore(store, PAGE_ID).load()
    assert kept is not None and kept.declined == ("pages_manage_engagement",)


async def test_cancelling_on_facebooks_page_ends_the_sign_in(
    account: AccountService,
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    fake_facebook.deny_next()
    with pytest.raises(AuthFailed, match="declined on Facebook's page"):
        await asyncio.wait_for(connect(fake_facebook, store), 20)


async def test_without_a_streampai_account_it_says_to_sign_in_first(
    tmp_path: Path,
    service: FacebookService,
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    desktop = open_account(tmp_path / "desktop", service.url, store)
    try:
        with pytest.raises(AccountRequired, match="needs a Streampai account"):
            await connect(fake_facebook, store)
    finally:
        await desktop.stop()


async def test_a_service_without_a_facebook_app_says_so(
    tmp_path: Path,
    cloud_config: CloudConfig,  # noqa: F811
    fake_facebook: FakeFacebook,  # noqa: F811
    store: SecretStore,
) -> None:
    bare = await start_service(cloud_config, None)
    desktop = open_account(tmp_path / "desktop", bare.url, store)
    try:
        await desktop.sign_in(f"{secrets.token_hex(6)}@example.com", PASSWORD, register=True)
        with pytest.raises(FacebookNotConfigured, match="cannot connect Facebook"):
            await connect(fake_facebook, store)
    finally:
        await desktop.stop()
        await bare.runner.cleanup()
