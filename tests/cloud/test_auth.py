"""Accounts: register, sign in, rotating refresh tokens with reuse detection, expiry, limits."""

from __future__ import annotations

import itertools
import secrets

from tests.cloud.conftest import PASSWORD, Api, MakeApi


async def test_register_signs_in_and_me_shows_the_free_plan(api: Api) -> None:
    session = await api.register(handle=f"me_{secrets.token_hex(3)}", device_name="Studio PC")
    status, body = await api.call("GET", "/v1/me", session=session)
    assert status == 200
    assert body["account"]["plan"] == "free"
    assert body["account"]["email"] == session.account["email"]
    assert body["device_id"] == session.device_id
    assert body["sync_version"] == 0


async def test_email_is_unique_and_case_insensitive(api: Api) -> None:
    session = await api.register()
    status, body = await api.call(
        "POST",
        "/v1/auth/register",
        json={"email": session.account["email"].upper(), "password": PASSWORD},
    )
    assert status == 409 and body["error"]["code"] == "email_taken"


async def test_wrong_password_and_unknown_email_look_the_same(api: Api) -> None:
    session = await api.register()
    for email in (session.account["email"], "nobody@example.com"):
        status, body = await api.call(
            "POST", "/v1/auth/signin", json={"email": email, "password": "wrong password"}
        )
        assert status == 401
        assert body["error"] == {
            "code": "invalid_credentials",
            "message": "The email or password is wrong.",
        }


async def test_invalid_bodies_get_clear_errors(api: Api) -> None:
    status, body = await api.call("POST", "/v1/auth/register", json={"email": "x@example.com"})
    assert status == 400 and body["error"]["field"] == "password"
    async with api.client.post("/v1/auth/signin", data=b"{not json") as resp:
        assert resp.status == 400
        assert (await resp.json())["error"]["code"] == "invalid_json"
    status, body = await api.call("GET", "/v1/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_no_or_forged_token_is_refused(api: Api) -> None:
    status, body = await api.call("GET", "/v1/me")
    assert status == 401 and body["error"]["code"] == "unauthenticated"
    session = await api.register()
    forged = session.access_token[:-4] + "AAAA"
    status, body = await api.call("GET", "/v1/me", headers={"Authorization": f"Bearer {forged}"})
    assert status == 401 and body["error"]["code"] == "invalid_token"


async def test_refresh_rotates_and_reuse_revokes_the_whole_chain(make_api: MakeApi) -> None:
    api = await make_api(refresh_reuse_grace=0)
    first = await api.register()
    status, second = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": first.refresh_token}
    )
    assert status == 200
    assert second["refresh_token"] != first.refresh_token
    assert second["device_id"] == first.device_id
    status, third = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}
    )
    assert status == 200

    # A thief replays the first token: the device (the whole chain) is signed out.
    status, body = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": first.refresh_token}
    )
    assert status == 401 and body["error"]["code"] == "refresh_token_reused"
    status, body = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": third["refresh_token"]}
    )
    assert status == 401 and body["error"]["code"] == "device_revoked"
    status, body = await api.call(
        "GET", "/v1/me", headers={"Authorization": f"Bearer {third['access_token']}"}
    )
    assert status == 401 and body["error"]["code"] == "device_revoked"


async def test_a_retried_refresh_within_the_grace_window_gets_the_same_tokens(api: Api) -> None:
    session = await api.register()
    body = {"refresh_token": session.refresh_token}
    status, first = await api.call("POST", "/v1/auth/refresh", json=body)
    assert status == 200
    # The answer was lost on the way (timeout): the app resends the same request.
    status, again = await api.call("POST", "/v1/auth/refresh", json=body)
    assert status == 200
    assert again["refresh_token"] == first["refresh_token"]
    status, _ = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": again["refresh_token"]}
    )
    assert status == 200


async def test_expired_access_and_refresh_tokens(make_api: MakeApi) -> None:
    api = await make_api(access_token_ttl=-1, refresh_token_ttl=-1)
    session = await api.register()
    status, body = await api.call("GET", "/v1/me", session=session)
    assert status == 401 and body["error"]["code"] == "token_expired"
    status, body = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": session.refresh_token}
    )
    assert status == 401 and body["error"]["code"] == "refresh_token_expired"


