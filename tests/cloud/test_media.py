"""Media for alerts: uploaded once under their SHA-256, fetched by the account's other computers,
stored once however many accounts upload them, never shown to another account, refused with a
message a streamer understands when a plan's limits say no."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import io
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from multidict import CIMultiDict
from sqlalchemy import update

from streampai_cloud.api_media import SERVE_HEADERS
from streampai_cloud.config import MB, CloudConfig, ConfigError
from streampai_cloud.db import accounts, create_engine
from tests.cloud.conftest import Api, MakeApi, Session
from tests.conftest import find_free_port

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Small plan limits, so that limit tests move a few MB instead of hundreds.
SMALL_PLANS = {
    "media_free_max_file_bytes": 1 * MB,
    "media_free_quota_bytes": 2 * MB,
    "media_pro_max_file_bytes": 3 * MB,
    "media_pro_quota_bytes": 8 * MB,
}


def media_bytes(size: int) -> bytes:
    """A file no other test uploads: random bytes after a PNG signature."""
    return (PNG_SIGNATURE + os.urandom(size))[:size]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclasses.dataclass
class Answer:
    status: int
    headers: CIMultiDict[str]
    body: bytes

    @property
    def error(self) -> dict[str, Any]:
        return dict(json.loads(self.body)["error"])

    @property
    def json(self) -> Any:
        return json.loads(self.body)


async def request(
    api: Api,
    method: str,
    path: str,
    session: Session | None = None,
    *,
    data: Any = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    all_headers = dict(session.headers if session else {})
    all_headers.update(headers or {})
    async with api.client.request(method, path, data=data, headers=all_headers) as resp:
        return Answer(resp.status, CIMultiDict(resp.headers), await resp.read())


async def _in_pieces(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def upload(
    api: Api,
    session: Session | None,
    data: bytes,
    *,
    content_type: str = "image/png",
    sha256: str | None = None,
    chunked: bool = False,
) -> Answer:
    """PUT the file; `chunked` sends it without a Content-Length, as a stream of pieces."""
    return await request(
        api,
        "PUT",
        f"/v1/media/{sha256 or sha(data)}",
        session,
        # BytesIO: sent with a Content-Length, without aiohttp's warning about large bytes.
        data=_in_pieces(data) if chunked else io.BytesIO(data),
        headers={"Content-Type": content_type},
    )


def stored_files(root: Path) -> list[Path]:
    """Every file under the media folder, the staging folder included (a leftover shows)."""
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def set_plan(config: CloudConfig, session: Session, plan: str) -> None:
    """What `streampai-cloud set-plan` does."""
    engine = create_engine(config.database_url, 1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                update(accounts)
                .where(accounts.c.id == uuid.UUID(session.account["id"]))
                .values(plan=plan)
            )
    finally:
        await engine.dispose()


async def usage(api: Api, session: Session) -> dict[str, Any]:
    answer = await request(api, "GET", "/v1/media", session)
    assert answer.status == 200, answer.body
    return dict(answer.json)


async def raw_put(api: Api, head: bytes, body: bytes = b"") -> tuple[asyncio.StreamReader, Any]:
    """A PUT written by hand: headers (with whatever Content-Length they claim) and `body`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", api.client.server.port)
    writer.write(head + b"\r\nHost: 127.0.0.1\r\n\r\n" + body)
    await writer.drain()
    return reader, writer


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, Any]]:
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    body = await asyncio.wait_for(reader.readexactly(int(headers["content-length"])), 5)
    return int(lines[0].split()[1]), json.loads(body)


# --- the round trip -------------------------------------------------------------------------


async def test_a_file_comes_back_byte_for_byte_with_its_type(make_api: MakeApi) -> None:
    laptop_api, studio_api = await make_api(), await make_api()
    laptop = await laptop_api.register()
    studio = await studio_api.signin(laptop.account["email"])
    data = media_bytes(300_000)

    answer = await upload(laptop_api, laptop, data, content_type="audio/ogg")
    assert answer.status == 201, answer.body
    assert answer.json == {"sha256": sha(data), "size": len(data), "content_type": "audio/ogg"}

    # The other computer (another service process) asks first, then fetches.
    head = await request(studio_api, "HEAD", f"/v1/media/{sha(data)}", studio)
    got = await request(studio_api, "GET", f"/v1/media/{sha(data)}", studio)
    assert head.status == 200 and head.body == b""
    assert got.status == 200 and got.body == data
    for answer in (head, got):
        assert answer.headers["Content-Type"] == "audio/ogg"
        assert answer.headers["Content-Length"] == str(len(data))
        for name, value in SERVE_HEADERS.items():
            assert answer.headers[name] == value
    assert await usage(studio_api, studio) == {
        "plan": "free",
        "used_bytes": len(data),
        "quota_bytes": 500 * MB,
        "max_file_bytes": 25 * MB,
        "count": 1,
    }


