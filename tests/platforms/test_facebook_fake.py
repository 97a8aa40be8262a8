"""The fake Facebook itself: the Facebook tests built on it prove something only if it holds a
client to Facebook's documented rules. Login's code exchange with the app secret and the
long-lived swap, which token each endpoint takes, live discovery, the SSE streams read by a real
httpx streaming client (drops, reconnects, comment_rate), and Graph's error objects."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.fakes.facebook import (
    APP_ID,
    APP_SECRET,
    LONG_LIVED_S,
    PAGE_ID,
    PAGE_NAME,
    SCOPES,
    SHORT_LIVED_S,
    USER_ID,
    USER_NAME,
    WRITE_PERMISSION,
    FakeFacebook,
)

REDIRECT = "https://cloud.streampai.test/v1/platforms/facebook/callback"
COMMENT_FIELDS = "from{name,id},message,created_time,id"
GRAPH_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$")


@pytest.fixture
async def fb(free_port: int) -> AsyncIterator[FakeFacebook]:
    async with FakeFacebook(free_port) as fake:
        yield fake


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def graph(
    http: httpx.AsyncClient, fb: FakeFacebook, path: str, method: str = "GET", **params: str
) -> tuple[int, dict[str, Any]]:
    if method == "GET":
        response = await http.get(f"{fb.graph_url}{path}", params=params)
    else:
        response = await http.post(f"{fb.graph_url}{path}", data=params)
    return response.status_code, response.json()


@dataclass
class SSE:
    """One Server-Sent Events connection read by httpx, parsed by the WHATWG rules (``data:``
    lines joined, dispatched at a blank line; an event cut off by the end of the body is lost)."""

    status: int = 0
    content_type: str = ""
    body: bytes = b""
    events: asyncio.Queue[dict[str, str]] = field(default_factory=asyncio.Queue)
    error: httpx.HTTPError | None = None
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    async def next(self, within: float = 5.0) -> dict[str, str]:
        async with asyncio.timeout(within):
            return await self.events.get()

    async def next_json(self, within: float = 5.0) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((await self.next(within))["data"])
        return data

    async def run(
        self, http: httpx.AsyncClient, url: str, params: dict[str, str], headers: dict[str, str]
    ) -> None:
        try:
            async with http.stream("GET", url, params=params, headers=headers) as response:
                self.status = response.status_code
                self.content_type = response.headers.get("content-type", "")
                if response.status_code != 200:
                    self.body = await response.aread()
                    return
                self.connected.set()
                event: dict[str, str] = {}
                data: list[str] = []
                async for line in response.aiter_lines():
                    if not line:
                        if data:
                            await self.events.put({**event, "data": "\n".join(data)})
                        event, data = {}, []
                    elif not line.startswith(":"):  # ":" starts a comment line
                        name, _, value = line.partition(":")
                        value = value.removeprefix(" ")
                        if name == "data":
                            data.append(value)
                        else:
                            event[name] = value
        except httpx.HTTPError as error:
            self.error = error
        finally:
            self.connected.set()
            self.ended.set()


async def open_sse(
    http: httpx.AsyncClient, url: str, headers: dict[str, str] | None = None, **params: str
) -> SSE:
    sse = SSE()
    sse.task = asyncio.create_task(sse.run(http, url, params, headers or {}))
    async with asyncio.timeout(5):
        await sse.connected.wait()
    return sse


@pytest.fixture
async def streams() -> AsyncIterator[list[SSE]]:
    """SSE readers a test opened, stopped at its end."""
    opened: list[SSE] = []
    yield opened
    for sse in opened:
        if sse.task is not None:
            sse.task.cancel()
            await asyncio.gather(sse.task, return_exceptions=True)


async def dialog(http: httpx.AsyncClient, fb: FakeFacebook, **changes: str) -> dict[str, list[str]]:
    """The browser's trip to the Login dialog: the query of the redirect it gets back."""
    query = {
        "client_id": APP_ID,
        "redirect_uri": REDIRECT,
        "state": "state-42",
        "scope": ",".join(SCOPES),
        **changes,
    }
    response = await http.get(fb.dialog_url, params=query)
    assert response.status_code == 302, response.text
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    assert location.fragment == "_=_"  # Facebook's trailing fragment, as on the real redirect
    return parse_qs(location.query)


