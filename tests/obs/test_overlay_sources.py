"""The app's overlays as OBS browser sources, against the fake OBS (Debian's real OBS has no
browser source): finding them in every scene whatever port, token or local host name they use,
adding one named and sized after its widget, saying where a widget is, and repairing stale URLs
after a token or port change — on OBS 30 and on OBS 28's names-only answers — while another
program's sources stay exactly as they were."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from streampai_desktop.obs.client import ObsClient
from streampai_desktop.obs.overlay_sources import (
    NoBrowserSource,
    add_widget_source,
    find_sources,
    parse_overlay_url,
    repair_sources,
    where_is,
)
from tests.fakes.obs import FakeObs

OLD_TOKEN = "old-token-AAAA"
NEW_TOKEN = "new-token-BBBB"
OTHER_APP = "http://127.0.0.1:8911/widgets/alerts?token=x"  # e.g. another bot's overlay
WEB_PAGE = "https://streamelements.com/overlay/abc123/xyz"


def url(port: int, widget: str, token: str, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/overlay/{widget}?token={token}"


@dataclass
class Widget:
    id: str
    name: str


@pytest.fixture(params=["5.5.2", "5.1.0"], ids=["obs30", "obs28-names-only"])
async def obs(request: pytest.FixtureRequest, free_port: int) -> AsyncIterator[FakeObs]:
    version = "30.2.3" if request.param == "5.5.2" else "28.1.2"
    async with FakeObs(free_port, obs_version=version, websocket_version=request.param) as fake:
        await fake.add_scene("Gaming")
        await fake.add_scene("BRB")
        yield fake


@pytest.fixture
async def client(obs: FakeObs) -> AsyncIterator[ObsClient]:
    async with ObsClient(obs.url) as connected:
        yield connected


def test_recognises_our_overlay_urls_and_nothing_else() -> None:
    link = parse_overlay_url("http://localhost:7471/overlay/chat_box-2/?token=abc&x=1")
    assert link is not None
    assert (link.widget_id, link.host, link.port, link.token) == (
        "chat_box-2",
        "localhost",
        7471,
        "abc",
    )
    for other in (
        OTHER_APP,
        WEB_PAGE,
        "https://127.0.0.1:7470/overlay/alert_box?token=a",  # we serve http only
        "http://192.168.1.5:7470/overlay/alert_box?token=a",  # another computer's app
        "http://127.0.0.1:7470/overlay/?token=a",
        "http://127.0.0.1:7470/overlay/alert_box/extra?token=a",
        "file:///C:/overlays/alert.html",
        "not a url at all",
        "http://127.0.0.1:99999/overlay/alert_box",
    ):
        assert parse_overlay_url(other) is None, other


async def test_finds_our_sources_in_every_scene_and_says_where(
    obs: FakeObs, client: ObsClient
) -> None:
    await obs.add_browser_source("Scene", "Alerts", url(7470, "alert_box", OLD_TOKEN))
    await obs.add_scene_item("Gaming", "Alerts")
    await obs.add_browser_source("BRB", "Chat", url(7000, "chat_box", "t", host="localhost"))
    await obs.add_browser_source("Gaming", "Other bot", OTHER_APP)
    await obs.add_browser_source("Gaming", "Web", WEB_PAGE)
    await obs.add_input("Gaming", "Backdrop", "color_source_v3", {"color": 1})

    found = {s.input_name: s for s in await find_sources(client, {"alert_box", "chat_box"})}

    assert set(found) == {"Alerts", "Chat"}
    assert found["Alerts"].widget_id == "alert_box"
    assert found["Alerts"].scenes == ("Scene", "Gaming")
    assert found["Chat"].scenes == ("BRB",)
    assert await where_is(client, "alert_box") == ["Scene", "Gaming"]
    assert await where_is(client, "chat_box") == ["BRB"]
    assert await where_is(client, "chat_box-2") == []
    # A deleted widget's source is not ours to touch any more.
    assert [s.input_name for s in await find_sources(client, {"chat_box"})] == ["Chat"]


async def test_adds_a_browser_source_named_and_sized_after_the_widget(
    obs: FakeObs, client: ObsClient
) -> None:
    await obs.switch_scene("Gaming")
    overlay = url(7470, "chat_box", OLD_TOKEN)

    added = await add_widget_source(client, Widget("chat_box", "Chat Box"), overlay, (400, 600))

    assert (added.input_name, added.scene, added.created) == ("Chat Box", "Gaming", True)
    source = obs.input("Chat Box")
    assert source.kind == "browser_source"
    assert source.settings == {
        "url": overlay,
        "width": 400,
        "height": 600,
        "shutdown": False,
        "restart_when_active": False,
    }
    assert [i.source_name for i in obs.scene("Gaming").items] == ["Chat Box"]
    assert await where_is(client, "chat_box") == ["Gaming"]

    # Asked again for the same scene: nothing new; for another scene, a second source whose
    # name does not clash.
    again = await add_widget_source(client, Widget("chat_box", "Chat Box"), overlay, (400, 600))
    assert (again.input_name, again.created) == ("Chat Box", False)
    other = await add_widget_source(
        client, Widget("chat_box", "Chat Box"), overlay, (400, 600), scene="BRB"
    )
    assert (other.input_name, other.scene, other.created) == ("Chat Box 2", "BRB", True)
    assert await where_is(client, "chat_box") == ["Gaming", "BRB"]


async def test_an_obs_without_browser_source_says_what_to_install(free_port: int) -> None:
    async with FakeObs(free_port, browser_source=False) as obs, ObsClient(obs.url) as client:
        with pytest.raises(NoBrowserSource, match=r"obsproject\.com"):
            await add_widget_source(
                client, Widget("alert_box", "Alert Box"), url(7470, "alert_box", "t"), (800, 600)
            )
        assert obs.scene("Scene").items == []


async def test_repair_updates_stale_urls_across_scenes_and_leaves_the_rest(
    obs: FakeObs, client: ObsClient
) -> None:
    await obs.add_browser_source("Scene", "Alerts", url(7470, "alert_box", OLD_TOKEN))
    await obs.add_scene_item("BRB", "Alerts")
    await obs.add_browser_source(
        "Gaming", "Chat", url(7470, "chat_box", OLD_TOKEN, host="localhost"), 400, 600, css="x"
    )
    await obs.add_browser_source("Gaming", "Chat right", url(7471, "chat_box", NEW_TOKEN))
    await obs.add_browser_source("Gaming", "Other bot", OTHER_APP)
    await obs.add_browser_source("BRB", "Gone widget", url(7470, "chat_box-9", OLD_TOKEN))
    current = {
        "alert_box": url(7471, "alert_box", NEW_TOKEN),
        "chat_box": url(7471, "chat_box", NEW_TOKEN),
    }

    repairs = {r.input_name: r for r in await repair_sources(client, current)}

    assert set(repairs) == {"Alerts", "Chat"}
    assert all(r.ok for r in repairs.values())
    assert obs.input("Alerts").settings["url"] == current["alert_box"]
    assert obs.input("Chat").settings["url"] == current["chat_box"]
    # Only the URL changed: size and custom CSS stay.
    assert obs.input("Chat").settings["css"] == "x"
    assert obs.input("Chat").settings["width"] == 400
    assert obs.input("Other bot").settings["url"] == OTHER_APP
    assert obs.input("Gone widget").settings["url"] == url(7470, "chat_box-9", OLD_TOKEN)
    described = repairs["Alerts"].describe()
    assert described == "“Alerts” (scenes Scene, BRB): port 7470 → 7471, new token"
    # localhost becomes 127.0.0.1: the server listens on IPv4 only, and localhost may be ::1.
    assert repairs["Chat"].describe() == (
        "“Chat” (scene Gaming): port 7470 → 7471, localhost → 127.0.0.1, new token"
    )
    assert OLD_TOKEN not in repr(repairs["Chat"]) and NEW_TOKEN not in described
    # Run again: everything is right, nothing is sent.
    before = len(obs.requests_of("SetInputSettings"))
    assert await repair_sources(client, current) == []
    assert len(obs.requests_of("SetInputSettings")) == before


async def test_repair_reports_a_source_obs_refused(obs: FakeObs, client: ObsClient) -> None:
    await obs.add_browser_source("Scene", "Alerts", url(7470, "alert_box", OLD_TOKEN))
    obs.fail_next("SetInputSettings", 600, "No source was found by the name of `Alerts`.")

    [repair] = await repair_sources(client, {"alert_box": url(7470, "alert_box", NEW_TOKEN)})

    assert not repair.ok
    assert "not updated" in repair.describe() and "No source was found" in repair.describe()
    assert obs.input("Alerts").settings["url"] == url(7470, "alert_box", OLD_TOKEN)