async def test_five_megabytes_go_up_and_come_back(api: Api, media_root: Path) -> None:
    s = await api.register()
    data = media_bytes(5 * MB)
    started = time.perf_counter()
    answer = await upload(api, s, data, content_type="video/webm")
    uploaded = time.perf_counter()
    got = await request(api, "GET", f"/v1/media/{sha(data)}", s)
    downloaded = time.perf_counter()
    assert answer.status == 201, answer.body
    assert got.status == 200 and got.body == data
    assert stored_files(media_root) == [media_root / sha(data)[:2] / sha(data)]
    up, down = uploaded - started, downloaded - uploaded
    print(
        f"\n5 MiB media: upload {up * 1000:.0f} ms ({5 / up:.0f} MiB/s), "
        f"download {down * 1000:.0f} ms ({5 / down:.0f} MiB/s)"
    )


# --- one copy, several accounts ---------------------------------------------------------------


async def test_the_same_file_from_two_accounts_is_stored_once(api: Api, media_root: Path) -> None:
    one, two = await api.register(), await api.register()
    data = media_bytes(200_000)

    first = await upload(api, one, data)
    second = await upload(api, two, data, content_type="image/webp")
    assert (first.status, second.status) == (201, 201)
    assert stored_files(media_root) == [media_root / sha(data)[:2] / sha(data)]
    # Each account counts it and sees it with the type it uploaded it as.
    assert (await usage(api, one))["used_bytes"] == (await usage(api, two))["used_bytes"]
    got = await request(api, "GET", f"/v1/media/{sha(data)}", two)
    assert got.headers["Content-Type"] == "image/webp" and got.body == data

    # Uploading it again is no new file: 200 with what was stored, nothing counted twice.
    again = await upload(api, one, data, content_type="image/gif")
    assert again.status == 200
    assert again.json == {"sha256": sha(data), "size": len(data), "content_type": "image/png"}
    assert (await usage(api, one))["count"] == 1
    assert len(stored_files(media_root)) == 1


async def test_having_the_hash_is_not_enough_to_get_the_file(api: Api, media_root: Path) -> None:
    owner, other = await api.register(), await api.register()
    data = media_bytes(50_000)
    assert (await upload(api, owner, data)).status == 201

    # Another account that knows the hash but not the bytes gets nothing and is not let in.
    claim = await upload(api, other, media_bytes(50_000), sha256=sha(data))
    assert claim.status == 400 and claim.error["code"] == "hash_mismatch"
    never_uploaded = sha(b"no one has this")
    for method in ("GET", "HEAD"):
        theirs = await request(api, method, f"/v1/media/{sha(data)}", other)
        missing = await request(api, method, f"/v1/media/{never_uploaded}", other)
        # Indistinguishable from a file that does not exist.
        assert theirs.status == missing.status == 404
        assert theirs.body == missing.body
    assert (await request(api, "GET", f"/v1/media/{sha(data)}", other)).error == {
        "code": "not_found",
        "message": "This account has no media with that SHA-256.",
    }
    assert (await usage(api, other))["count"] == 0


@pytest.mark.allow_logs(r"media [0-9a-f]{64} has a row but is missing from local folder")
async def test_a_file_the_store_lost_comes_back_when_uploaded_again(
    api: Api, media_root: Path
) -> None:
    s = await api.register()
    data = media_bytes(20_000)
    assert (await upload(api, s, data)).status == 201
    (media_root / sha(data)[:2] / sha(data)).unlink()  # a disk restored from an old backup

    # 404 (not a 5xx), so the app that has the file uploads it again, which restores it.
    assert (await request(api, "HEAD", f"/v1/media/{sha(data)}", s)).status == 404
    assert (await upload(api, s, data)).status == 200
    assert (await request(api, "GET", f"/v1/media/{sha(data)}", s)).body == data


# --- what is refused, and that nothing is kept ----------------------------------------------