async def exchange(
    http: httpx.AsyncClient, fb: FakeFacebook, **params: str
) -> tuple[int, dict[str, Any]]:
    query = {"client_id": APP_ID, "client_secret": APP_SECRET, **params}
    return await graph(http, fb, "/oauth/access_token", **query)


async def test_login_code_exchange_needs_the_secret_and_swaps_for_a_long_lived_token(
    fb: FakeFacebook, http: httpx.AsyncClient
) -> None:
    fb.redirect_uris = [REDIRECT]
    answer = await dialog(http, fb)
    assert answer["state"] == ["state-42"]
    code = answer["code"][0]

    status, body = await exchange(http, fb, code=code, redirect_uri=REDIRECT, client_secret="nope")
    assert status == 400
    assert body["error"]["code"] == 1
    assert body["error"]["message"] == "Error validating client secret."
    assert body["error"]["type"] == "OAuthException" and body["error"]["fbtrace_id"]

    status, body = await exchange(http, fb, code=code, redirect_uri=REDIRECT + "/other")
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 36008)

    status, short = await exchange(http, fb, code=code, redirect_uri=REDIRECT)
    assert status == 200, short
    assert short["token_type"] == "bearer" and short["expires_in"] == SHORT_LIVED_S

    status, body = await exchange(http, fb, code=code, redirect_uri=REDIRECT)
    assert body["error"]["error_subcode"] == 36009  # a code works once

    status, long = await exchange(
        http, fb, grant_type="fb_exchange_token", fb_exchange_token=short["access_token"]
    )
    assert status == 200, long
    assert long["expires_in"] == LONG_LIVED_S and long["access_token"] != short["access_token"]
    status, body = await exchange(
        http,
        fb,
        grant_type="fb_exchange_token",
        fb_exchange_token=short["access_token"],
        client_secret="nope",
    )
    assert body["error"]["code"] == 1

    status, me = await graph(http, fb, "/me", access_token=long["access_token"])
    assert (status, me) == (200, {"name": USER_NAME, "id": USER_ID})
    status, perms = await graph(http, fb, "/me/permissions", access_token=long["access_token"])
    assert {p["permission"] for p in perms["data"] if p["status"] == "granted"} == set(SCOPES)


async def test_login_refusals_reach_the_redirect_or_stop_at_facebook(
    fb: FakeFacebook, http: httpx.AsyncClient
) -> None:
    fb.redirect_uris = [REDIRECT]
    fb.deny_next()
    answer = await dialog(http, fb)
    assert answer == {
        "error_reason": ["user_denied"],
        "error": ["access_denied"],
        "error_description": ["Permissions error."],
        "state": ["state-42"],
    }

    response = await http.get(
        fb.dialog_url, params={"client_id": APP_ID, "redirect_uri": "https://evil.test/cb"}
    )
    assert response.status_code == 400 and "URL Blocked" in response.text

    fb.decline_next(WRITE_PERMISSION)
    code = (await dialog(http, fb))["code"][0]
    _, token = await exchange(http, fb, code=code, redirect_uri=REDIRECT)
    _, perms = await graph(http, fb, "/me/permissions", access_token=token["access_token"])
    assert {"permission": WRITE_PERMISSION, "status": "declined"} in perms["data"]


