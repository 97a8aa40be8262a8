"""The OpenAPI 3.1 document of the whole API, written by hand next to the handlers it describes.

tests/cloud/test_openapi.py runs schemathesis against it, so it has to match what the service
really answers (status codes, bodies, headers)."""

from __future__ import annotations

from typing import Any

from streampai_cloud import __doc__ as SERVICE_DOC
from streampai_cloud.api_donations import CURRENCIES, MAX_AMOUNT, MAX_CURSOR, MIN_AMOUNT
from streampai_cloud.api_live import MAX_MESSAGE_BYTES
from streampai_cloud.api_media import CONTENT_TYPES, SERVE_HEADERS, describe_size
from streampai_cloud.config import CloudConfig
from streampai_cloud.entities import ENTITIES, MAX_FIELDS, MAX_PATCH_BYTES
from streampai_cloud.validation import (
    LIMITS,
    MAX_BODY_BYTES,
    MAX_DEPTH,
    MAX_INT_DIGITS,
    MAX_STRING_CHARS,
    MAX_VALUE_DEPTH,
)

JSON = "application/json"


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


_STR = {"type": "string"}
_INT = {"type": "integer"}
_TS = {"type": "string", "format": "date-time"}
_UUID = {"type": "string", "format": "uuid"}
_MAX_BIGINT = 2**63 - 1  # versions, seqs and ids are PostgreSQL bigints
# Text the service stores and shows: no control characters other than tab and newline.
_NO_CONTROLS = "^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$"


def _text(max_len: int, min_len: int = 0, nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["string", "null"] if nullable else "string",
        "minLength": min_len,
        "maxLength": max_len,
        "pattern": _NO_CONTROLS,
    }


def _obj(props: dict[str, Any], required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": props,
        "required": list(props) if required is None else required,
        **extra,
    }