async def test_a_damaged_upload_is_refused_and_nothing_is_kept(api: Api, media_root: Path) -> None:
    s = await api.register()
    data = media_bytes(1_500_000)
    damaged = data[:-1] + bytes([data[-1] ^ 1])

    answer = await upload(api, s, damaged, sha256=sha(data))
    assert answer.status == 400
    assert answer.error["code"] == "hash_mismatch"
    assert "Nothing was stored" in answer.error["message"]
    assert stored_files(media_root) == []
    assert (await request(api, "GET", f"/v1/media/{sha(data)}", s)).status == 404
    assert (await usage(api, s))["count"] == 0


async def test_a_file_over_the_plans_limit_is_refused_in_words(
    make_api: MakeApi, media_root: Path
) -> None:
    api = await make_api(**SMALL_PLANS)
    s = await api.register()
    too_big = media_bytes(int(1.5 * MB))

    for chunked in (False, True):
        answer = await upload(api, s, too_big, chunked=chunked)
        assert answer.status == 413 and answer.error["code"] == "media_too_large"
        assert (
            answer.error["message"]
            == (
                "This file is 1.5 MB; the free plan takes files up to 1 MB. "
                if not chunked  # with a Content-Length the size is known before reading
                else "This file is larger than 1 MB; the free plan takes files up to 1 MB. "
            )
            + "The pro plan takes files up to 3 MB."
        )
        assert answer.error["max_file_bytes"] == 1 * MB and answer.error["plan"] == "free"
    assert stored_files(media_root) == []

    exactly = media_bytes(1 * MB)
    assert (await upload(api, s, exactly, chunked=True)).status == 201


async def test_an_announced_size_is_refused_before_the_body_is_sent(api: Api) -> None:
    """The service answers from the Content-Length alone: the app need not push 31 MB first."""
    s = await api.register()
    size = 32_715_571  # 31.2 MB
    head = (
        f"PUT /v1/media/{sha(b'x')} HTTP/1.1\r\nAuthorization: {s.headers['Authorization']}"
        f"\r\nContent-Type: video/mp4\r\nContent-Length: {size}"
    ).encode()
    reader, writer = await raw_put(api, head)  # no body byte is ever sent
    try:
        status, body = await read_answer(reader)
    finally:
        writer.close()
    assert status == 413
    assert body["error"] == {
        "code": "media_too_large",
        "message": "This file is 31.2 MB; the free plan takes files up to 25 MB. "
        "The pro plan takes files up to 100 MB.",
        "plan": "free",
        "max_file_bytes": 25 * MB,
        "size": size,
    }


async def test_the_accounts_storage_is_limited_by_its_plan(
    make_api: MakeApi, media_root: Path
) -> None:
    api = await make_api(**SMALL_PLANS)
    s = await api.register()
    first, second = media_bytes(int(0.9 * MB)), media_bytes(int(0.9 * MB))
    assert (await upload(api, s, first)).status == 201
    assert (await upload(api, s, second)).status == 201

    third = media_bytes(512 * 1024)
    for chunked in (False, True):  # refused from the Content-Length, and after streaming
        answer = await upload(api, s, third, chunked=chunked)
        assert answer.status == 413 and answer.error["code"] == "media_quota_exceeded"
        assert answer.error["message"] == (
            "This file is 512 KB and does not fit: your account uses 1.8 MB of 2 MB on the "
            "free plan. The pro plan stores up to 8 MB."
        )
        assert answer.error["used_bytes"] == 2 * int(0.9 * MB)
    assert len(stored_files(media_root)) == 2

    # A file the account already has is no new storage: still fine when full.
    assert (await upload(api, s, first)).status == 200
    assert await usage(api, s) == {
        "plan": "free",
        "used_bytes": 2 * int(0.9 * MB),
        "quota_bytes": 2 * MB,
        "max_file_bytes": 1 * MB,
        "count": 2,
    }


async def test_the_pro_plan_takes_larger_files_and_more_of_them(
    make_api: MakeApi, cloud_config: CloudConfig
) -> None:
    api = await make_api(**SMALL_PLANS)
    s = await api.register()
    video = media_bytes(int(2.5 * MB))
    assert (await upload(api, s, video)).status == 413

    await set_plan(cloud_config, s, "pro")
    assert (await upload(api, s, video, content_type="video/mp4")).status == 201
    assert (await upload(api, s, media_bytes(int(2.5 * MB)))).status == 201
    assert await usage(api, s) == {
        "plan": "pro",
        "used_bytes": 2 * int(2.5 * MB),
        "quota_bytes": 8 * MB,
        "max_file_bytes": 3 * MB,
        "count": 2,
    }


