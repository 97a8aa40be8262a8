"""The app's overlays as OBS browser sources: find them, add one, say where one is, and fix their
URLs after the overlay token or port changed. Qt-free.

A browser source "points at this app" when its URL is ``http://127.0.0.1:PORT/overlay/WIDGET``
or the same on ``localhost`` (any port, any token: those are what changes), and ``WIDGET`` is one
of the widget ids we know. Anything else (another app's page, a local file, a web page) is never
touched.

Everything here works with names only (OBS 28 answers no UUIDs) and needs a ``requester``: what
has ``async request(type, data)`` and ``async batch(requests)`` — an
:class:`~streampai_desktop.obs.client.ObsClient`, an
:class:`~streampai_desktop.obs.connection.ObsConnection` or the app's OBS service.

Overlay URLs hold the overlay token: they are never logged; :meth:`UrlRepair.describe` says what
changed without them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from streampai_desktop.obs.client import RequestResult
from streampai_desktop.obs.errors import ObsError, ObsRequestFailed

log = logging.getLogger(__name__)

BROWSER_SOURCE = "browser_source"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
_INVALID_INPUT_KIND = 605
_ALREADY_EXISTS = 601


class Requester(Protocol):
    async def request(
        self, request_type: str, data: dict[str, Any] | None = None
    ) -> dict[str, Any]: ...

    async def batch(
        self, requests: list[tuple[str, dict[str, Any] | None]], *, halt_on_failure: bool = False
    ) -> list[RequestResult]: ...


class NamedWidget(Protocol):
    """What :func:`add_widget_source` needs of a widget instance."""

    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


class NoBrowserSource(ObsError):
    """This OBS has no browser source (Debian's and some other Linux builds leave it out)."""

    title = "OBS has no Browser source"


@dataclass(frozen=True)
class OverlayLink:
    """What an overlay URL says: which widget, on which host and port, with which token."""

    widget_id: str
    host: str
    port: int
    token: str


@dataclass(frozen=True)
class OverlaySource:
    """A browser source in OBS that shows one of our overlays."""

    input_name: str
    widget_id: str
    url: str
    scenes: tuple[str, ...]  # the scenes it is an item of, in OBS's list order (may be none)

    def __repr__(self) -> str:  # no URL: it holds the overlay token
        return f"<OverlaySource {self.input_name!r} {self.widget_id} in {list(self.scenes)}>"


@dataclass(frozen=True)
class AddedSource:
    input_name: str
    scene: str
    created: bool  # False: the widget was already in that scene, nothing was added


@dataclass(frozen=True)
class UrlRepair:
    """One browser source whose URL was (or would be) updated."""

    input_name: str
    widget_id: str
    scenes: tuple[str, ...]
    old_url: str
    new_url: str
    ok: bool = True
    error: str = ""

    def __repr__(self) -> str:  # no URLs: they hold tokens
        return f"<UrlRepair {self.input_name!r} {self.widget_id} ok={self.ok}>"

    def describe(self) -> str:
        """“Alert Box” (scenes Live, BRB): port 7470 → 7471, new token — never the tokens."""
        where = f" (scene{'s' if len(self.scenes) > 1 else ''} {', '.join(self.scenes)})"
        old, new = parse_overlay_url(self.old_url), parse_overlay_url(self.new_url)
        changes = []
        if old is not None and new is not None:
            if old.port != new.port:
                changes.append(f"port {old.port} → {new.port}")
            if old.host != new.host:
                changes.append(f"{old.host} → {new.host}")
            if old.token != new.token:
                changes.append("new token")
        what = ", ".join(changes) or "URL updated"
        line = f"“{self.input_name}”{where if self.scenes else ''}: {what}"
        return line if self.ok else f"{line} — not updated: {self.error}"


def parse_overlay_url(url: str) -> OverlayLink | None:
    """The widget, host, port and token of one of our overlay URLs, or None for any other URL.

    Accepts what a streamer may have pasted: ``localhost`` for ``127.0.0.1``, no port written
    (80), a trailing slash, extra query parameters.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        port = parts.port or 80
    except ValueError:
        return None
    if parts.scheme.lower() != "http" or host not in LOCAL_HOSTS:
        return None
    segments = parts.path.rstrip("/").split("/")
    if len(segments) != 3 or segments[:2] != ["", "overlay"] or not segments[2]:
        return None
    token = parse_qs(parts.query).get("token", [""])[0]
    return OverlayLink(unquote(segments[2]), host, port, token)


async def find_sources(
    requester: Requester, widget_ids: Collection[str] | None = None
) -> list[OverlaySource]:
    """Every browser source whose URL points at this app, with the scenes it is in.

    ``widget_ids``: the widget instances that exist; a source of another id (a deleted widget,
    another program's ``/overlay/…`` page) is left out. None takes every id.
    """
    listed = await requester.request("GetInputList", {"inputKind": BROWSER_SOURCE})
    names = [str(i["inputName"]) for i in listed.get("inputs", []) if "inputName" in i]
    if not names:
        return []
    settings = await requester.batch([("GetInputSettings", {"inputName": name}) for name in names])
    ours: dict[str, tuple[str, str]] = {}  # input name → (widget id, url)
    for name, result in zip(names, settings, strict=False):
        if not result.ok:  # removed between the two requests
            continue
        values = result.data.get("inputSettings", {})
        url = values.get("url")
        if values.get("is_local_file") or not isinstance(url, str):
            continue
        link = parse_overlay_url(url)
        if link is not None and (widget_ids is None or link.widget_id in widget_ids):
            ours[name] = (link.widget_id, url)
    if not ours:
        return []
    scenes_of = await _scenes_by_source(requester)
    return [
        OverlaySource(name, widget_id, url, tuple(scenes_of.get(name, ())))
        for name, (widget_id, url) in ours.items()
    ]


async def _scene_names(requester: Requester) -> list[str]:
    """The scenes, top of OBS's Scenes list first (GetSceneList lists the bottom one first)."""
    listed = await requester.request("GetSceneList")
    scenes = sorted(
        listed.get("scenes", []), key=lambda s: int(s.get("sceneIndex", 0)), reverse=True
    )
    return [str(s["sceneName"]) for s in scenes if "sceneName" in s]


async def _scenes_by_source(requester: Requester) -> dict[str, list[str]]:
    scenes = await _scene_names(requester)
    results = await requester.batch(
        [("GetSceneItemList", {"sceneName": scene}) for scene in scenes]
    )
    found: dict[str, list[str]] = {}
    for scene, result in zip(scenes, results, strict=False):
        for item in result.data.get("sceneItems", []) if result.ok else []:
            source = item.get("sourceName")
            if isinstance(source, str) and scene not in found.setdefault(source, []):
                found[source].append(scene)
    return found


async def where_is(requester: Requester, widget_id: str) -> list[str]:
    """The scenes showing ``widget_id``'s overlay (any of its browser sources), in OBS's order."""
    sources = await find_sources(requester, {widget_id})
    order = await _scene_names(requester) if sources else []
    scenes = {scene for source in sources for scene in source.scenes}
    return [scene for scene in order if scene in scenes]


async def current_scene(requester: Requester) -> str:
    answer = await requester.request("GetCurrentProgramScene")
    # obs-websocket 5.0-5.3 (OBS 28, 29) name it only currentProgramSceneName.
    return str(answer.get("sceneName") or answer.get("currentProgramSceneName") or "")


async def add_widget_source(
    requester: Requester,
    widget: NamedWidget,
    url: str,
    size: tuple[int, int],
    scene: str | None = None,
) -> AddedSource:
    """A browser source for ``widget`` in ``scene`` (the current one when None), showing ``url``
    at ``size``, named after the widget; its page keeps running when hidden and is not reloaded
    when the scene becomes active, so alerts queued meanwhile are not lost.

    When the widget is already in that scene nothing is added. :class:`NoBrowserSource` when OBS
    lacks the browser source; other refusals are :class:`ObsRequestFailed`.
    """
    target = scene or await current_scene(requester)
    for source in await find_sources(requester, {widget.id}):
        if target in source.scenes:
            return AddedSource(source.input_name, target, created=False)
    width, height = size
    settings = {
        "url": url,
        "width": int(width),
        "height": int(height),
        "shutdown": False,  # "Shutdown source when not visible"
        "restart_when_active": False,  # "Refresh browser when scene becomes active"
    }
    base = widget.name.strip() or widget.id
    for attempt in range(1, 100):
        name = base if attempt == 1 else f"{base} {attempt}"
        try:
            await requester.request(
                "CreateInput",
                {
                    "sceneName": target,
                    "inputName": name,
                    "inputKind": BROWSER_SOURCE,
                    "inputSettings": settings,
                    "sceneItemEnabled": True,
                },
            )
        except ObsRequestFailed as exc:
            if exc.code == _ALREADY_EXISTS:
                continue  # another source has that name: "Alert Box 2"
            if exc.code == _INVALID_INPUT_KIND:
                raise NoBrowserSource(
                    "This OBS has no Browser source, so the overlay cannot be added. Install "
                    "OBS from obsproject.com (or the Flatpak), which includes it; Debian's and "
                    "Ubuntu's own obs-studio packages leave it out."
                ) from exc
            raise
        log.info("added the %s overlay to OBS as %r in scene %r", widget.id, name, target)
        return AddedSource(name, target, created=True)
    raise ObsError(f"Could not find a free source name for “{base}” in OBS.")


def stale_sources(sources: list[OverlaySource], current_urls: Mapping[str, str]) -> list[UrlRepair]:
    """The sources whose URL is not the widget's current one (what :func:`repair_sources`
    changes), for asking the streamer before changing anything."""
    return [
        UrlRepair(s.input_name, s.widget_id, s.scenes, s.url, current_urls[s.widget_id])
        for s in sources
        if s.widget_id in current_urls and s.url != current_urls[s.widget_id]
    ]


async def repair_sources(requester: Requester, current_urls: Mapping[str, str]) -> list[UrlRepair]:
    """Point every browser source showing one of our overlays at its widget's current URL
    (``current_urls``: widget id → URL); what changed, each with ``ok`` and the reason when OBS
    refused one. Sources already right, and those of unknown widgets, are left alone."""
    stale = stale_sources(await find_sources(requester, current_urls.keys()), current_urls)
    if not stale:
        return []
    results = await requester.batch(
        [
            ("SetInputSettings", {"inputName": r.input_name, "inputSettings": {"url": r.new_url}})
            for r in stale
        ]
    )
    done: list[UrlRepair] = []
    for repair, result in zip(stale, results, strict=False):
        if result.ok:
            done.append(repair)
        else:
            reason = str(ObsRequestFailed(result.request_type, result.code, result.comment))
            done.append(
                UrlRepair(
                    repair.input_name,
                    repair.widget_id,
                    repair.scenes,
                    repair.old_url,
                    repair.new_url,
                    ok=False,
                    error=reason,
                )
            )
    log.info(
        "updated the overlay URL of %d OBS source(s)%s",
        sum(r.ok for r in done),
        f", {sum(not r.ok for r in done)} refused" if not all(r.ok for r in done) else "",
    )
    return done
