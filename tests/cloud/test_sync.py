"""Every sync rule of the service, through the HTTP API on a real PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from streampai_cloud import sync
from tests.cloud.conftest import Api, MakeApi, Session


def mutation(
    device: str,
    seq: int,
    row_id: str,
    patch: dict[str, Any] | None = None,
    *,
    entity: str = "widget_config",
    op: str = "upsert",
    base_version: int | None = 0,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "device_id": device,
        "seq": seq,
        "entity": entity,
        "row_id": row_id,
        "op": op,
        "base_version": base_version,
    }
    if patch is not None:
        body["patch"] = patch
    return body


def new_id() -> str:
    return str(uuid.uuid4())


async def rows(api: Api, session: Session) -> dict[str, dict[str, Any]]:
    page = await api.pull(session, since=0)
    return {c["row_id"]: c for c in page["changes"]}


async def test_push_applies_and_pull_returns_rows_with_field_versions(api: Api) -> None:
    s = await api.register()
    dev, row = new_id(), new_id()
    status, body = await api.push(
        s,
        mutation(dev, 1, row, {"widget_type": "alert_box", "name": "Alerts"}),
        mutation(dev, 2, row, {"name": "Big alerts"}),
    )
    assert status == 200, body
    assert [(r["seq"], r["status"], r["version"]) for r in body["results"]] == [
        (1, "applied", 1),
        (2, "applied", 2),
    ]
    assert body["version"] == 2
    page = await api.pull(s)
    stamps = page["changes"][0].pop("field_stamps")
    assert page["changes"] == [
        {
            "entity": "widget_config",
            "row_id": row,
            "version": 2,
            "deleted": False,
            "fields": {"widget_type": "alert_box", "name": "Big alerts"},
            "field_versions": {"widget_type": 1, "name": 2},
        }
    ]
    assert set(stamps) == {"widget_type", "name"}  # unstamped pushes: the service's clock
    assert page["next"] == 2 and page["has_more"] is False


async def test_a_retried_batch_returns_the_stored_results_and_applies_nothing(api: Api) -> None:
    s = await api.register()
    dev, row = new_id(), new_id()
    batch = [mutation(dev, 1, row, {"name": "A"}), mutation(dev, 2, row, {"bogus": 1}, entity="x")]
    _, first = await api.push(s, *batch)
    # The response was lost; the app resends the same batch plus a new mutation.
    status, again = await api.push(s, *batch, mutation(dev, 3, row, {"enabled": True}))
    assert status == 200
    assert again["results"][:2] == first["results"]
    assert again["results"][2]["status"] == "applied"
    page = await api.pull(s)
    assert page["version"] == 2  # seq 1 and seq 3 applied once each; seq 2 was rejected
    assert page["changes"][0]["fields"] == {"name": "A", "enabled": True}


async def test_a_gap_is_refused_with_the_expected_seq_and_nothing_applies(api: Api) -> None:
    s = await api.register()
    dev = new_id()
    await api.push(s, mutation(dev, 1, new_id(), {"name": "one"}))
    status, body = await api.push(
        s, mutation(dev, 2, new_id(), {"name": "two"}), mutation(dev, 4, new_id(), {"name": "4"})
    )
    assert status == 409
    assert body["error"]["code"] == "seq_gap"
    assert body["error"]["expected_seq"] == 3
    assert body["error"]["device_id"] == dev
    assert (await api.pull(s))["version"] == 1  # seq 2 was not applied either
    status, body = await api.push(s, mutation(dev, 3, new_id(), {"name": "three"}))
    assert status == 409 and body["error"]["expected_seq"] == 2


async def test_each_device_has_its_own_seq(api: Api) -> None:
    s = await api.register()
    a, b = new_id(), new_id()
    status, body = await api.push(
        s, mutation(a, 1, new_id(), {"name": "a"}), mutation(b, 1, new_id(), {"name": "b"})
    )
    assert status == 200
    assert [r["status"] for r in body["results"]] == ["applied", "applied"]


def stamp(wall_ms: int, counter: int = 0, device: str = "d") -> str:
    return f"{wall_ms:015d}:{counter:06d}:{device}"


async def test_unstamped_edits_win_per_field_in_server_order(api: Api) -> None:
    """An older app sends no stamp: the service's clock on arrival stamps it."""
    s = await api.register()
    laptop, studio, row = new_id(), new_id(), new_id()
    await api.push(s, mutation(laptop, 1, row, {"name": "Alerts", "enabled": True}))
    await api.push(s, mutation(laptop, 2, row, {"name": "Laptop name"}, base_version=1))
    status, body = await api.push(
        s, mutation(studio, 1, row, {"name": "Studio name", "sort_order": 3}, base_version=1)
    )
    assert status == 200
    assert body["results"][0]["conflicts"] == []
    change = (await rows(api, s))[row]
    assert change["fields"] == {"name": "Studio name", "enabled": True, "sort_order": 3}
    assert change["field_versions"] == {"name": 3, "enabled": 1, "sort_order": 3}
    assert set(change["field_stamps"]) == {"name", "enabled", "sort_order"}
    assert all(v.endswith(":service") for v in change["field_stamps"].values())


