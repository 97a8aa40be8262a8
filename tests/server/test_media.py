"""Alert media and chat emotes are served under the overlay token, from this computer only."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from streampai_desktop.server.emotes import EmoteCache
from streampai_desktop.widgets.media import MediaError, import_media

from .conftest import RunningServer

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def test_builtin_media_needs_the_token(running: RunningServer) -> None:
    url = f"{running.base}/overlay/media/builtin/chime.wav"
    async with running.http.get(url) as resp:
        assert resp.status == 401
    async with running.http.get(f"{url}?token={running.tokens.overlay}") as resp:
        assert resp.status == 200 and resp.content_type == "audio/wav"
        assert (await resp.read())[:4] == b"RIFF"
    async with running.http.get(
        f"{running.base}/overlay/media/builtin/follow.svg?token={running.tokens.overlay}"
    ) as resp:
        assert resp.status == 200 and resp.content_type == "image/svg+xml"


async def test_picked_files_are_copied_and_served(running: RunningServer, tmp_path: Path) -> None:
    picked = tmp_path / "My Alert.PNG"
    picked.write_bytes(PNG)
    ref = import_media(running.server.ctx.data_dir, picked, ("image", "video"))
    assert ref.startswith("user/") and ref.endswith(".png")
    picked.unlink()  # the original can go: the app kept its own copy
    async with running.http.get(
        f"{running.base}/overlay/media/{ref}?token={running.tokens.overlay}"
    ) as resp:
        assert resp.status == 200 and await resp.read() == PNG


@pytest.mark.parametrize(
    ("name", "content", "kinds", "message"),
    [
        ("a.exe", b"MZ", ("image",), "use one of these file types"),
        ("a.png", b"GIF89a", ("image",), "is not really a .png file"),
        ("a.wav", b"RIFF", ("image",), "use one of these file types"),
        ("a.svg", b"<svg onload=alert(1)>", ("image",), "use one of these file types"),
    ],
)
def test_unusable_files_are_refused(
    tmp_path: Path, name: str, content: bytes, kinds, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(MediaError, match=message):
        import_media(tmp_path / "data", source, kinds)


@pytest.mark.parametrize(
    "path",
    [
        "/overlay/media/user/..%2F..%2Fsecrets.json",
        "/overlay/media/builtin/..%2F__init__.py",
        "/overlay/media/user/" + "0" * 64 + ".png",
        "/overlay/media/other/chime.wav",
    ],
)
async def test_media_paths_cannot_escape(running: RunningServer, path: str) -> None:
    async with running.http.get(f"{running.base}{path}?token={running.tokens.overlay}") as resp:
        assert resp.status == 404


async def test_emotes_are_fetched_once_and_then_served_offline(
    running: RunningServer, tmp_path: Path, aiohttp_server
) -> None:
    requests: list[str] = []

    async def cdn(request: web.Request) -> web.Response:
        requests.append(request.match_info["id"])
        if request.match_info["id"] == "missing":
            return web.Response(status=404)
        return web.Response(body=PNG, content_type="image/png")

    fake_cdn = web.Application()
    fake_cdn.router.add_get("/emoticons/{id}/2.0", cdn)
    server = await aiohttp_server(fake_cdn, host="127.0.0.1")
    cache = EmoteCache(
        tmp_path / "emotes", {"twitch": f"http://127.0.0.1:{server.port}/emoticons/{{id}}/2.0"}
    )
    running.server.ctx.emotes = cache
    url = f"{running.base}/overlay/emotes/twitch/25?token={running.tokens.overlay}"
    try:
        async with running.http.get(url) as resp:
            assert resp.status == 200 and await resp.read() == PNG
        await server.close()  # the CDN goes away; the cached copy still serves
        async with running.http.get(url) as resp:
            assert resp.status == 200 and await resp.read() == PNG
        assert requests == ["25"]
        for bad in ("twitch/..%2Fx", "twitch/a%20b", "myspace/25"):
            async with running.http.get(
                f"{running.base}/overlay/emotes/{bad}?token={running.tokens.overlay}"
            ) as resp:
                assert resp.status == 404
        async with running.http.get(url.replace("/25?", "/25x?")) as resp:
            assert resp.status == 404, "CDN down and not cached"
    finally:
        await cache.close()