def address(prefix: int) -> dict[str, str]:
    """A fresh client address (the test service trusts X-Forwarded-For)."""
    return {"X-Forwarded-For": f"10.{prefix}.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}


async def signin_status(
    api: Api, email: str, password: str, headers: dict[str, str] | None = None
) -> tuple[int, int | None]:
    """The answer's status and its Retry-After (None when absent)."""
    async with api.client.post(
        "/v1/auth/signin", json={"email": email, "password": password}, headers=headers or {}
    ) as resp:
        body = await resp.json()
        if resp.status == 429:
            assert body["error"]["code"] == "rate_limited"
            assert body["error"]["retry_after"] == int(resp.headers["Retry-After"])
        retry = resp.headers.get("Retry-After")
        return resp.status, int(retry) if retry is not None else None


async def test_failing_from_one_address_stops_only_that_address(make_api: MakeApi) -> None:
    api = await make_api(signin_limit_per_email_ip=3)
    email = (await api.register()).account["email"]
    attacker = address(1)
    for _ in range(3):
        assert (await signin_status(api, email, "nope", attacker))[0] == 401
    status, retry = await signin_status(api, email, "nope", attacker)
    assert status == 429 and retry is not None and retry >= 1
    # That address is stopped even with the right password (it cannot tell guesses apart)...
    assert (await signin_status(api, email, PASSWORD, attacker))[0] == 429
    # ...but the streamer, on their own address, signs in.
    assert (await signin_status(api, email, PASSWORD, address(2)))[0] == 200


async def test_failing_on_purpose_from_many_addresses_cannot_lock_a_streamer_out(
    make_api: MakeApi,
) -> None:
    api = await make_api(
        signin_limit_per_email_ip=2, signin_limit_per_email=3, signin_slow_max_wait=60
    )
    email = (await api.register()).account["email"]
    # An attacker fails on purpose from ever new addresses, far past the per-email ceiling.
    waits: list[int] = []
    for _ in range(8):
        attacker = address(3)
        assert (await signin_status(api, email, "nope", attacker))[0] == 401
        status, retry = await signin_status(api, email, "nope", attacker)
        if status == 429:
            assert retry is not None
            waits.append(retry)
    # Past the ceiling each address is slowed, with a wait that grows up to the cap.
    assert len(waits) >= 5, waits
    # (Retry-After is whole seconds left: a wait at the cap may read 59 a moment later.)
    grows = all(later >= earlier - 1 for earlier, later in itertools.pairwise(waits))
    assert grows and waits[0] <= 4 and 59 <= waits[-1] <= 60, waits

    # The streamer, from their own address, signs in with the right password at once.
    assert (await signin_status(api, email, PASSWORD))[0] == 200
    # On another address, after a typo, they are slowed (told how long), not locked out.
    elsewhere = address(4)
    assert (await signin_status(api, email, "typo", elsewhere))[0] == 401
    status, retry = await signin_status(api, email, PASSWORD, elsewhere)
    assert status == 429 and retry is not None and 1 <= retry <= 60


async def test_only_failed_sign_ins_count_toward_the_limits(make_api: MakeApi) -> None:
    api = await make_api(signin_limit_per_email_ip=2, signin_limit_per_email=2)
    email = (await api.register()).account["email"]
    home = address(5)
    # Every device of a household signs in from one address; none of that is a failure.
    for _ in range(5):
        assert (await signin_status(api, email, PASSWORD, home))[0] == 200
    assert (await signin_status(api, email, "nope", home))[0] == 401


async def test_signin_is_rate_limited_per_ip(make_api: MakeApi) -> None:
    api = await make_api(signin_limit_per_ip=2)
    ip = {"X-Forwarded-For": f"10.2.{secrets.randbelow(250)}.{secrets.randbelow(250)}"}
    statuses = []
    for _ in range(3):
        email = f"{secrets.token_hex(4)}@example.com"
        status, _ = await api.call(
            "POST", "/v1/auth/signin", json={"email": email, "password": "x"}, headers=ip
        )
        statuses.append(status)
    assert statuses == [401, 401, 429]


async def test_signout_ends_the_session(api: Api) -> None:
    session = await api.register()
    status, _ = await api.call("POST", "/v1/auth/signout", session=session)
    assert status == 204
    status, body = await api.call("GET", "/v1/me", session=session)
    assert status == 401 and body["error"]["code"] == "device_revoked"
    status, body = await api.call(
        "POST", "/v1/auth/refresh", json={"refresh_token": session.refresh_token}
    )
    assert status == 401 and body["error"]["code"] == "device_revoked"


async def test_devices_are_listed_and_revocable_only_within_the_account(api: Api) -> None:
    laptop = await api.register(device_name="Laptop")
    studio = await api.signin(laptop.account["email"], device_name="Studio")
    stranger = await api.register()

    status, body = await api.call("GET", "/v1/devices", session=studio)
    assert status == 200
    assert [(d["name"], d["current"]) for d in body["devices"]] == [
        ("Laptop", False),
        ("Studio", True),
    ]
    # Another account cannot see or revoke these devices.
    status, body = await api.call("DELETE", f"/v1/devices/{laptop.device_id}", session=stranger)
    assert status == 404
    status, body = await api.call("GET", "/v1/devices", session=stranger)
    assert [d["id"] for d in body["devices"]] == [stranger.device_id]

    status, _ = await api.call("DELETE", f"/v1/devices/{laptop.device_id}", session=studio)
    assert status == 204
    status, _ = await api.call("GET", "/v1/me", session=laptop)
    assert status == 401
    status, body = await api.call("GET", "/v1/devices", session=studio)
    assert [d["name"] for d in body["devices"]] == ["Studio"]