async def test_two_service_processes_cannot_together_overfill_an_account(
    make_api: MakeApi,
) -> None:
    """Each upload fits alone, not both: whichever process records second refuses its file."""
    one = await make_api(**SMALL_PLANS)
    two = await make_api(**SMALL_PLANS)
    s = await one.register()
    files = [media_bytes(int(0.9 * MB)) for _ in range(2)]
    assert (await upload(one, s, media_bytes(int(0.9 * MB)))).status == 201

    answers = await asyncio.gather(upload(one, s, files[0]), upload(two, s, files[1], chunked=True))
    assert sorted(a.status for a in answers) == [201, 413]
    refused = next(a for a in answers if a.status == 413)
    assert refused.error["code"] == "media_quota_exceeded"
    assert (await usage(one, s))["count"] == 2


async def test_only_alert_media_types_are_taken(api: Api, media_root: Path) -> None:
    s = await api.register()
    data = media_bytes(10_000)
    for content_type in ("text/html", "image/svg+xml", "application/octet-stream"):
        answer = await upload(api, s, data, content_type=content_type)
        assert answer.status == 415, content_type
        assert answer.error["code"] == "unsupported_media_type"
        assert "image/png" in answer.error["accepted"]
    # No Content-Type at all.
    raw = await request(api, "PUT", f"/v1/media/{sha(data)}", s, data=data)
    assert raw.status == 415
    assert stored_files(media_root) == []


async def test_media_need_a_signed_in_device(api: Api) -> None:
    s = await api.register()
    data = media_bytes(1000)
    assert (await upload(api, s, data)).status == 201
    for method, path in (
        ("PUT", f"/v1/media/{sha(data)}"),
        ("GET", f"/v1/media/{sha(data)}"),
        ("HEAD", f"/v1/media/{sha(data)}"),
        ("GET", "/v1/media"),
    ):
        answer = await request(
            api, method, path, data=data if method == "PUT" else None, headers={}
        )
        assert answer.status == 401, (method, path)
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        if method != "HEAD":
            assert answer.error["code"] == "unauthenticated"


async def test_a_malformed_hash_in_the_path_is_a_client_error(api: Api) -> None:
    s = await api.register()
    good = sha(b"x")
    for name in (good.upper(), good[:-1], good + "0", "g" * 64, "..%2F..%2Fetc%2Fpasswd", "%00"):
        for method in ("PUT", "GET", "HEAD"):
            answer = await request(
                api,
                method,
                f"/v1/media/{name}",
                s,
                data=b"x" if method == "PUT" else None,
                headers={"Content-Type": "image/png"},
            )
            assert answer.status in (400, 404), (name, method, answer.status)
            if method != "HEAD":
                assert answer.error["code"] in ("invalid_request", "not_found")


async def test_an_upload_cut_off_midway_leaves_nothing(api: Api, media_root: Path) -> None:
    s = await api.register()
    data = media_bytes(2 * MB)
    head = (
        f"PUT /v1/media/{sha(data)} HTTP/1.1\r\nAuthorization: {s.headers['Authorization']}"
        f"\r\nContent-Type: image/png\r\nContent-Length: {len(data)}"
    ).encode()
    _, writer = await raw_put(api, head, data[: 300 * 1024])
    staging = media_root / ".staging"
    for _ in range(100):  # the upload is under way once its staging file exists
        if stored_files(staging):
            break
        await asyncio.sleep(0.05)
    assert stored_files(staging), "the upload never started"
    writer.close()  # the app went offline
    for _ in range(100):
        if not stored_files(media_root):
            break
        await asyncio.sleep(0.05)
    assert stored_files(media_root) == []
    assert (await usage(api, s))["count"] == 0
    assert (await upload(api, s, data)).status == 201


@pytest.mark.allow_logs(r"media store \(local folder .*\) is full")
async def test_a_full_disk_is_a_clean_error_and_leaves_no_half_file(
    api: Api, media_root: Path
) -> None:
    """The process may write no more than 1 MB per file (RLIMIT_FSIZE), so the disk refuses the
    upload midway as a full one does (EFBIG instead of ENOSPC, same path; filling a real disk
    needs root)."""
    resource = pytest.importorskip("resource", reason="RLIMIT_FSIZE is POSIX")
    import signal

    s = await api.register()
    data = media_bytes(3 * MB)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the error, not the signal
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 * MB, hard))
    try:
        answer = await upload(api, s, data)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)
    assert answer.status == 507
    assert answer.error["code"] == "storage_full"
    assert "try again later" in answer.error["message"]
    assert stored_files(media_root) == []
    # With room again the same upload goes through.
    assert (await upload(api, s, data)).status == 201