SCHEMAS: dict[str, Any] = {
    "Error": _obj(
        {
            "error": _obj(
                {"code": _STR, "message": _STR},
                description="Further keys give details, e.g. `expected_seq` or `retry_after`.",
            )
        }
    ),
    "Account": _obj(
        {
            "id": _UUID,
            "email": _STR,
            "handle": _STR,
            "plan": {"type": "string", "enum": ["free", "pro"]},
            "created_at": _TS,
        }
    ),
    "TokenPair": _obj(
        {
            "token_type": {"type": "string", "enum": ["Bearer"]},
            "access_token": _STR,
            "expires_in": {**_INT, "description": "seconds until the access token expires"},
            "refresh_token": {**_STR, "description": "single use; store the new one each time"},
            "device_id": {**_UUID, "description": "this sign-in (one refresh-token chain)"},
        }
    ),
    "Session": {
        "allOf": [_ref("TokenPair"), _obj({"account": _ref("Account")})],
    },
    "Me": _obj({"account": _ref("Account"), "device_id": _UUID, "sync_version": _INT}),
    "Device": _obj(
        {
            "id": _UUID,
            "name": _STR,
            "created_at": _TS,
            "last_seen_at": _TS,
            "current": {"type": "boolean"},
        }
    ),
    "Mutation": _obj(
        {
            "device_id": {**_UUID, "description": "the app install's id (not the sign-in)"},
            "seq": {
                "type": "integer",
                "minimum": 1,
                "maximum": _MAX_BIGINT,
                "description": "1, 2, 3... per device",
            },
            # The rest is judged per mutation: a flaw there is a `rejected` result that still
            # consumes the seq (so one bad entry never blocks an outbox), not a 400 for the
            # batch. Hence no type constraints here; the descriptions say what is expected.
            "entity": {"description": f"one of {', '.join(ENTITIES)}"},
            "row_id": {"description": "the row's UUID (chosen by the client)"},
            "op": {"description": "`upsert` (default) or `delete`"},
            "patch": {
                "description": "upsert: object of field -> new value; delete: absent or null. "
                f"At most {MAX_FIELDS} fields and {MAX_PATCH_BYTES} bytes as JSON, each value "
                f"nested at most {MAX_VALUE_DEPTH} levels; over that the mutation is "
                "`rejected` (it still consumes its seq)",
            },
            "base_version": {
                "description": "non-negative integer or null: the row version the edit was "
                "made on (accepted for older apps; conflicts are decided by `stamp`)",
            },
            "stamp": {
                "description": "the edit's hybrid logical clock, "
                "`<15-digit wall ms>:<6-digit counter>:<device id>`, or null (the service's "
                "clock stamps it); per field, the greater stamp wins. Fields of a widget's "
                "config sync per key path (`config.types.follow.duration_ms`)",
            },
        },
        required=["device_id", "seq"],
    ),
    "MutationResult": _obj(
        {
            "device_id": _UUID,
            "seq": _INT,
            "status": {"type": "string", "enum": ["applied", "rejected"]},
            "version": {"type": ["integer", "null"]},
            "reason": {"type": ["string", "null"]},
            "conflicts": {
                "type": "array",
                "items": _STR,
                "description": "fields of the patch that kept a value with a later stamp",
            },
        }
    ),
    "PushResponse": _obj(
        {"results": {"type": "array", "items": _ref("MutationResult")}, "version": _INT}
    ),
    "Change": _obj(
        {
            "entity": _STR,
            "row_id": _UUID,
            "version": _INT,
            "deleted": {"type": "boolean"},
            "fields": {"type": "object"},
            "field_versions": {"type": "object", "additionalProperties": _INT},
            "field_stamps": {"type": "object", "additionalProperties": _STR},
        }
    ),
    "PullPage": _obj(
        {
            "changes": {"type": "array", "items": _ref("Change")},
            "next": {**_INT, "description": "pass as `since` next; persist with the page"},
            "has_more": {"type": "boolean"},
            "version": {**_INT, "description": "the account's version when the page was read"},
        }
    ),
    "Donation": _obj(
        {
            "id": {
                **_INT,
                "minimum": 1,
                "description": "this account's own donation number (1, 2, 3... in the order "
                "they were paid; not global): what `ack` takes as `up_to`",
            },
            "public_id": {**_UUID, "description": "the random id on the donor's receipt"},
            "name": _STR,
            "amount": {**_INT, "description": "minor units (cents)"},
            "currency": _STR,
            "message": _STR,
            "created_at": _TS,
        }
    ),
    "DonationReceipt": _obj(
        {
            "id": {
                **_UUID,
                "description": "random (UUIDv4): says nothing about how many donations anyone "
                "gets; the streamer sees it as `public_id`",
            },
            "name": _STR,
            "amount": {**_INT, "description": "minor units (cents)"},
            "currency": _STR,
            "message": _STR,
            "created_at": _TS,
        }
    ),
    "MediaInfo": _obj(
        {
            "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "size": {**_INT, "minimum": 0, "description": "bytes"},
            "content_type": {"type": "string", "enum": list(CONTENT_TYPES)},
        }
    ),
    "MediaUsage": _obj(
        {
            "plan": {"type": "string", "enum": ["free", "pro"]},
            "used_bytes": {**_INT, "minimum": 0},
            "quota_bytes": {**_INT, "description": "the plan's total for the account"},
            "max_file_bytes": {**_INT, "description": "the plan's limit per file"},
            "count": {**_INT, "minimum": 0, "description": "files the account stores"},
        }
    ),
}

_CLIENT_VERSION = {
    "name": "Streampai-Client-Version",
    "in": "header",
    "required": False,
    "description": "The desktop app's version (its leading X.Y[.Z] counts; a value without "
    "one is ignored); below the service's minimum the answer is 426.",
    "schema": {"type": "string"},
}
_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]