async def test_page_endpoints_take_the_pages_own_token(
    fb: FakeFacebook, http: httpx.AsyncClient
) -> None:
    user = fb.issue_user_token().value
    second = fb.add_page("Second Page", tasks=["ANALYZE"])
    status, accounts = await graph(http, fb, "/me/accounts", access_token=user)
    assert status == 200
    pages = {p["id"]: p for p in accounts["data"]}
    assert set(pages) == {PAGE_ID, second.id}
    page = pages[PAGE_ID]
    assert set(page) == {"access_token", "category", "category_list", "name", "id", "tasks"}
    assert page["name"] == PAGE_NAME and "MODERATE" in page["tasks"]
    assert pages[second.id]["tasks"] == ["ANALYZE"]
    page_token = page["access_token"]
    assert page_token not in (user, pages[second.id]["access_token"])

    status, body = await graph(http, fb, f"/{PAGE_ID}/live_videos", access_token=user)
    assert status == 400
    assert body["error"]["code"] == 190
    assert body["error"]["message"] == "(#190) This method must be called with a Page Access Token"
    status, body = await graph(http, fb, f"/{PAGE_ID}/live_videos", access_token=page_token)
    assert (status, body) == (200, {"data": []})

    status, me = await graph(http, fb, "/me", access_token=page_token)
    assert me == {"name": PAGE_NAME, "id": PAGE_ID}
    status, body = await graph(http, fb, "/me/accounts", access_token=page_token)
    assert "nonexisting field (accounts)" in body["error"]["message"]

    video = fb.go_live()
    fb.push_comment("Viewer", "555", "hi")
    _, as_user = await graph(http, fb, f"/{video.id}/comments", access_token=user)
    assert as_user == {"data": []}  # Facebook documents empty data for a user token
    _, as_page = await graph(http, fb, f"/{video.id}/comments", access_token=page_token)
    assert [c["message"] for c in as_page["data"]] == ["hi"]

    fb.revoke_permission("pages_read_engagement")
    status, body = await graph(http, fb, f"/{PAGE_ID}/live_videos", access_token=page_token)
    assert body["error"]["code"] == 10 and "pages_read_engagement" in body["error"]["message"]


async def test_page_tokens_live_as_long_as_the_user_token_they_came_from(
    fb: FakeFacebook, http: httpx.AsyncClient
) -> None:
    fb.short_token_ttl_s = 0.3
    short = fb.issue_user_token(long_lived=False).value
    long = fb.issue_user_token().value
    _, from_short = await graph(http, fb, "/me/accounts", access_token=short)
    _, from_long = await graph(http, fb, "/me/accounts", access_token=long)
    await asyncio.sleep(0.4)
    for token in (short, from_short["data"][0]["access_token"]):
        status, body = await graph(http, fb, "/me", access_token=token)
        assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 190, 463)
    fb.expire_token(long)
    status, me = await graph(http, fb, "/me", access_token=from_long["data"][0]["access_token"])
    assert (status, me["id"]) == (200, PAGE_ID)


async def test_live_discovery_and_viewers(fb: FakeFacebook, http: httpx.AsyncClient) -> None:
    token = fb.issue_page_token().value
    fields = "id,title,status,creation_time,live_views"
    live = {"access_token": token, "broadcast_status": '["LIVE"]', "fields": fields}
    assert await graph(http, fb, f"/{PAGE_ID}/live_videos", **live) == (200, {"data": []})

    video = fb.go_live("Speedrun night", live_views=7)
    status, body = await graph(http, fb, f"/{PAGE_ID}/live_videos", **live)
    [found] = body["data"]
    assert set(found) == set(fields.split(","))
    assert (found["id"], found["title"], found["status"], found["live_views"]) == (
        video.id,
        "Speedrun night",
        "LIVE",
        7,
    )
    assert GRAPH_TIME.match(found["creation_time"])

    fb.set_live_views(42)
    node_fields = "live_views,status,title,creation_time"
    _, node = await graph(http, fb, f"/{video.id}", access_token=token, fields=node_fields)
    assert node["live_views"] == 42 and node["status"] == "LIVE"

    fb.end_live()
    assert await graph(http, fb, f"/{PAGE_ID}/live_videos", **live) == (200, {"data": []})
    _, node = await graph(http, fb, f"/{video.id}", access_token=token, fields="status")
    assert node == {"status": "LIVE_STOPPED"}

    status, body = await graph(
        http, fb, f"/{PAGE_ID}/live_videos", access_token=token, broadcast_status='["ONAIR"]'
    )
    assert status == 400 and "broadcast_status[0] must be one of" in body["error"]["message"]
    status, body = await graph(http, fb, f"/{video.id}", access_token=token, fields="id,viewers")
    assert body["error"]["message"] == (
        "(#100) Tried accessing nonexisting field (viewers) on node type (LiveVideo)"
    )