async def test_the_later_stamp_wins_each_setting_whatever_the_arrival_order(api: Api) -> None:
    s = await api.register()
    laptop, studio, row = new_id(), new_id(), new_id()
    base = {"widget_type": "chat_box", "config.font_size": 20, "config.max_messages": 10}
    await api.push(s, {**mutation(laptop, 1, row, base), "stamp": stamp(100, 0, "aa")})
    # Offline on both: the studio edited the font size later (by the clocks) but arrives first.
    await api.push(s, {**mutation(studio, 1, row, {"config.font_size": 31}), "stamp": stamp(300)})
    _, body = await api.push(
        s,
        {
            **mutation(laptop, 2, row, {"config.font_size": 25, "config.max_messages": 50}),
            "stamp": stamp(200, 0, "aa"),
        },
    )
    result = body["results"][0]
    # Applied (the row's version moves, so the laptop pulls the winner), but its font size lost.
    assert result["status"] == "applied" and result["conflicts"] == ["config.font_size"]
    change = (await rows(api, s))[row]
    assert change["fields"] == {
        "widget_type": "chat_box",
        "config.font_size": 31,
        "config.max_messages": 50,
    }
    assert change["version"] == 3
    assert change["field_versions"] == {
        "widget_type": 1,
        "config.font_size": 2,
        "config.max_messages": 3,
    }
    assert change["field_stamps"]["config.font_size"] == stamp(300)
    # Same wall clock: the counter orders, then the device id; the pair can never tie.
    await api.push(s, {**mutation(studio, 2, row, {"name": "b"}), "stamp": stamp(400, 1, "bb")})
    await api.push(s, {**mutation(laptop, 3, row, {"name": "a"}), "stamp": stamp(400, 1, "aa")})
    assert (await rows(api, s))[row]["fields"]["name"] == "b"


async def test_an_old_apps_whole_config_is_split_into_settings(api: Api) -> None:
    s = await api.register()
    dev, row = new_id(), new_id()
    config = {"font_size": 20, "types": {"follow": {"duration_ms": 5}}, "muted_users": ["x"]}
    await api.push(s, mutation(dev, 1, row, {"widget_type": "chat_box", "config": config}))
    fields = (await rows(api, s))[row]["fields"]
    assert fields == {
        "widget_type": "chat_box",
        "config.font_size": 20,
        "config.types.follow.duration_ms": 5,
        "config.muted_users": ["x"],
    }


async def test_an_old_app_pulls_whole_configs(api: Api) -> None:
    s = await api.register()
    dev, row = new_id(), new_id()
    patch = {"widget_type": "chat_box", "config.font_size": 20, "config.types.follow.x": [1]}
    await api.push(s, mutation(dev, 1, row, patch))
    await api.push(s, mutation(dev, 2, row, {"config.font_size": 21}))
    _, body = await api.call("GET", "/v1/sync/pull?since=0", session=s)
    [change] = body["changes"]
    assert change["fields"] == {
        "widget_type": "chat_box",
        "config": {"font_size": 21, "types": {"follow": {"x": [1]}}},
    }
    assert change["field_versions"] == {"widget_type": 1, "config": 2}


async def test_setting_paths_are_checked(api: Api) -> None:
    s = await api.register()
    dev = new_id()
    _, body = await api.push(
        s,
        mutation(dev, 1, new_id(), {"config.a b": 1}),
        mutation(dev, 2, new_id(), {"name.x": 1}),
        mutation(dev, 3, new_id(), {"config.x": 1}, entity="preference"),
        {**mutation(dev, 4, new_id(), {"name": "x"}), "stamp": "yesterday"},
        mutation(dev, 5, new_id(), {"config.types.follow.api_key": "k"}),
        mutation(dev, 6, new_id(), {"config." + ".".join(["k"] * 17): 1}),
        mutation(dev, 7, new_id(), {"config.types.follow-up.x_1": 1}),
    )
    reasons = [r["reason"] for r in body["results"]]
    assert [r["status"] for r in body["results"]] == ["rejected"] * 6 + ["applied"]
    assert "dot-separated" in reasons[0] and "dot-separated" in reasons[5]
    assert "object fields" in reasons[1] and "object fields" in reasons[2]
    assert "stamp" in reasons[3] and "secret" in reasons[4]