def _op(
    summary: str,
    responses: dict[str, Any],
    *,
    body: dict[str, Any] | None = None,
    auth: bool = True,
    params: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One operation; every operation can also answer the generic errors listed here."""
    all_responses = dict(responses)
    all_responses.setdefault(
        "400",
        _error(
            "Invalid request: `invalid_request` (a field, named in `field`), `invalid_json`, "
            "`json_too_deep`, `invalid_number` or `string_too_long` (see the limits in the "
            "description)"
        ),
    )
    if body is not None:
        all_responses["413"] = _error(
            f"`payload_too_large`: the body is over {MAX_BODY_BYTES} bytes"
        )
        all_responses["415"] = _error("`unsupported_charset`: send the body as UTF-8")
    all_responses["426"] = _error("The app is too old; update it (its unsynced edits are kept)")
    if auth:
        all_responses.setdefault(
            "401", _error("No, invalid or expired access token, or the device was signed out")
        )
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [_CLIENT_VERSION, *(params or [])],
        "responses": all_responses,
        "security": _BEARER if auth else [],
    }
    if body is not None:
        op["requestBody"] = {
            "required": True,
            "description": _BODY_LIMITS,
            "content": {JSON: {"schema": body}},
        }
    return op


_BODY_LIMITS = (
    f"JSON in UTF-8, at most {MAX_BODY_BYTES} bytes, nested at most {MAX_DEPTH} levels, no "
    f"string or key longer than {MAX_STRING_CHARS} characters, numbers finite and integers "
    f"of at most {MAX_INT_DIGITS} digits. The media type is not checked; a charset other than "
    "UTF-8 is refused (415)."
)
_NO_CONTENT = {"description": "Done"}
_NO_STORE = {
    "Cache-Control": {
        "description": "`no-store` (on every answer): tokens must not be kept by any cache",
        "required": True,
        "schema": {"type": "string", "const": "no-store"},
    },
    "Pragma": {
        "description": "`no-cache`, for HTTP/1.0 caches",
        "required": True,
        "schema": {"type": "string", "const": "no-cache"},
    },
}


def _tokens(schema: str, description: str) -> dict[str, Any]:
    return {**_json(_ref(schema), description), "headers": _NO_STORE}


_RATE_LIMITED = {
    "description": "Too many attempts; retry after the given seconds",
    "headers": {"Retry-After": {"schema": {"type": "string"}, "required": True}},
    "content": {JSON: {"schema": _ref("Error")}},
}

_DEVICE_NAME = _text(100, nullable=True)

_SHA256_PARAM = {
    "name": "sha256",
    "in": "path",
    "required": True,
    "description": "the file's SHA-256, 64 lowercase hex digits (anything else is 400)",
    "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
}
_BINARY = {"type": "string", "format": "binary"}
_MEDIA_INFO = _json(_ref("MediaInfo"), "")
_STORAGE_ERRORS = {
    "503": {
        "description": "`storage_unavailable`: the media store cannot be reached; retry later",
        "headers": {"Retry-After": {"schema": {"type": "string"}, "required": True}},
        "content": {JSON: {"schema": _ref("Error")}},
    },
    "507": _error("`storage_full`: the service has no room for new media; retry later"),
}


def _media_served(description: str, *, head: bool) -> dict[str, Any]:
    headers: dict[str, Any] = {
        name: {"required": True, "schema": {"type": "string", "const": value}}
        for name, value in SERVE_HEADERS.items()
    }
    headers["Content-Length"] = {"required": True, "schema": {"type": "string"}}
    answer: dict[str, Any] = {"description": description, "headers": headers}
    if not head:
        answer["content"] = {kind: {"schema": _BINARY} for kind in CONTENT_TYPES}
    return answer


def _media_read(summary: str, *, head: bool) -> dict[str, Any]:
    what = "The headers of the file" if head else "The file, as uploaded (streamed)"
    return _op(
        summary,
        {
            "200": _media_served(what, head=head),
            "404": _error(
                "`not_found`: this account did not upload that file (whether or not another "
                "account did)"
            ),
            "503": _STORAGE_ERRORS["503"],
        },
        params=[_SHA256_PARAM],
    )


def _media_upload() -> dict[str, Any]:
    op = _op(
        "Upload a file (alert image, video or sound) under its SHA-256",
        {
            "200": {**_MEDIA_INFO, "description": "The account already had it (body verified)"},
            "201": {**_MEDIA_INFO, "description": "Stored for this account"},
            "400": _error(
                "`hash_mismatch` (the body's SHA-256 is not the path's; nothing stored), "
                "`upload_incomplete` (the body stopped early) or `invalid_request` (the path)"
            ),
            "413": _error(
                "`media_too_large` (over the plan's per-file limit) or `media_quota_exceeded` "
                "(over the account's storage); `message` says the sizes in words"
            ),
            "415": _error("`unsupported_media_type`: a Content-Type that is not listed here"),
            **_STORAGE_ERRORS,
        },
        params=[_SHA256_PARAM],
    )
    op["requestBody"] = {
        "required": True,
        "description": "The file's bytes (streamed; the JSON body limits do not apply). Its "
        "size must be within the plan's limits (see the description).",
        "content": {kind: {"schema": _BINARY} for kind in CONTENT_TYPES},
    }
    return op


PATHS: dict[str, Any] = {
    "/healthz": {
        "get": _op(
            "Liveness probe", {"200": _json(_obj({"status": _STR}), "Service is up")}, auth=False
        )
    },
    "/v1/openapi.json": {
        "get": _op("This document", {"200": _json({"type": "object"}, "OpenAPI 3.1")}, auth=False)
    },
    "/v1/auth/register": {
        "post": _op(
            "Create an account and sign this device in",
            {
                "201": _tokens("Session", "Registered and signed in"),
                "409": _error("Email or handle already taken"),
                "429": _RATE_LIMITED,
            },
            body=_obj(
                {
                    "email": {"type": "string", "format": "email", "maxLength": 320},
                    "password": {"type": "string", "minLength": 8, "maxLength": 1024},
                    "handle": {
                        "type": ["string", "null"],
                        "pattern": "^[a-z0-9][a-z0-9_]{2,29}$",
                        "description": "public donation page name; generated when absent",
                    },
                    "device_name": _DEVICE_NAME,
                },
                required=["email", "password"],
            ),
            auth=False,
        )
    },
    "/v1/auth/signin": {
        "post": _op(
            "Sign in with email and password (rate limited; see the description)",
            {
                "200": _tokens("Session", "Signed in"),
                "401": _error("Wrong email or password"),
                "429": _RATE_LIMITED,
            },
            body=_obj(
                {
                    "email": {"type": "string", "format": "email", "maxLength": 320},
                    "password": {"type": "string", "minLength": 1, "maxLength": 1024},
                    "device_name": _DEVICE_NAME,
                },
                required=["email", "password"],
            ),
            auth=False,
        )
    },
    "/v1/auth/refresh": {
        "post": _op(
            "Trade a refresh token for a new pair (the old one is spent; reusing it signs the "
            "device out)",
            {
                "200": _tokens("TokenPair", "New tokens"),
                "401": _error(
                    "invalid_refresh_token, refresh_token_expired, refresh_token_reused or "
                    "device_revoked: sign in again"
                ),
            },
            body=_obj({"refresh_token": {"type": "string", "minLength": 1, "maxLength": 200}}),
            auth=False,
        )
    },
    "/v1/auth/signout": {"post": _op("Sign this device out", {"204": _NO_CONTENT})},
    "/v1/me": {
        "get": _op("The account, its plan and sync version", {"200": _json(_ref("Me"), "You")})
    },
    "/v1/devices": {
        "get": _op(
            "Signed-in devices of the account",
            {
                "200": _json(
                    _obj({"devices": {"type": "array", "items": _ref("Device")}}), "Devices"
                )
            },
        )
    },
    "/v1/devices/{device_id}": {
        "delete": _op(
            "Sign a device out (its live socket closes with code 4001)",
            {"204": _NO_CONTENT, "404": _error("No such device on this account")},
            params=[{"name": "device_id", "in": "path", "required": True, "schema": _UUID}],
        )
    },
    "/v1/sync/push": {
        "post": _op(
            "Apply a batch of mutations in seq order per device",
            {
                "200": _json(_ref("PushResponse"), "One result per mutation, in order"),
                "409": _error("seq_gap: nothing applied; `expected_seq` says what to send first"),
            },
            body=_obj(
                {
                    "mutations": {
                        "type": "array",
                        "items": _ref("Mutation"),
                        "minItems": 1,
                        "maxItems": 500,
                    }
                }
            ),
        )
    },
    "/v1/sync/pull": {
        "get": _op(
            "Rows and tombstones above `since`, in version order",
            {"200": _json(_ref("PullPage"), "A page")},
            params=[
                {
                    "name": "since",
                    "in": "query",
                    "schema": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": _MAX_BIGINT,
                        "default": 0,
                    },
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500},
                },
                {
                    "name": "per_setting",
                    "in": "query",
                    "description": "`1`: a widget's config as one field per setting "
                    "(`config.font_size`), with stamps, as current apps read it; otherwise "
                    "whole (`config`), for apps from before per-setting sync",
                    "schema": {"type": "string"},
                },
            ],
        )
    },
    "/v1/live": {
        "get": _op(
            "WebSocket: `hello` {version}, `changed` {version}, `donation` {donation}, with "
            "Kick `kick_event` {event}, and `kick_authorized` / `facebook_authorized` {state} "
            "when a platform sign-in ends; the app may send "
            '`{"type": "ack", "up_to": id}`, `{"type": "ack_kick", "up_to": id}` and '
            '`{"type": "ping"}`',
            {
                "101": {
                    "description": "Switching to WebSocket. Frames the app sends are JSON text "
                    f"of at most {MAX_MESSAGE_BYTES} bytes, within the body limits; unknown "
                    "`type`s are ignored. A frame that is no valid message gets "
                    '`{"type": "error", "error": {"code", "message"}}` and the socket is '
                    "closed with 1007 (1003 for a binary frame, 1009 for one too large). "
                    "The service closes with 4001 when the device was signed out, 4008 when "
                    "the app reads too slowly, 1011/1012 on trouble or restarts: reconnect "
                    "with backoff and pull."
                }
            },
            params=[{"name": "access_token", "in": "query", "schema": _STR}],
        )
    },
    "/v1/media": {
        "get": _op(
            "What the account stores and what its plan allows",
            {"200": _json(_ref("MediaUsage"), "Usage and limits")},
        )
    },
    "/v1/media/{sha256}": {
        "put": _media_upload(),
        "get": _media_read("Download a file this account uploaded", head=False),
        "head": _media_read("Whether this account has the file, and its size", head=True),
    },
    "/v1/donate/{handle}": {
        "post": _op(
            "Donate to a streamer (public; rate limited per IP)",
            {
                "201": _json(_obj({"donation": _ref("DonationReceipt")}), "Paid and relayed"),
                "402": _error("The payment was declined"),
                "404": _error("No streamer with this handle"),
                "429": _RATE_LIMITED,
            },
            body=_obj(
                {
                    "name": {**_text(50, nullable=True), "description": "blank: Anonymous"},
                    "amount": {
                        "type": "integer",
                        "minimum": MIN_AMOUNT,
                        "maximum": MAX_AMOUNT,
                        "description": "minor units (cents)",
                    },
                    "currency": {"type": "string", "enum": list(CURRENCIES)},
                    "message": _text(500, nullable=True),
                    "payment_token": _text(200, 1),
                },
                required=["amount", "currency", "payment_token"],
            ),
            auth=False,
            params=[{"name": "handle", "in": "path", "required": True, "schema": _STR}],
        )
    },
    "/v1/donations": {
        "get": _op(
            "Donations this device has not acknowledged yet (polling fallback)",
            {
                "200": _json(
                    _obj({"donations": {"type": "array", "items": _ref("Donation")}}), "Pending"
                )
            },
        )
    },
    "/v1/donations/ack": {
        "post": _op(
            "Acknowledge donations up to an id (never moves backwards)",
            {"204": _NO_CONTENT},
            body=_obj({"up_to": {"type": "integer", "minimum": 0, "maximum": MAX_CURSOR}}),
        )
    },
}


# --- Kick (kick/): documented only by a service that has a Kick app configured ----------------

_KICK_TOKENS = {
    "access_token": _STR,
    "refresh_token": {**_STR, "description": "Kick rotates it: store the new one each time"},
    "expires_in": {**_INT, "description": "seconds until the access token expires"},
    "scope": _STR,
    "token_type": _STR,
}
_KICK_ERRORS = {
    "503": _error("`kick_not_configured`: this service has no Kick app"),
}
_KICK_UNAVAILABLE = {
    "description": "`kick_unavailable`: Kick could not be reached; retry after the given seconds",
    "headers": {"Retry-After": {"schema": {"type": "string"}, "required": True}},
    "content": {JSON: {"schema": _ref("Error")}},
}
# A sign-in that ended without tokens (platform_signin.py), for every platform.
_SIGN_IN_FAILED = _json(
    _obj(
        {
            "status": {"type": "string", "const": "failed"},
            "error": _obj({"code": _STR, "message": _STR}),
        }
    ),
    "",
)
_KICK_CHANNEL = _obj({"user_id": _INT, "name": _STR})

KICK_SCHEMAS: dict[str, Any] = {
    "KickTokens": _obj(_KICK_TOKENS),
    "KickHandover": _obj(
        {"status": {"type": "string", "const": "connected"}, **_KICK_TOKENS, "user": _KICK_CHANNEL}
    ),
    "KickSubscription": _obj(
        {
            "event": _STR,
            "version": _INT,
            "id": {**_STR, "description": "Kick's subscription id"},
            "broadcaster_user_id": _INT,
            "checked_at": _TS,
        }
    ),
    "KickStatus": _obj(
        {
            "connected": {"type": "array", "items": _KICK_CHANNEL},
            "subscriptions": {"type": "array", "items": _ref("KickSubscription")},
            "last_event_at": {"type": ["string", "null"], "format": "date-time"},
        }
    ),
}

KICK_PATHS: dict[str, Any] = {
    "/v1/platforms/kick/authorize": {
        "post": _op(
            "Start connecting Kick: the URL of Kick's consent page (state + PKCE; no body)",
            {
                "200": _json(
                    _obj(
                        {
                            "state": _STR,
                            "authorization_url": {**_STR, "format": "uri"},
                            "expires_in": {**_INT, "description": "seconds the state lives"},
                        }
                    ),
                    "Open the URL in any browser; then take the tokens under the state",
                ),
                "429": _RATE_LIMITED,
                **_KICK_ERRORS,
            },
        )
    },
    "/v1/platforms/kick/callback": {
        "get": _op(
            "Where Kick sends the streamer's browser back (an HTML page, not for apps)",
            {
                "200": {"description": "Kick is connected (or was declined): a page"},
                "400": {"description": "The link is not (or no longer) valid: a page"},
                "502": {"description": "Kick could not be reached: a page"},
                "503": {"description": "No Kick app is configured: a page"},
            },
            auth=False,
            params=[
                {"name": "code", "in": "query", "schema": _STR},
                {"name": "state", "in": "query", "schema": _STR},
                {"name": "error", "in": "query", "schema": _STR},
            ],
        )
    },
    "/v1/platforms/kick/authorize/{state}": {
        "get": _op(
            "Take a Kick sign-in's tokens (once, by the account that started it)",
            {
                "200": _tokens("KickHandover", "The tokens; the service forgets them now"),
                "202": _json(
                    _obj({"status": {"type": "string", "const": "pending"}}),
                    "The streamer has not come back from Kick yet; ask again (or wait for "
                    "`kick_authorized` on /v1/live)",
                ),
                "403": {**_SIGN_IN_FAILED, "description": "`kick_access_denied`: declined on Kick"},
                "404": {
                    **_SIGN_IN_FAILED,
                    "description": "`authorization_not_found`: unknown, expired, already taken "
                    "or another account's",
                },
                "409": {
                    **_SIGN_IN_FAILED,
                    "description": "`kick_sign_in_failed` or `kick_unavailable`: start again",
                },
                **_KICK_ERRORS,
            },
            params=[{"name": "state", "in": "path", "required": True, "schema": _STR}],
        )
    },
    "/v1/platforms/kick/refresh": {
        "post": _op(
            "Renew Kick tokens (the service adds the client secret and keeps nothing)",
            {
                "200": _tokens("KickTokens", "New tokens"),
                "401": _error(
                    "`kick_sign_in_required`: Kick refused the refresh token; connect Kick again "
                    "(or the account's own 401s)"
                ),
                "429": _RATE_LIMITED,
                "502": _KICK_UNAVAILABLE,
                **_KICK_ERRORS,
            },
            body=_obj({"refresh_token": _text(4096, min_len=1)}),
        )
    },
    "/v1/platforms/kick/subscriptions": {
        "post": _op(
            "Make sure Kick delivers the connected channels' events (app token; no body)",
            {
                "200": _json(
                    {
                        "allOf": [
                            _ref("KickStatus"),
                            _obj({"errors": {"type": "array", "items": {"type": "object"}}}),
                        ]
                    },
                    "The status, and the events Kick would not subscribe",
                ),
                "409": _error("`kick_not_connected`: the account has no Kick channel"),
                "429": _RATE_LIMITED,
                "502": _KICK_UNAVAILABLE,
                **_KICK_ERRORS,
            },
        )
    },
    "/v1/platforms/kick/status": {
        "get": _op(
            "The Kick relay's state: channels, subscriptions, last event",
            {"200": _json(_ref("KickStatus"), "As of the last subscription check"), **_KICK_ERRORS},
        )
    },
    "/v1/webhooks/kick": {
        "post": _op(
            "Kick's webhooks (signed by Kick; see the README): relayed to the account's devices "
            "as `kick_event` on /v1/live",
            {
                "200": _json(
                    _obj({"status": {"type": "string", "enum": ["accepted", "duplicate"]}}),
                    "Relayed (or delivered before: not relayed again)",
                ),
                "400": _error(
                    "`missing_header`, `invalid_header`, `stale_message` (timestamp more than "
                    "5 minutes away) or `invalid_body`"
                ),
                "401": _error("`invalid_signature`: not signed by Kick"),
                "404": _error("`unknown_broadcaster`: no account connected the channel"),
                "413": _error("`payload_too_large`"),
                "503": _error(
                    "`kick_not_configured`, or `kick_unavailable` (Kick's key could not be "
                    "fetched: Kick delivers again)"
                ),
            },
            auth=False,
        )
    },
}


# --- Facebook (facebook/): documented only by a service that has a Facebook app configured -------

_FACEBOOK_ERRORS = {
    "503": _error("`facebook_not_configured`: this service has no Facebook app"),
}

FACEBOOK_SCHEMAS: dict[str, Any] = {
    "FacebookHandover": _obj(
        {
            "status": {"type": "string", "const": "connected"},
            "access_token": {
                **_STR,
                "description": "A long-lived user token: list the Pages (`/me/accounts`) with it "
                "and keep the chosen Page's token, which does not expire",
            },
            "expires_in": {
                "type": ["integer", "null"],
                "description": "seconds until the user token expires (about 60 days); null "
                "when Facebook does not say",
            },
            "user": _obj({"id": {**_STR, "description": "app-scoped user id"}, "name": _STR}),
        }
    ),
}

FACEBOOK_PATHS: dict[str, Any] = {
    "/v1/platforms/facebook/authorize": {
        "post": _op(
            "Start connecting Facebook: the URL of Facebook's Login dialog (no body)",
            {
                "200": _json(
                    _obj(
                        {
                            "state": _STR,
                            "authorization_url": {**_STR, "format": "uri"},
                            "expires_in": {**_INT, "description": "seconds the state lives"},
                        }
                    ),
                    "Open the URL in any browser; then take the token under the state",
                ),
                "429": _RATE_LIMITED,
                **_FACEBOOK_ERRORS,
            },
        )
    },
    "/v1/platforms/facebook/callback": {
        "get": _op(
            "Where Facebook sends the streamer's browser back (an HTML page, not for apps)",
            {
                "200": {"description": "Facebook is connected (or was declined): a page"},
                "400": {"description": "The link is not (or no longer) valid: a page"},
                "502": {"description": "Facebook could not be reached: a page"},
                "503": {"description": "No Facebook app is configured: a page"},
            },
            auth=False,
            params=[
                {"name": "code", "in": "query", "schema": _STR},
                {"name": "state", "in": "query", "schema": _STR},
                {"name": "error", "in": "query", "schema": _STR},
                {"name": "error_reason", "in": "query", "schema": _STR},
                {"name": "error_description", "in": "query", "schema": _STR},
            ],
        )
    },
    "/v1/platforms/facebook/authorize/{state}": {
        "get": _op(
            "Take a Facebook sign-in's token (once, by the account that started it)",
            {
                "200": _json(_ref("FacebookHandover"), "The token; the service forgets it now"),
                "202": _json(
                    _obj({"status": {"type": "string", "const": "pending"}}),
                    "The streamer has not come back from Facebook yet; ask again (or wait for "
                    "`facebook_authorized` on /v1/live)",
                ),
                "403": {
                    **_SIGN_IN_FAILED,
                    "description": "`facebook_access_denied`: declined on Facebook",
                },
                "404": {
                    **_SIGN_IN_FAILED,
                    "description": "`authorization_not_found`: unknown, expired, already taken "
                    "or another account's",
                },
                "409": {
                    **_SIGN_IN_FAILED,
                    "description": "`facebook_sign_in_failed` or `facebook_unavailable`: start "
                    "again",
                },
                **_FACEBOOK_ERRORS,
            },
            params=[{"name": "state", "in": "path", "required": True, "schema": _STR}],
        )
    },
}


_DEFAULTS = CloudConfig(database_url="postgresql+asyncpg://", secret="-" * 32)

_DESCRIPTION = f"""{(SERVICE_DOC or "").strip()}

Errors are always `{{"error": {{"code", "message", ...}}}}` with a 4xx for anything wrong with the
request (a 5xx only for trouble on the service's side).

**Limits on every JSON request body** (also under `x-limits`): JSON in UTF-8 (another `charset` is
415 `unsupported_charset`); at most {MAX_BODY_BYTES} bytes (413 `payload_too_large`); arrays
and objects nested at most {MAX_DEPTH} levels (400 `json_too_deep`); no string or object key
longer than {MAX_STRING_CHARS} characters (400 `string_too_long`); numbers finite — no `NaN`,
`Infinity` or literals that overflow to infinity such as `1e400` — and integers at most
{MAX_INT_DIGITS} digits long (400 `invalid_number`). Fields have tighter limits in their
schemas (ids, versions, seqs and `up_to` are 64-bit: at most {_MAX_BIGINT}).

**Sign-in limits** (per {_DEFAULTS.signin_window} s, configurable; only failed sign-ins count
toward the per-email ones): {_DEFAULTS.signin_limit_per_ip} attempts per address;
{_DEFAULTS.signin_limit_per_email_ip} failures per email from one address, after which that
address waits out the window; past {_DEFAULTS.signin_limit_per_email} failures per email from
all addresses the account is slowed, never locked: each address waits 1, 2, 4 ... up to
{_DEFAULTS.signin_slow_max_wait} s between its attempts, so its owner's first attempt from their
own address always goes through. Every 429 says how long in `Retry-After`.

**Media** (alert images, videos, sounds) are uploaded as raw bytes under their SHA-256 and
served only to the account that uploaded them. Per file and per account the free plan takes
{describe_size(_DEFAULTS.media_free_max_file_bytes)} and \
{describe_size(_DEFAULTS.media_free_quota_bytes)}, the pro plan \
{describe_size(_DEFAULTS.media_pro_max_file_bytes)} and \
{describe_size(_DEFAULTS.media_pro_quota_bytes)} (configurable; 1 MB = 1,048,576 bytes).

Every answer carries `Cache-Control: no-store`, except a media file's, which never changes
under its hash: `private, max-age=31536000, immutable`."""


def build_openapi(*, kick: bool = False, facebook: bool = False) -> dict[str, Any]:
    """The document served at /v1/openapi.json; a platform's operations only when the service has
    its app (`kick`, `facebook`): without one they all answer 503."""
    paths, schemas = dict(PATHS), dict(SCHEMAS)
    if kick:
        paths.update(KICK_PATHS)
        schemas.update(KICK_SCHEMAS)
    if facebook:
        paths.update(FACEBOOK_PATHS)
        schemas.update(FACEBOOK_SCHEMAS)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Streampai account service",
            "version": "1",
            "description": _DESCRIPTION,
            "x-limits": LIMITS,
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