async def test_live_comments_arrive_as_server_sent_events(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    video = fb.go_live()
    token = fb.issue_page_token().value
    url = f"{fb.streaming_url}/{video.id}/live_comments"
    sse = await open_sse(
        http, url, access_token=token, comment_rate="ten_per_second", fields=COMMENT_FIELDS
    )
    streams.append(sse)
    assert sse.status == 200 and sse.content_type.startswith("text/event-stream")

    comment = fb.push_comment("Viewer One", "555", "hello there")
    event = await sse.next()
    assert set(event) == {"data"}  # Facebook sends no id: (nothing to resume from)
    assert json.loads(event["data"]) == {
        "from": {"name": "Viewer One", "id": "555"},
        "message": "hello there",
        "created_time": comment.created_time,
        "id": comment.id,
    }
    assert GRAPH_TIME.match(comment.created_time)

    fb.chunk_size = 7  # an event split over many writes still arrives whole
    fb.push_comment(None, None, "a commenter Facebook does not name")
    assert await sse.next_json() == {
        "message": "a commenter Facebook does not name",
        "created_time": fb.live.comments[-1].created_time,
        "id": fb.live.comments[-1].id,
    }

    user = fb.issue_user_token().value
    refused = await open_sse(http, url, access_token=user)
    assert refused.status == 400 and json.loads(refused.body)["error"]["code"] == 190
    odd = await open_sse(http, url, access_token=token, comment_rate="all_of_them")
    assert odd.status == 400 and "comment_rate must be one of" in odd.body.decode()


async def test_reactions_stream_running_totals_per_burst(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    video = fb.go_live()
    url = f"{fb.streaming_url}/{video.id}/live_reactions"
    sse = await open_sse(
        http, url, access_token=fb.issue_page_token().value, fields="reaction_stream"
    )
    streams.append(sse)
    fb.push_reaction("LIKE", 3)
    fb.push_reaction("LOVE")
    first = await sse.next_json()
    assert first == {
        "reaction_stream": [
            {"key": "LIKE", "value": 3},
            {"key": "LOVE", "value": 1},
            {"key": "WOW", "value": 0},
            {"key": "HAHA", "value": 0},
            {"key": "SAD", "value": 0},
            {"key": "ANGRY", "value": 0},
        ]
    }
    fb.push_reaction("LIKE")
    fb.push_reaction("CARE", 2)
    totals = {r["key"]: r["value"] for r in (await sse.next_json())["reaction_stream"]}
    assert (totals["LIKE"], totals["LOVE"], totals["CARE"]) == (4, 1, 2)
    with pytest.raises(ValueError, match="unknown reaction type"):
        fb.push_reaction("BOO")


async def test_dropped_streams_lose_what_came_meanwhile_and_resume_on_reconnect(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    video = fb.go_live()
    token = fb.issue_page_token().value
    url = f"{fb.streaming_url}/{video.id}/live_comments"
    first = await open_sse(http, url, access_token=token, fields=COMMENT_FIELDS)
    streams.append(first)
    fb.push_comment("A", "1", "before")
    assert (await first.next_json())["message"] == "before"

    await fb.drop_streams()
    async with asyncio.timeout(5):
        await first.ended.wait()
    assert isinstance(first.error, httpx.TransportError)  # cut, not a clean end of the body

    fb.push_comment("B", "2", "while away")
    second = await open_sse(
        http, url, {"Last-Event-ID": "anything"}, access_token=token, fields=COMMENT_FIELDS
    )
    streams.append(second)
    assert fb.stream_connections[-1].last_event_id == "anything"
    fb.push_comment("C", "3", "after")
    assert (await second.next_json())["message"] == "after"  # nothing replayed

    _, backfill = await graph(
        http,
        fb,
        f"/{video.id}/comments",
        access_token=token,
        order="reverse_chronological",
        limit="2",
        fields="message",
    )
    assert [c["message"] for c in backfill["data"]] == ["after", "while away"]
    rest = (await http.get(backfill["paging"]["next"])).json()
    assert [c["message"] for c in rest["data"]] == ["before"]

    await fb.drop_streams(mid_event=True)
    fb.push_comment("D", "4", "cut in half")
    async with asyncio.timeout(5):
        await second.ended.wait()
    assert isinstance(second.error, httpx.TransportError)
    assert second.events.empty()  # half an event is no event
    assert fb.stream_connections[-1].delivered[-1]["message"] == "after"


async def test_comment_rate_caps_what_each_connection_gets(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    video = fb.go_live()
    token = fb.issue_page_token().value
    url = f"{fb.streaming_url}/{video.id}/live_comments"
    readers = {}
    for rate in ("one_per_two_seconds", "ten_per_second", "one_hundred_per_second"):
        readers[rate] = await open_sse(
            http, url, access_token=token, comment_rate=rate, fields="message"
        )
        streams.append(readers[rate])
    assert len(await fb.wait_for_streams(3, "live_comments")) == 3
    for i in range(15):
        fb.push_comment("Fan", "7", f"m{i}")

    async def messages(rate: str, count: int) -> list[str]:
        return [(await readers[rate].next_json())["message"] for _ in range(count)]

    assert await messages("one_hundred_per_second", 15) == [f"m{i}" for i in range(15)]
    assert await messages("ten_per_second", 10) == [f"m{i}" for i in range(10)]
    assert await messages("one_per_two_seconds", 1) == ["m0"]
    dropped = {c.comment_rate: len(c.dropped) for c in fb.stream_connections}
    assert dropped == {"one_per_two_seconds": 14, "ten_per_second": 5, "one_hundred_per_second": 0}

    await asyncio.sleep(1.05)  # a new second for ten_per_second; one_per_two_seconds still full
    fb.push_comment("Fan", "7", "later")
    assert await messages("ten_per_second", 1) == ["later"]
    assert await messages("one_hundred_per_second", 1) == ["later"]
    assert readers["one_per_two_seconds"].events.empty()
    assert dropped["one_per_two_seconds"] + 1 == len(fb.stream_connections[0].dropped)


async def test_graph_error_objects(fb: FakeFacebook, http: httpx.AsyncClient) -> None:
    token = fb.issue_page_token().value
    cases = [
        (190, 463, 400),
        (190, 460, 400),
        (10, None, 400),
        (200, None, 400),
        (4, None, 400),
        (17, None, 400),
        (32, None, 400),
        (2, None, 503),
        (1, None, 500),
    ]
    for code, subcode, http_status in cases:
        fb.fail_next("/me", code, subcode, http_status)
        response = await http.get(f"{fb.graph_url}/me", params={"access_token": token})
        assert response.status_code == http_status
        error = response.json()["error"]
        assert (error["code"], error.get("error_subcode")) == (code, subcode)
        assert error["type"] == "OAuthException" and error["message"] and error["fbtrace_id"]
        assert error["is_transient"] == (code in (1, 2, 4, 17, 32))
        if code in (4, 17):
            assert json.loads(response.headers["X-App-Usage"])["call_count"] == 100
        if code == 32:
            usage = json.loads(response.headers["X-Business-Use-Case-Usage"])
            assert usage[PAGE_ID][0]["estimated_time_to_regain_access"] == 1
        assert (await graph(http, fb, "/me", access_token=token))[0] == 200  # once only

    video = fb.go_live()
    fb.fail_next(f"/{video.id}/live_comments", 190, 460)
    sse = await open_sse(http, f"{fb.streaming_url}/{video.id}/live_comments", access_token=token)
    assert sse.status == 400 and json.loads(sse.body)["error"]["error_subcode"] == 460

    status, body = await graph(http, fb, "/me")
    assert (status, body["error"]["code"]) == (400, 104)
    status, body = await graph(http, fb, "/me", access_token="EAAmadeup")
    assert (body["error"]["code"], body["error"].get("error_subcode")) == (190, None)
    fb.revoke_app()
    status, body = await graph(http, fb, "/me", access_token=token)
    assert (body["error"]["code"], body["error"]["error_subcode"]) == (190, 458)


async def test_commenting_as_the_page(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    video = fb.go_live()
    token = fb.issue_page_token().value
    sse = await open_sse(
        http,
        f"{fb.streaming_url}/{video.id}/live_comments",
        access_token=token,
        fields=COMMENT_FIELDS,
    )
    streams.append(sse)
    status, body = await graph(
        http, fb, f"/{video.id}/comments", "POST", access_token=token, message="Thanks for coming!"
    )
    assert status == 200 and set(body) == {"id"}
    assert fb.posted == [
        {
            "id": body["id"],
            "live_video_id": video.id,
            "page_id": PAGE_ID,
            "message": "Thanks for coming!",
        }
    ]
    event = await sse.next_json()
    assert event["from"] == {"name": PAGE_NAME, "id": PAGE_ID} and event["id"] == body["id"]

    user = fb.issue_user_token().value
    status, body = await graph(
        http, fb, f"/{video.id}/comments", "POST", access_token=user, message="hi"
    )
    assert body["error"]["code"] == 190
    status, body = await graph(
        http, fb, f"/{video.id}/comments", "POST", access_token=token, message="  "
    )
    assert body["error"]["message"] == "(#100) Missing message or attachment"
    fb.revoke_permission(WRITE_PERMISSION)
    status, body = await graph(
        http, fb, f"/{video.id}/comments", "POST", access_token=token, message="hi"
    )
    assert body["error"]["code"] == 200 and WRITE_PERMISSION in body["error"]["message"]
    assert len(fb.posted) == 1


async def test_hidden_and_deleted_comments_are_not_reported_on_the_stream(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    video = fb.go_live()
    token = fb.issue_page_token().value
    sse = await open_sse(
        http, f"{fb.streaming_url}/{video.id}/live_comments", access_token=token, fields="message"
    )
    streams.append(sse)
    hidden = fb.push_comment("Troll", "8", "spam")
    deleted = fb.push_comment("Troll", "8", "more spam")
    assert [(await sse.next_json())["message"] for _ in range(2)] == ["spam", "more spam"]
    fb.hide_comment(hidden.id)
    fb.delete_comment(deleted.id)
    fb.push_comment("Fan", "9", "gg")
    assert await sse.next_json() == {"message": "gg"}  # the stream said nothing in between

    _, listed = await graph(
        http, fb, f"/{video.id}/comments", access_token=token, fields="id,message,is_hidden"
    )
    assert [(c["message"], c["is_hidden"]) for c in listed["data"]] == [
        ("spam", True),
        ("gg", False),
    ]
    status, body = await graph(http, fb, f"/{deleted.id}", access_token=token)
    assert (status, body["error"]["code"], body["error"]["error_subcode"]) == (400, 100, 33)


async def test_a_connection_ends_cleanly_when_its_lifetime_is_over(
    fb: FakeFacebook, http: httpx.AsyncClient, streams: list[SSE]
) -> None:
    fb.stream_lifetime_s = 0.5  # Facebook's is four hours
    video = fb.go_live()
    sse = await open_sse(
        http,
        f"{fb.streaming_url}/{video.id}/live_comments",
        access_token=fb.issue_page_token().value,
        fields="message",
    )
    streams.append(sse)
    sent = 0
    async with asyncio.timeout(5):  # busy streams end too: traffic does not extend the lifetime
        while not sse.ended.is_set():
            fb.push_comment("Fan", "7", f"m{sent}")
            sent += 1
            await asyncio.sleep(0.1)
    assert sse.error is None and not fb.open_streams()
    assert 0 < sse.events.qsize() <= sent