def test_media_settings_come_from_the_environment() -> None:
    env = {
        "DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/streampai",
        "STREAMPAI_CLOUD_SECRET": "s" * 32,
        "STREAMPAI_CLOUD_MEDIA_STORE": "s3://alerts/media",
        "STREAMPAI_CLOUD_S3_ENDPOINT": "http://127.0.0.1:9000",
        "STREAMPAI_CLOUD_MEDIA_FREE_MAX_FILE_BYTES": "1000",
        "STREAMPAI_CLOUD_MEDIA_PRO_QUOTA_BYTES": "5000",
    }
    config = CloudConfig.from_env(env)
    assert config.media_store == "s3://alerts/media"
    assert config.s3_endpoint == "http://127.0.0.1:9000"
    assert config.media_limits("free").max_file_bytes == 1000
    assert config.media_limits("pro").quota_bytes == 5000
    assert config.media_limits("pro").max_file_bytes == 100 * MB
    assert CloudConfig.from_env({**env, "STREAMPAI_CLOUD_MEDIA_STORE": "file:///srv/media"})

    for wrong in ("media", "file://relative/media", "ftp://host/x", "s3://KEY:hunter2@alerts/x"):
        with pytest.raises(ConfigError) as refused:
            CloudConfig.from_env({**env, "STREAMPAI_CLOUD_MEDIA_STORE": wrong})
        assert "hunter2" not in str(refused.value)


# --- the S3 store, against moto's S3 server ---------------------------------------------------

S3_SECRET = "s3-secret-that-must-never-be-logged"


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """A real S3 protocol server (moto) on 127.0.0.1 with an empty `alerts` bucket."""
    import boto3
    from moto.server import ThreadedMotoServer

    for name, value in {
        "AWS_ACCESS_KEY_ID": "test-key-id",
        "AWS_SECRET_ACCESS_KEY": S3_SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        # The developer's own AWS profile must not leak into the test.
        "AWS_CONFIG_FILE": str(tmp_path / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    port = find_free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket="alerts")
        yield endpoint
    finally:
        server.stop()


def bucket_keys(endpoint: str) -> list[str]:
    import boto3

    listing = boto3.client("s3", endpoint_url=endpoint).list_objects_v2(Bucket="alerts")
    return sorted(item["Key"] for item in listing.get("Contents", []))


async def test_the_s3_store_keeps_one_object_per_file(
    make_api: MakeApi, s3_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="streampai_cloud")
    api = await make_api(media_store="s3://alerts/media", s3_endpoint=s3_endpoint)
    one, two = await api.register(), await api.register()
    data = media_bytes(3 * MB)

    assert (await upload(api, one, data, content_type="video/mp4")).status == 201
    assert (await upload(api, two, data)).status == 201
    assert (await upload(api, one, data)).status == 200
    bad = await upload(api, one, media_bytes(1000), sha256=sha(b"other"))
    assert bad.status == 400 and bad.error["code"] == "hash_mismatch"
    assert await asyncio.to_thread(bucket_keys, s3_endpoint) == [
        f"media/{sha(data)[:2]}/{sha(data)}"
    ]

    head = await request(api, "HEAD", f"/v1/media/{sha(data)}", one)
    got = await request(api, "GET", f"/v1/media/{sha(data)}", one)
    assert head.status == 200 and head.body == b""
    assert got.status == 200 and got.body == data
    for answer in (head, got):
        assert answer.headers["Content-Type"] == "video/mp4"
        assert answer.headers["Content-Length"] == str(len(data))
        assert answer.headers["Cache-Control"] == SERVE_HEADERS["Cache-Control"]
    assert (await request(api, "GET", f"/v1/media/{sha(data)}", two)).body == data
    assert "S3 bucket alerts under media/ at http://127.0.0.1" in caplog.text
    assert S3_SECRET not in caplog.text


@pytest.mark.allow_logs(r"media store \(S3 bucket alerts.*\) failed: ")
async def test_an_unreachable_s3_store_is_a_clean_503_without_secrets(
    make_api: MakeApi, s3_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    closed = f"http://127.0.0.1:{find_free_port()}"  # nothing listens there
    api = await make_api(media_store="s3://alerts/media", s3_endpoint=closed)
    s = await api.register()
    answer = await upload(api, s, media_bytes(10_000))
    assert answer.status == 503
    assert answer.error["code"] == "storage_unavailable"
    assert answer.headers["Retry-After"] == "30"
    assert S3_SECRET not in caplog.text and S3_SECRET.encode() not in answer.body
    assert (await usage(api, s))["count"] == 0