async def test_delete_wins_and_leaves_a_versioned_tombstone(api: Api) -> None:
    s = await api.register()
    laptop, studio, row = new_id(), new_id(), new_id()
    await api.push(s, mutation(laptop, 1, row, {"name": "Chat"}))
    _, body = await api.push(s, mutation(laptop, 2, row, op="delete"))
    assert body["results"][0] == {
        "device_id": laptop,
        "seq": 2,
        "status": "applied",
        "version": 2,
        "reason": None,
        "conflicts": [],
    }
    # The studio had not seen the delete: its edit must not resurrect the row.
    _, body = await api.push(s, mutation(studio, 1, row, {"name": "Chat!"}, base_version=1))
    result = body["results"][0]
    assert result["status"] == "rejected" and "deleted" in result["reason"]

    page = await api.pull(s, since=1)
    assert page["changes"] == [
        {
            "entity": "widget_config",
            "row_id": row,
            "version": 2,
            "deleted": True,
            "fields": {},
            "field_versions": {},
            "field_stamps": {},
        }
    ]
    # Even a first pull (since=0) carries the tombstone: a device may hold that row already
    # (it created it offline and pushed it before another device deleted it).
    assert [c["deleted"] for c in (await api.pull(s, since=0))["changes"]] == [True]


async def test_invalid_mutations_are_rejected_with_a_reason_and_consume_their_seq(
    api: Api,
) -> None:
    s = await api.register()
    dev = new_id()
    bad = [
        mutation(dev, 1, new_id(), {"name": "x"}, entity="no_such_entity"),
        mutation(dev, 2, "not-a-uuid", {"name": "x"}),
        mutation(dev, 3, new_id(), {"enabled": "yes"}),
        mutation(dev, 4, new_id(), {"stream_key": "live_123"}, entity="account_settings"),
        mutation(dev, 5, new_id(), {"platform": "myspace"}, entity="account_settings"),
        mutation(dev, 6, new_id(), {"Bad Name": 1}),
        mutation(dev, 7, new_id(), {"name": "x"}, op="merge"),
    ]
    status, body = await api.push(s, *bad)
    assert status == 200
    reasons = [r["reason"] for r in body["results"]]
    assert all(r["status"] == "rejected" for r in body["results"])
    assert "unknown entity" in reasons[0]
    assert "row_id" in reasons[1]
    assert reasons[2] == "widget_config.enabled must be true or false"
    assert "secret" in reasons[3]
    assert "platform" in reasons[4]
    assert "lower_snake_case" in reasons[5]
    assert "op" in reasons[6]
    # The queue is not blocked: the next seq applies.
    status, body = await api.push(s, mutation(dev, 8, new_id(), {"name": "fine"}))
    assert body["results"][0]["status"] == "applied"


async def test_unknown_fields_are_kept_and_returned(api: Api) -> None:
    s = await api.register()
    dev, row = new_id(), new_id()
    patch = {"key": "theme", "value": {"dark": True}, "added_in_v2": [1, "two", None]}
    await api.push(s, mutation(dev, 1, row, patch, entity="preference"))
    assert (await rows(api, s))[row]["fields"] == patch


async def test_pull_pages_in_version_order_with_a_cursor(api: Api) -> None:
    s = await api.register()
    dev = new_id()
    ids = [new_id() for _ in range(7)]
    await api.push(s, *[mutation(dev, i + 1, rid, {"sort_order": i}) for i, rid in enumerate(ids)])
    await api.push(s, mutation(dev, 8, ids[0], {"name": "edited last"}))

    seen: list[tuple[str, int]] = []
    since, pages = 0, 0
    while True:
        page = await api.pull(s, since=since, limit=3)
        pages += 1
        seen += [(c["row_id"], c["version"]) for c in page["changes"]]
        since = page["next"]
        if not page["has_more"]:
            break
    assert pages == 3
    assert seen == [(rid, i + 1) for i, rid in enumerate(ids[1:], start=1)] + [(ids[0], 8)]
    assert since == 8
    assert (await api.pull(s, since=since))["changes"] == []


async def test_too_old_clients_are_refused_with_a_clear_message(make_api: MakeApi) -> None:
    api = await make_api(min_client_version="0.3.0")
    s = await api.register()
    status, body = await api.call(
        "POST",
        "/v1/sync/push",
        session=s,
        json={"mutations": [mutation(new_id(), 1, new_id(), {"name": "x"})]},
        headers={"Streampai-Client-Version": "0.2.9"},
    )
    assert status == 426
    assert body["error"]["code"] == "client_too_old"
    assert "update to 0.3.0" in body["error"]["message"]
    assert (await api.pull(s))["version"] == 0
    status, _ = await api.call(
        "GET", "/v1/sync/pull", session=s, headers={"Streampai-Client-Version": "0.3.0"}
    )
    assert status == 200


