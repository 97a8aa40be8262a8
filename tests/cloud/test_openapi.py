"""The served OpenAPI document matches the service: schemathesis drives every operation."""

from __future__ import annotations

import hashlib

import requests
import schemathesis
from hypothesis import HealthCheck, settings

from streampai_cloud import validation
from streampai_cloud.openapi import build_openapi
from tests.cloud.conftest import LiveService


def test_the_served_document_is_the_built_one(live_service: LiveService) -> None:
    served = requests.get(f"{live_service.base_url}/v1/openapi.json", timeout=10).json()
    assert served == build_openapi()
    assert served["openapi"].startswith("3.")


def test_the_document_states_the_input_limits() -> None:
    doc = build_openapi()
    limits = doc["info"]["x-limits"]
    assert limits["max_body_bytes"] == validation.MAX_BODY_BYTES
    assert limits["max_depth"] == validation.MAX_DEPTH
    assert limits["max_string_chars"] == validation.MAX_STRING_CHARS
    assert limits["max_integer_digits"] == validation.MAX_INT_DIGITS
    text = doc["info"]["description"]
    for code in ("json_too_deep", "invalid_number", "string_too_long", "unsupported_charset"):
        assert code in text
    push = doc["paths"]["/v1/sync/push"]["post"]
    assert str(validation.MAX_DEPTH) in push["requestBody"]["description"]
    assert {"400", "413", "415"} <= set(push["responses"])
    for path in ("/v1/auth/register", "/v1/auth/signin", "/v1/auth/refresh"):
        ok = next(r for code, r in doc["paths"][path]["post"]["responses"].items() if code < "300")
        assert ok["headers"]["Cache-Control"]["schema"]["const"] == "no-store"


# Built from the document in-process (the test below checks it equals the served one);
# `schemathesis.pytest.from_fixture` would be nicer but reaches for a pytest private that
# pytest 9 no longer has. Signing out would end the session the other operations use (it is
# tested in test_auth) and the live channel is a WebSocket (tested in test_live).
schema = (
    schemathesis.openapi.from_dict(build_openapi())
    .exclude(path="/v1/auth/signout")
    .exclude(path="/v1/live")
)

# Schemathesis knows image files; audio and video bodies go on the wire as the raw bytes it
# generates for them, as octet-stream ones do.
schemathesis.serializer.alias(
    ["video/mp4", "video/webm", "audio/mpeg", "audio/ogg", "audio/wav"],
    "application/octet-stream",
)

# Schemathesis builds some cases at collection time, before the service runs; they carry this
# placeholder, which the test swaps for the real token.
PLACEHOLDER = "Bearer <signed-in>"


@schema.auth()
class BearerAuth:
    """Signs generated requests in. Through schemathesis (not fixed headers) so that its
    "missing Authorization" cases really go without one."""

    def get(self, case: schemathesis.Case, ctx: object) -> str:
        return PLACEHOLDER

    def set(self, case: schemathesis.Case, data: str, ctx: object) -> None:
        case.headers["Authorization"] = data


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_openapi_document(
    case: schemathesis.Case, live_service: LiveService
) -> None:
    if case.headers.get("Authorization") == PLACEHOLDER:
        case.headers["Authorization"] = live_service.headers["Authorization"]
    if case.method == "PUT" and case.path == "/v1/media/{sha256}":
        # A file goes under its own SHA-256, which no schema can state: with a generated one the
        # upload is rightly refused as damaged (400 hash_mismatch, tested in test_media).
        body = getattr(case.body, "data", None)
        if isinstance(body, bytes):
            case.path_parameters["sha256"] = hashlib.sha256(body).hexdigest()
    case.call_and_validate(base_url=live_service.base_url)