async def test_accounts_never_see_or_touch_each_others_rows(api: Api) -> None:
    alice, mallory = await api.register(), await api.register()
    dev, row = new_id(), new_id()
    await api.push(alice, mutation(dev, 1, row, {"name": "Alice's alerts"}))

    # Mallory knows the row id and the device id; she still only reaches her own namespace.
    assert (await api.pull(mallory))["changes"] == []
    status, body = await api.push(mallory, mutation(dev, 1, row, op="delete"))
    assert status == 200 and body["results"][0]["status"] == "applied"
    status, body = await api.push(mallory, mutation(dev, 2, row, {"name": "pwned"}))
    assert body["results"][0]["status"] == "rejected"  # her own tombstone, not Alice's row

    page = await api.pull(alice)
    assert page["version"] == 1
    assert page["changes"][0]["fields"] == {"name": "Alice's alerts"}
    assert page["changes"][0]["deleted"] is False
    # Alice's device seq is untouched by Mallory's pushes with the same device id.
    status, body = await api.push(alice, mutation(dev, 2, row, {"enabled": False}))
    assert body["results"][0]["status"] == "applied"


async def test_batch_shape_errors_are_400(api: Api) -> None:
    s = await api.register()
    payloads: list[dict[str, Any]] = [{}, {"mutations": []}, {"mutations": [{"seq": 1}]}]
    for payload in payloads:
        status, body = await api.call("POST", "/v1/sync/push", session=s, json=payload)
        assert status == 400 and body["error"]["code"] == "invalid_request", payload
    status, body = await api.call("GET", "/v1/sync/pull?since=-1", session=s)
    assert status == 400


async def test_concurrent_pushes_on_two_processes_get_distinct_ordered_versions(
    make_api: MakeApi,
) -> None:
    import asyncio

    one, two = await make_api(), await make_api()
    s = await one.register()
    devices = [new_id() for _ in range(8)]
    calls = [
        (one if i % 2 else two).push(
            s, *[mutation(d, seq, new_id(), {"sort_order": seq}) for seq in (1, 2, 3)]
        )
        for i, d in enumerate(devices)
    ]
    answers = await asyncio.gather(*calls)
    versions = sorted(r["version"] for _, body in answers for r in body["results"])
    assert versions == list(range(1, 25))
    page = await one.pull(s, limit=1000)
    assert [c["version"] for c in page["changes"]] == list(range(1, 25))


async def test_old_stored_results_are_pruned_but_a_replay_still_applies_nothing(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sync, "KEEP_RESULTS", 2)
    s = await api.register()
    dev, row = new_id(), new_id()
    await api.push(s, *[mutation(dev, seq, row, {"sort_order": seq}) for seq in range(1, 6)])
    status, body = await api.push(s, mutation(dev, 1, row, {"sort_order": 100}))
    assert status == 200
    assert body["results"][0]["reason"] == "already applied (result expired)"
    status, body = await api.push(s, mutation(dev, 5, row, {"sort_order": 100}))
    assert body["results"][0] == {**body["results"][0], "status": "applied", "version": 5}
    assert (await rows(api, s))[row]["fields"] == {"sort_order": 5}


async def test_values_are_stored_exactly_even_nul_and_unpaired_surrogates(api: Api) -> None:
    s = await api.register()
    dev, row = new_id(), new_id()
    # Valid JSON text that PostgreSQL's jsonb would refuse; the service must keep it verbatim.
    patch = '{"name": "a\\u0000b\\udb57", "config": {"v": "a\\u0000\\udb57"}}'
    raw = (
        f'{{"mutations": [{{"device_id": "{dev}", "seq": 1, "entity": "widget_config", '
        f'"row_id": "{row}", "patch": {patch}}}]}}'
    )
    async with api.client.post(
        "/v1/sync/push", data=raw, headers={**s.headers, "Content-Type": "application/json"}
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert (await resp.json())["results"][0]["status"] == "applied"
    stored = (await rows(api, s))[row]["fields"]
    assert stored == {"name": "a\x00b\udb57", "config.v": "a\x00\udb57"}
    # A setting's key must be a plain name: a NUL in a config key is refused, not mangled.
    patch = '{"config": {"k\\u0000": 1}}'
    raw = raw.replace('"seq": 1', '"seq": 2').split('"patch"')[0] + f'"patch": {patch}}}]}}'
    async with api.client.post(
        "/v1/sync/push", data=raw, headers={**s.headers, "Content-Type": "application/json"}
    ) as resp:
        assert (await resp.json())["results"][0]["status"] == "rejected"
    status, body = await api.push(s, mutation(dev, 3, new_id(), {"name\n": "x"}))
    assert status == 200 and body["results"][0]["status"] == "rejected"
