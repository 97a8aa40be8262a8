"""A fake Facebook on 127.0.0.1: Facebook Login, the Graph API calls of the Live Video API, and the
Server-Sent Events host that streams live comments and reactions.

One server, four roles, told apart by path prefix (so a client that mixes two hosts up fails here
as it would against Facebook):

* ``/dialog/oauth`` (and ``/v21.0/dialog/oauth``): the ``www.facebook.com`` Login dialog a browser
  opens. It needs ``client_id`` and a ``redirect_uri`` (exact match with :attr:`redirect_uris` when
  that list is set, as Strict Mode does) and redirects at once, as the fake's signed-in user, to
  ``redirect_uri?code=…&state=…#_=_``; after :meth:`~FakeFacebook.deny_next` to
  ``?error_reason=user_denied&error=access_denied&error_description=Permissions+error.&state=…``.
  The user grants the requested ``scope`` (comma separated) minus :meth:`decline_next`.
* :attr:`~FakeFacebook.graph_url` (``/graph/v21.0``, the ``graph.facebook.com/v21.0`` role):
  ``oauth/access_token`` (code exchange with the app secret, single-use 10-minute codes, same
  ``redirect_uri``; ``grant_type=fb_exchange_token`` swaps a user token for a long-lived one),
  ``me``, ``me/accounts`` (the user's Pages with their own Page tokens and ``tasks``),
  ``me/permissions``, ``{page-id}/live_videos`` (``broadcast_status=["LIVE"]``), the
  ``{live-video-id}`` node (``live_views``, ``status``, ``title``, ``creation_time`` …),
  ``{live-video-id}/comments`` (GET with cursors and ``order``; POST comments as the Page), and the
  ``{comment-id}`` node. ``fields`` is parsed like Graph's (``from{name,id},message``); an unknown
  field is Graph's ``(#100) Tried accessing nonexisting field``.
* :attr:`~FakeFacebook.streaming_url` (``/streaming``, the ``streaming-graph.facebook.com`` role):
  ``{live-video-id}/live_comments`` and ``{live-video-id}/live_reactions`` as ``text/event-stream``
  with one ``data: {json}`` event per comment / per reaction update.

What Facebook documents, and what the fake does where it does not (see also the test file):

* Token rules: Page endpoints need a Page token; a user token gets
  ``(#190) This method must be called with a Page Access Token`` (code 190, HTTP 400), except
  ``GET {object}/comments``, which Facebook documents as answering empty data to a user token.
  A Page token from a long-lived user token never expires; from a short-lived one, with it.
* ``comment_rate`` (``one_per_two_seconds``, ``ten_per_second``, ``one_hundred_per_second``) is a
  maximum delivery rate; above it Facebook delivers the "higher quality" comments and the rest never
  arrive. The fake drops by a sliding window per connection (at most 1 per 2 s, 10 or 100 per 1 s),
  keeping the earliest, and records drops in :attr:`StreamConnection.dropped`. The default when
  the parameter is missing is not documented: the fake uses :attr:`default_comment_rate`.
* Facebook's SSE events carry no ``id:`` field and its FAQ says events missed while disconnected are
  lost: the fake sends no ids, records a ``Last-Event-ID`` header it gets, and replays nothing. A
  client catches up with ``GET {live-video-id}/comments``.
* Connections "last for 4 hours" (:attr:`stream_lifetime_s`, then a clean end of the body).
* ``reaction_stream`` is a list of ``{"key": "LIKE", "value": n}``; public clients read the values
  as running totals for the video (they diff successive events), so the fake sends the totals since
  :meth:`go_live`, one event per burst of :meth:`push_reaction` calls within
  :attr:`reaction_interval_s` (Facebook documents no interval).
* Nothing on the stream reports hidden or deleted comments. :meth:`hide_comment` sets ``is_hidden``
  (seen by ``GET …/comments`` and the comment node); :meth:`delete_comment` makes the comment vanish
  (its node answers Graph's "Unsupported get request", code 100 subcode 33).
* Errors are Graph error objects ``{"error": {"message", "type", "code", "error_subcode",
  "is_transient", "fbtrace_id"}}``; :meth:`~FakeFacebook.fail_next` injects any code (190 with
  subcodes 458/460/463, 10, 200, 4, 17, 32, 613, 1/2 with a 5xx status); rate limits carry the
  ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` headers Facebook documents.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

GRAPH_VERSION = "v21.0"
APP_ID = "1234567890123456"
APP_SECRET = "fb-test-app-secret-5e1d0c7a"
USER_ID = "10160000000000001"
USER_NAME = "Casey Streamer"
PAGE_ID = "102030405060708"
PAGE_NAME = "Cool Streamer"

# What a streamer's sign-in asks for: list the Pages, read their live videos and comments, and
# comment as the Page (Facebook's Pages API guide names pages_manage_engagement for that).
SCOPES = (
    "public_profile",
    "pages_show_list",
    "pages_read_engagement",
    "pages_read_user_content",
    "pages_manage_posts",
    "pages_manage_engagement",
)
READ_PERMISSION = "pages_read_engagement"
WRITE_PERMISSION = "pages_manage_engagement"
LIST_PERMISSION = "pages_show_list"

# comment_rate value -> (at most this many comments, per this many seconds)
COMMENT_RATES: dict[str, tuple[int, float]] = {
    "one_per_two_seconds": (1, 2.0),
    "ten_per_second": (10, 1.0),
    "one_hundred_per_second": (100, 1.0),
}
# The Graph reference's reaction type enum (NONE aside); the first six are always in an event.
REACTION_TYPES = (
    "LIKE",
    "LOVE",
    "WOW",
    "HAHA",
    "SAD",
    "ANGRY",
    "THANKFUL",
    "PRIDE",
    "CARE",
    "FIRE",
    "HUNDRED",
)
BROADCAST_STATUSES = (
    "UNPUBLISHED",
    "LIVE",
    "LIVE_STOPPED",
    "PROCESSING",
    "VOD",
    "SCHEDULED_UNPUBLISHED",
    "SCHEDULED_LIVE",
    "SCHEDULED_EXPIRED",
    "SCHEDULED_CANCELED",
)
PAGE_TASKS = ("ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE")
SHORT_LIVED_S = 5400  # "about an hour or two"
LONG_LIVED_S = 5183944  # the ~60 days Facebook's example answer shows
CODE_TTL_S = 600

NODE_FIELDS: dict[str, frozenset[str]] = {
    "User": frozenset({"id", "name"}),
    "Page": frozenset({"id", "name", "category", "category_list", "tasks", "access_token"}),
    "LiveVideo": frozenset(
        {
            "id",
            "title",
            "description",
            "status",
            "creation_time",
            "broadcast_start_time",
            "live_views",
            "permalink_url",
            "embed_html",
            "video",
            "from",
        }
    ),
    "Comment": frozenset({"id", "message", "created_time", "from", "is_hidden", "object"}),
    "LiveReactions": frozenset({"reaction_stream"}),
}
DEFAULT_FIELDS = {
    "User": "name,id",
    "Page": "name,id",
    "Account": "access_token,category,category_list,name,id,tasks",
    "LiveVideo": "id,status",
    "Comment": "created_time,from,message,id",
    "LiveReactions": "reaction_stream",
}
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 341, 613})
_DEFAULT_MESSAGES = {
    1: "An unknown error has occurred.",
    2: "An unexpected error has occurred. Please retry your request later.",
    4: "(#4) Application request limit reached",
    10: "(#10) Application does not have permission for this action",
    17: "(#17) User request limit reached",
    32: "(#32) Page request limit reached",
    100: "(#100) Invalid parameter",
    200: "(#200) Permissions error",
    613: "(#613) Calls to this api have exceeded the rate limit.",
}
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_VERSIONED = r"{version:v\d+\.\d+}"

Fields = dict[str, "Fields | None"]


def graph_time(when: datetime | None = None) -> str:
    """Graph's timestamps: ``2018-08-30T18:47:02+0000``."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def parse_fields(spec: str) -> Fields:
    """Graph's ``fields`` syntax, ``from{name,id},message``: names, nested in braces."""
    text = spec.replace(" ", "")
    pos = 0

    def parse_list(closing: str | None) -> Fields:
        nonlocal pos
        out: Fields = {}
        while True:
            match = _FIELD_NAME.match(text, pos)
            if match is None:
                raise GraphError(100, f"(#100) Syntax error in fields: {spec!r}")
            name, pos = match.group(0), match.end()
            sub: Fields | None = None
            if text[pos : pos + 1] == "{":
                pos += 1
                sub = parse_list("}")
            out[name] = sub
            if pos == len(text):
                if closing is None:
                    return out
                raise GraphError(100, f"(#100) Syntax error in fields: {spec!r}")
            if text[pos] == ",":
                pos += 1
                continue
            if closing is not None and text[pos] == closing:
                pos += 1
                return out
            raise GraphError(100, f"(#100) Syntax error in fields: {spec!r}")

    return parse_list(None)


def select(full: dict[str, Any], wanted: Fields) -> dict[str, Any]:
    """The requested fields of a node (unset ones left out, as Graph does)."""
    out: dict[str, Any] = {}
    for name, sub in wanted.items():
        value = full.get(name)
        if value is None:
            continue
        if sub is not None and isinstance(value, dict):
            value = {key: item for key, item in value.items() if key in sub}
        out[name] = value
    return out


class GraphError(Exception):
    """A Graph error object, raised by the handlers and answered by the middleware."""

    def __init__(
        self,
        code: int,
        message: str = "",
        *,
        subcode: int | None = None,
        kind: str = "OAuthException",
        http_status: int = 400,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.code = code
        self.message = message or _DEFAULT_MESSAGES.get(code, f"(#{code}) Error")
        self.subcode = subcode
        self.kind = kind
        self.http_status = http_status
        self.headers = headers or {}
        super().__init__(self.message)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message, "type": self.kind, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["is_transient"] = self.code in TRANSIENT_CODES or self.http_status >= 500
        error["fbtrace_id"] = secrets.token_urlsafe(16)[:22]
        return {"error": error}

    def response(self) -> web.Response:
        return web.json_response(self.body(), status=self.http_status, headers=self.headers)


def _unsupported(object_id: str, method: str = "get") -> GraphError:
    return GraphError(
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read the "
        "Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        kind="GraphMethodException",
    )


def _nonexisting_field(name: str, node_type: str) -> GraphError:
    return GraphError(
        100, f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
    )


def _page_token_required() -> GraphError:
    return GraphError(190, "(#190) This method must be called with a Page Access Token")


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(str(index).encode()).decode()


def _uncursor(value: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(value.encode()).decode())
    except ValueError as error:
        raise GraphError(100, "(#100) Invalid cursor") from error


@dataclass
class Token:
    value: str
    kind: str  # "user" or "page"
    user_id: str
    page_id: str | None = None
    expires_at: float | None = None  # time.monotonic(); None: never expires
    long_lived: bool = False
    generation: int = 0  # the app authorisation it came from (revoke_app() ends a generation)


@dataclass
class AuthCode:
    code: str
    redirect_uri: str
    scopes: tuple[str, ...]
    expires_at: float
    used: bool = False


@dataclass
class FbPage:
    id: str
    name: str
    category: str = "Gamer"
    tasks: list[str] = field(default_factory=lambda: list(PAGE_TASKS))

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "category_list": [{"id": "2612", "name": self.category}],
        }


@dataclass
class FbComment:
    id: str
    live_video_id: str
    message: str
    from_id: str | None
    from_name: str | None
    created_time: str = field(default_factory=graph_time)
    is_hidden: bool = False
    deleted: bool = False

    def as_json(self) -> dict[str, Any]:
        author = None
        if self.from_id is not None:
            author = {"name": self.from_name, "id": self.from_id}
        return {
            "id": self.id,
            "message": self.message,
            "created_time": self.created_time,
            "from": author,
            "is_hidden": self.is_hidden,
            "object": {"id": self.live_video_id},
        }


@dataclass
class LiveVideo:
    id: str
    page_id: str
    video_id: str
    title: str
    status: str = "LIVE"
    live_views: int = 0
    description: str = ""
    creation_time: str = field(default_factory=graph_time)
    comments: list[FbComment] = field(default_factory=list)
    reactions: Counter[str] = field(default_factory=Counter)

    def as_json(self, page: FbPage) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title or None,
            "description": self.description or None,
            "status": self.status,
            "creation_time": self.creation_time,
            "broadcast_start_time": self.creation_time,
            "live_views": self.live_views,
            "permalink_url": f"/{page.id}/videos/{self.video_id}/",
            "embed_html": (
                '<iframe src="https://www.facebook.com/plugins/video.php?href='
                f'https%3A%2F%2Fwww.facebook.com%2F{page.id}%2Fvideos%2F{self.video_id}%2F" '
                'width="1280" height="720" frameborder="0" allowfullscreen="true"></iframe>'
            ),
            "video": {"id": self.video_id},
            "from": {"name": page.name, "id": page.id},
        }

    def reaction_stream(self) -> list[dict[str, Any]]:
        """Running totals per type: the six classic reactions always, the others once used."""
        return [
            {"key": kind, "value": self.reactions[kind]}
            for i, kind in enumerate(REACTION_TYPES)
            if i < 6 or self.reactions[kind]
        ]


# Items a stream's queue carries besides comments.
_STOP = object()
_REACTIONS = object()


@dataclass
class StreamConnection:
    """One SSE connection the fake served, and what it sent (for assertions)."""

    kind: str  # "live_comments" or "live_reactions"
    live_video_id: str
    comment_rate: str | None
    fields: str | None
    last_event_id: str | None  # the Last-Event-ID header the client sent, if any
    delivered: list[dict[str, Any]] = field(default_factory=list)  # each event's JSON, in order
    dropped: list[str] = field(default_factory=list)  # ids of comments comment_rate kept back
    closed: bool = False
    _queue: asyncio.Queue[Any] = field(default_factory=asyncio.Queue, repr=False)
    _sent_at: deque[float] = field(default_factory=deque, repr=False)
    _cut_mid_event: bool = field(default=False, repr=False)
    _ends_at: float = field(default=0.0, repr=False)  # loop time when the lifetime is over
    _request: web.Request | None = field(default=None, repr=False)

    def offer(self, comment: FbComment) -> None:
        """A new comment on the video: queued, unless the connection's rate is used up."""
        limit, window = COMMENT_RATES[self.comment_rate or "ten_per_second"]
        now = time.monotonic()
        while self._sent_at and now - self._sent_at[0] >= window:
            self._sent_at.popleft()
        if len(self._sent_at) >= limit:
            self.dropped.append(comment.id)
            return
        self._sent_at.append(now)
        self._queue.put_nowait(comment)


@dataclass
class _Failure:
    prefix: str
    code: int
    subcode: int | None
    http_status: int
    message: str


_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class FakeFacebook:
    """See the module docstring. Knobs: :meth:`go_live`, :meth:`end_live`, :meth:`set_live_views`,
    :meth:`push_comment`, :meth:`push_reaction`, :meth:`hide_comment`, :meth:`delete_comment`,
    :meth:`drop_streams`, :meth:`fail_next`, :meth:`deny_next`, :meth:`decline_next`,
    :meth:`revoke_permission`, :meth:`revoke_app`, :meth:`expire_token`, and the attributes set in
    ``__init__``. Records: :attr:`calls`, :attr:`dialog_requests`, :attr:`token_requests`,
    :attr:`posted`, :attr:`stream_connections`."""

    def __init__(self, port: int, *, version: str = GRAPH_VERSION) -> None:
        self.port = port
        self.version = version
        self.runner: web.AppRunner | None = None
        self.user_id = USER_ID
        self.user_name = USER_NAME
        self.pages: dict[str, FbPage] = {PAGE_ID: FbPage(PAGE_ID, PAGE_NAME)}
        # Valid OAuth redirect URIs of the app (exact match, Strict Mode); empty: any http(s) URL.
        self.redirect_uris: list[str] = []
        self.short_token_ttl_s: float = SHORT_LIVED_S
        self.long_token_ttl_s: float = LONG_LIVED_S
        self.code_ttl_s: float = CODE_TTL_S
        self.default_comment_rate = "ten_per_second"
        self.reaction_interval_s = 0.2
        self.stream_lifetime_s = 4 * 3600.0
        self.chunk_size = 0  # >0: each event written in pieces of this many bytes
        # The user's answer per permission ("granted" / "declined"), as /me/permissions shows it.
        self.permissions: dict[str, str] = {}
        self.live_videos: list[LiveVideo] = []
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, AuthCode] = {}
        self.calls: list[str] = []  # "GET /me/accounts", "GET /123/live_comments", … in order
        self.dialog_requests: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.posted: list[dict[str, Any]] = []  # comments made through POST {video}/comments
        self.stream_connections: list[StreamConnection] = []
        self._open: list[StreamConnection] = []
        self._stream_opened = asyncio.Event()
        self._failures: list[_Failure] = []
        self._deny_next = 0
        self._decline_next: set[str] = set()
        self._generation = 0
        self._page_tokens: dict[tuple[str, str], Token] = {}  # (user token, page id) -> token
        self._ids = 0

    # --- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> FakeFacebook:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def graph_url(self) -> str:
        """Stands in for ``https://graph.facebook.com/v21.0``."""
        return f"{self.base}/graph/{self.version}"

    @property
    def streaming_url(self) -> str:
        """Stands in for ``https://streaming-graph.facebook.com``."""
        return f"{self.base}/streaming"

    @property
    def dialog_url(self) -> str:
        """Stands in for ``https://www.facebook.com/v21.0/dialog/oauth``."""
        return f"{self.base}/{self.version}/dialog/oauth"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_fail])
        app.router.add_get("/dialog/oauth", self._dialog)
        app.router.add_get(f"/{_VERSIONED}/dialog/oauth", self._dialog)
        app.router.add_route("*", f"/graph/{_VERSIONED}/oauth/access_token", self._access_token)
        app.router.add_get(f"/graph/{_VERSIONED}/{{tail:.+}}", self._graph_get)
        app.router.add_post(f"/graph/{_VERSIONED}/{{tail:.+}}", self._graph_post)
        app.router.add_get("/streaming/{video_id}/live_comments", self._live_comments)
        app.router.add_get("/streaming/{video_id}/live_reactions", self._live_reactions)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        await self.drop_streams()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    # --- control: accounts and tokens -----------------------------------------------------------

    def add_page(
        self, name: str, page_id: str | None = None, tasks: list[str] | None = None
    ) -> FbPage:
        """Another Page the user has a role on (listed by ``/me/accounts``)."""
        page = FbPage(page_id or self._new_id(), name, tasks=list(tasks or PAGE_TASKS))
        self.pages[page.id] = page
        return page

    def issue_user_token(
        self, scopes: tuple[str, ...] = SCOPES, *, long_lived: bool = True
    ) -> Token:
        """A user token without the browser dance; the user grants ``scopes``."""
        for scope in scopes:
            self.permissions[scope] = "granted"
        return self._new_user_token(long_lived=long_lived)

    def issue_page_token(self, page_id: str = PAGE_ID) -> Token:
        """A Page token as ``/me/accounts`` hands it out for a long-lived user token."""
        return self._page_token(self.issue_user_token(), self.pages[page_id])

    def expire_token(self, value: str) -> None:
        self.tokens[value].expires_at = 0.0

    def revoke_app(self) -> None:
        """The user removed the app in their settings: every token issued so far stops working
        (190, subcode 458) and a new Login starts over."""
        self._generation += 1
        self.permissions.clear()

    def revoke_permission(self, name: str) -> None:
        """The user removed one permission in their settings (``/me/permissions``: declined)."""
        self.permissions[name] = "declined"

    def deny_next(self, count: int = 1) -> None:
        """The next ``count`` Login dialogs are cancelled by the user."""
        self._deny_next += count

    def decline_next(self, *permissions: str) -> None:
        """The next Login grants what it asks for except these (the user unticks them)."""
        self._decline_next.update(permissions)

    def fail_next(
        self,
        path_prefix: str,
        code: int,
        subcode: int | None = None,
        http_status: int = 400,
        message: str = "",
    ) -> None:
        """The next request whose path starts with ``path_prefix`` gets a Graph error object
        instead, once. The prefix is matched against the path inside its host (``/me/accounts``,
        ``/oauth/access_token``, ``/{id}/live_comments``) and against the fake's full path
        (``/graph/v21.0/me``, ``/streaming/{id}/live_reactions``)."""
        if not message and code == 190:
            message = _token_error_message(subcode)
        self._failures.append(_Failure(path_prefix, code, subcode, http_status, message))

    # --- control: live videos -------------------------------------------------------------------

    def go_live(
        self, title: str = "Live on Facebook!", *, page_id: str = PAGE_ID, live_views: int = 0
    ) -> LiveVideo:
        """The Page starts a live video (ending a live one it still had)."""
        if (current := self.live_video_of(page_id)) is not None:
            current.status = "LIVE_STOPPED"
        video = LiveVideo(
            id=self._new_id(),
            page_id=page_id,
            video_id=self._new_id(),
            title=title,
            live_views=live_views,
        )
        self.live_videos.append(video)
        return video

    def end_live(self, *, page_id: str = PAGE_ID, status: str = "LIVE_STOPPED") -> LiveVideo:
        video = self.live_video_of(page_id)
        assert video is not None, "not live"
        video.status = status
        return video

    def live_video_of(self, page_id: str = PAGE_ID) -> LiveVideo | None:
        return next(
            (v for v in reversed(self.live_videos) if v.page_id == page_id and v.status == "LIVE"),
            None,
        )

    @property
    def live(self) -> LiveVideo:
        video = self.live_video_of(PAGE_ID)
        assert video is not None, "not live"
        return video

    def set_live_views(self, viewers: int, *, page_id: str = PAGE_ID) -> None:
        video = self.live_video_of(page_id)
        assert video is not None, "not live"
        video.live_views = viewers

    def push_comment(
        self,
        from_name: str | None,
        from_id: str | None,
        message: str,
        *,
        live_video_id: str | None = None,
    ) -> FbComment:
        """A viewer comments on the live video (``from_id=None``: Facebook withholds who)."""
        video = self._video_or_live(live_video_id)
        comment = FbComment(
            id=f"{video.video_id}_{self._new_id()}",
            live_video_id=video.id,
            message=message,
            from_id=from_id,
            from_name=from_name if from_id is not None else None,
        )
        self._add_comment(video, comment)
        return comment

    def push_reaction(
        self, kind: str = "LIKE", count: int = 1, *, live_video_id: str | None = None
    ) -> None:
        if kind not in REACTION_TYPES:
            raise ValueError(f"unknown reaction type {kind!r}; Facebook's are {REACTION_TYPES}")
        if count < 1:
            raise ValueError("a reaction burst has at least one reaction")
        video = self._video_or_live(live_video_id)
        video.reactions[kind] += count
        for conn in self._streams_of(video.id, "live_reactions"):
            conn._queue.put_nowait(_REACTIONS)

    def hide_comment(self, comment_id: str) -> None:
        """The Page hides the comment (its author and their friends still see it)."""
        self._comment(comment_id).is_hidden = True

    def delete_comment(self, comment_id: str) -> None:
        self._comment(comment_id).deleted = True

    def open_streams(self, kind: str | None = None) -> list[StreamConnection]:
        return [c for c in self._open if kind is None or c.kind == kind]

    async def wait_for_streams(
        self, count: int = 1, kind: str | None = None, within: float = 10.0
    ) -> list[StreamConnection]:
        """Until at least ``count`` SSE connections (of ``kind``) are open."""
        async with asyncio.timeout(within):
            while len(self.open_streams(kind)) < count:
                self._stream_opened.clear()
                await self._stream_opened.wait()
        return self.open_streams(kind)

    async def drop_streams(self, mid_event: bool = False) -> None:
        """Cut every open SSE connection: now (no end of the chunked body), or after half of the
        next event each one writes (``mid_event``)."""
        for conn in list(self._open):
            if mid_event:
                conn._cut_mid_event = True
            else:
                self._cut(conn)
        await asyncio.sleep(0)

    # --- plumbing -------------------------------------------------------------------------------

    def _new_id(self) -> str:
        self._ids += 1
        return str(100000000000000 + int(time.time()) % 100000 * 10000 + self._ids)

    def _new_user_token(self, *, long_lived: bool) -> Token:
        ttl = self.long_token_ttl_s if long_lived else self.short_token_ttl_s
        token = Token(
            value=f"EAA{secrets.token_urlsafe(40)}",
            kind="user",
            user_id=self.user_id,
            expires_at=time.monotonic() + ttl,
            long_lived=long_lived,
            generation=self._generation,
        )
        self.tokens[token.value] = token
        return token

    def _page_token(self, user_token: Token, page: FbPage) -> Token:
        """A Page token for ``page``: long-lived user tokens give Page tokens that never expire;
        short-lived ones, Page tokens that expire with them."""
        known = self._page_tokens.get((user_token.value, page.id))
        if known is not None:
            return known
        token = Token(
            value=f"EAA{secrets.token_urlsafe(40)}",
            kind="page",
            user_id=user_token.user_id,
            page_id=page.id,
            expires_at=None if user_token.long_lived else user_token.expires_at,
            long_lived=user_token.long_lived,
            generation=user_token.generation,
        )
        self.tokens[token.value] = token
        self._page_tokens[(user_token.value, page.id)] = token
        return token

    def _video_or_live(self, live_video_id: str | None) -> LiveVideo:
        if live_video_id is None:
            return self.live
        return next(v for v in self.live_videos if v.id == live_video_id)

    def _comment(self, comment_id: str) -> FbComment:
        for video in self.live_videos:
            for comment in video.comments:
                if comment.id == comment_id:
                    return comment
        raise KeyError(comment_id)

    def _add_comment(self, video: LiveVideo, comment: FbComment) -> None:
        video.comments.append(comment)
        for conn in self._streams_of(video.id, "live_comments"):
            conn.offer(comment)

    def _streams_of(self, live_video_id: str, kind: str) -> list[StreamConnection]:
        return [c for c in self._open if c.live_video_id == live_video_id and c.kind == kind]

    def _cut(self, conn: StreamConnection) -> None:
        request = conn._request
        if request is not None and request.transport is not None:
            request.transport.close()
        conn.closed = True
        conn._queue.put_nowait(_STOP)
        if conn in self._open:
            self._open.remove(conn)

    def _node(self, node_id: str) -> tuple[str, Any] | None:
        if node_id == self.user_id:
            return "User", None
        if node_id in self.pages:
            return "Page", self.pages[node_id]
        for video in self.live_videos:
            if video.id == node_id:
                return "LiveVideo", video
            for comment in video.comments:
                if comment.id == node_id and not comment.deleted:
                    return "Comment", comment
        return None

    def _live_video(self, node_id: str) -> LiveVideo:
        found = self._node(node_id)
        if found is None or found[0] != "LiveVideo":
            raise _unsupported(node_id)
        video: LiveVideo = found[1]
        return video

    @staticmethod
    def _fields(params: dict[str, str], node_type: str, default: str | None = None) -> Fields:
        wanted = parse_fields(params.get("fields") or default or DEFAULT_FIELDS[node_type])
        allowed = NODE_FIELDS["Page" if node_type == "Account" else node_type]
        for name in wanted:
            if name not in allowed:
                raise _nonexisting_field(name, "Page" if node_type == "Account" else node_type)
        return wanted

    def _authenticate(self, request: web.Request, params: dict[str, str]) -> Token:
        value = params.get("access_token", "")
        auth = request.headers.get("Authorization", "")
        for scheme in ("Bearer ", "OAuth "):
            if not value and auth.startswith(scheme):
                value = auth[len(scheme) :].strip()
        if not value:
            raise GraphError(104, "An access token is required to request this resource.")
        token = self.tokens.get(value)
        if token is None:
            raise GraphError(190, _token_error_message(None))
        if token.generation != self._generation:
            raise GraphError(190, _token_error_message(458), subcode=458)
        if token.expires_at is not None and token.expires_at < time.monotonic():
            raise GraphError(190, _token_error_message(463), subcode=463)
        return token

    def _require_permission(self, name: str, code: int = 10) -> None:
        if self.permissions.get(name) == "granted":
            return
        if code == 10:
            raise GraphError(
                10,
                f"(#10) This endpoint requires the '{name}' permission or the 'Page Public "
                "Content Access' feature. Refer to https://developers.facebook.com/docs/apps/"
                "review/login-permissions#manage-pages for details.",
            )
        raise GraphError(
            200,
            f"(#200) The user hasn't authorized the application to perform this action ({name})",
        )

    def _require_page_token(self, token: Token, page_id: str) -> None:
        if token.kind != "page":
            raise _page_token_required()
        if token.page_id != page_id:
            raise _unsupported(page_id)

    @web.middleware
    async def _record_and_fail(self, request: web.Request, handler: _Handler) -> web.StreamResponse:
        path = request.path
        inner = None
        if path.startswith("/graph/"):
            inner = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        elif path.startswith("/streaming/"):
            inner = path.removeprefix("/streaming")
        if inner is not None:
            self.calls.append(f"{request.method} {inner}")
            for i, failure in enumerate(self._failures):
                if inner.startswith(failure.prefix) or path.startswith(failure.prefix):
                    del self._failures[i]
                    return self._failure_response(failure)
        try:
            return await handler(request)
        except GraphError as error:
            return error.response()

    def _failure_response(self, failure: _Failure) -> web.Response:
        headers: dict[str, str] = {}
        if failure.code in (4, 17):
            app_usage = {"call_count": 100, "total_cputime": 12, "total_time": 20}
            headers["X-App-Usage"] = json.dumps(app_usage)
        elif failure.code in (32, 613):
            usage: dict[str, Any] = {
                PAGE_ID: [
                    {
                        "type": "pages",
                        "call_count": 100,
                        "total_cputime": 8,
                        "total_time": 10,
                        "estimated_time_to_regain_access": 1,
                    }
                ]
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps(usage)
        error = GraphError(
            failure.code,
            failure.message,
            subcode=failure.subcode,
            http_status=failure.http_status,
            headers=headers,
        )
        return error.response()

    @staticmethod
    async def _params(request: web.Request) -> dict[str, str]:
        """Query, form body and JSON body together, as Graph reads them."""
        params = {k: str(v) for k, v in request.query.items()}
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except json.JSONDecodeError as error:
                    raise GraphError(100, "(#100) Invalid JSON body") from error
                if isinstance(body, dict):
                    params.update({k: str(v) for k, v in body.items()})
            else:
                params.update({k: str(v) for k, v in (await request.post()).items()})
        return params

    @staticmethod
    def _paged(data: list[dict[str, Any]], start: int = 0) -> dict[str, Any]:
        body: dict[str, Any] = {"data": data}
        if data:
            body["paging"] = {
                "cursors": {"before": _cursor(start), "after": _cursor(start + len(data) - 1)}
            }
        return body

    # --- Login ----------------------------------------------------------------------------------

    async def _dialog(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.dialog_requests.append(query)
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != APP_ID:
            return web.Response(
                status=400, text="Invalid App ID: the provided app ID is not valid."
            )
        if not redirect_uri.startswith(("http://", "https://")) or (
            self.redirect_uris and redirect_uri not in self.redirect_uris
        ):
            return web.Response(
                status=400,
                text="URL Blocked: This redirect failed because the redirect URI is not "
                "whitelisted in the app's Client OAuth Settings.",
            )
        if query.get("response_type", "code") != "code":
            return web.Response(status=400, text="The fake serves response_type=code only.")
        separator = "&" if "?" in redirect_uri else "?"
        answer: dict[str, str]
        if self._deny_next:
            self._deny_next -= 1
            answer = {
                "error_reason": "user_denied",
                "error": "access_denied",
                "error_description": "Permissions error.",
            }
        else:
            requested = [s for s in re.split(r"[,\s]+", query.get("scope", "")) if s]
            granted = tuple(s for s in requested if s not in self._decline_next)
            for scope in requested:
                self.permissions[scope] = "granted" if scope in granted else "declined"
            self.permissions["public_profile"] = "granted"
            self._decline_next.clear()
            code = AuthCode(
                code=secrets.token_urlsafe(48),
                redirect_uri=redirect_uri,
                scopes=granted,
                expires_at=time.monotonic() + self.code_ttl_s,
            )
            self.codes[code.code] = code
            answer = {"code": code.code}
        if "state" in query:
            answer["state"] = query["state"]
        raise web.HTTPFound(redirect_uri + separator + urlencode(answer) + "#_=_")

    async def _access_token(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        self.token_requests.append(params)
        if params.get("client_id") != APP_ID:
            raise GraphError(101, "Error validating application. Invalid application ID.")
        if params.get("client_secret") != APP_SECRET:
            raise GraphError(1, "Error validating client secret.")
        grant = params.get("grant_type")
        if grant == "fb_exchange_token":
            old = self.tokens.get(params.get("fb_exchange_token", ""))
            if old is None or old.kind != "user":
                raise GraphError(190, _token_error_message(None))
            if old.generation != self._generation:
                raise GraphError(190, _token_error_message(458), subcode=458)
            if old.expires_at is not None and old.expires_at < time.monotonic():
                raise GraphError(190, _token_error_message(463), subcode=463)
            return self._token_answer(self._new_user_token(long_lived=True))
        if grant not in (None, "authorization_code"):
            raise GraphError(100, f"(#100) Unsupported grant_type: {grant}")
        code = self.codes.get(params.get("code", ""))
        if code is None:
            raise GraphError(100, "Invalid verification code format.")
        if code.used:
            raise GraphError(100, "This authorization code has been used.", subcode=36009)
        if code.expires_at < time.monotonic():
            raise GraphError(100, "This authorization code has expired.", subcode=36007)
        if params.get("redirect_uri") != code.redirect_uri:
            raise GraphError(
                100,
                "Error validating verification code. Please make sure your redirect_uri is "
                "identical to the one you used in the OAuth dialog request",
                subcode=36008,
            )
        code.used = True
        return self._token_answer(self._new_user_token(long_lived=False))

    def _token_answer(self, token: Token) -> web.Response:
        ttl = self.long_token_ttl_s if token.long_lived else self.short_token_ttl_s
        return web.json_response(
            {"access_token": token.value, "token_type": "bearer", "expires_in": int(ttl)}
        )

    # --- Graph API ------------------------------------------------------------------------------

    async def _graph_get(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        token = self._authenticate(request, params)
        segments = [s for s in request.match_info["tail"].split("/") if s]
        match segments:
            case ["me"]:
                if token.kind == "page":
                    assert token.page_id is not None
                    return self._node_answer("Page", self.pages[token.page_id], params, token)
                return self._node_answer("User", None, params, token)
            case ["me", "accounts"]:
                return self._accounts(token, params)
            case ["me", "permissions"]:
                if token.kind == "page":
                    raise _nonexisting_field("permissions", "Page")
                data = [{"permission": k, "status": v} for k, v in self.permissions.items()]
                return web.json_response({"data": data})
            case [node_id]:
                found = self._node(node_id)
                if found is None:
                    raise _unsupported(node_id)
                return self._node_answer(found[0], found[1], params, token)
            case [node_id, "live_videos"]:
                return self._page_live_videos(node_id, token, params)
            case [node_id, "comments"]:
                return self._comments(node_id, token, params)
            case [node_id, edge]:
                found = self._node(node_id)
                if found is None:
                    raise _unsupported(node_id)
                raise _nonexisting_field(edge, found[0])
        raise _unsupported("/".join(segments))

    def _node_answer(
        self, node_type: str, node: Any, params: dict[str, str], token: Token
    ) -> web.Response:
        wanted = self._fields(params, node_type)
        full: dict[str, Any]
        if node_type == "User":
            if token.kind == "page":
                raise _unsupported(self.user_id)
            full = {"id": self.user_id, "name": self.user_name}
        elif node_type == "Page":
            full = node.as_json()
            if "access_token" in wanted and token.kind == "user":
                full["access_token"] = self._page_token(token, node).value
        elif node_type == "LiveVideo":
            full = node.as_json(self.pages[node.page_id])
        else:
            full = node.as_json()
        return web.json_response(select(full, wanted))

    def _accounts(self, token: Token, params: dict[str, str]) -> web.Response:
        if token.kind == "page":
            raise _nonexisting_field("accounts", "Page")
        wanted = self._fields(params, "Account")
        if self.permissions.get(LIST_PERMISSION) != "granted":
            # Without pages_show_list the edge lists nothing; /me/permissions says why.
            return web.json_response({"data": []})
        data = []
        for page in self.pages.values():
            full = {
                **page.as_json(),
                "access_token": self._page_token(token, page).value,
                "tasks": list(page.tasks),
            }
            data.append(select(full, wanted))
        return web.json_response(self._paged(data))

    def _page_live_videos(self, page_id: str, token: Token, params: dict[str, str]) -> web.Response:
        page = self.pages.get(page_id)
        if page is None:
            raise _unsupported(page_id)
        self._require_page_token(token, page.id)
        self._require_permission(READ_PERMISSION)
        statuses = _broadcast_statuses(params.get("broadcast_status"))
        wanted = self._fields(params, "LiveVideo")
        videos = [
            v
            for v in reversed(self.live_videos)
            if v.page_id == page.id and (statuses is None or v.status in statuses)
        ]
        limit = _limit(params)
        data = [select(v.as_json(page), wanted) for v in videos[:limit]]
        return web.json_response(self._paged(data))

    def _comments(self, node_id: str, token: Token, params: dict[str, str]) -> web.Response:
        video = self._live_video(node_id)
        wanted = self._fields(params, "Comment")
        order = params.get("order", "chronological")
        if order not in ("chronological", "reverse_chronological"):
            raise GraphError(
                100,
                "(#100) Param order must be one of {CHRONOLOGICAL, REVERSE_CHRONOLOGICAL}"
                f' - got "{order}"',
            )
        if params.get("filter", "toplevel") not in ("toplevel", "stream"):
            raise GraphError(100, "(#100) Param filter must be one of {TOPLEVEL, STREAM}")
        if token.kind != "page" or token.page_id != video.page_id:
            return web.json_response({"data": []})  # Facebook: empty data for a user token
        self._require_permission(READ_PERMISSION)
        visible = [c for c in video.comments if not c.deleted]
        if order == "reverse_chronological":
            visible.reverse()
        start = _uncursor(params["after"]) + 1 if params.get("after") else 0
        end = min(len(visible), start + _limit(params))
        body = self._paged([select(c.as_json(), wanted) for c in visible[start:end]], start)
        if end < len(visible):
            query = {k: v for k, v in params.items() if k != "after"}
            query["after"] = _cursor(end - 1)
            body["paging"]["next"] = f"{self.graph_url}/{video.id}/comments?{urlencode(query)}"
        return web.json_response(body)

    async def _graph_post(self, request: web.Request) -> web.Response:
        params = await self._params(request)
        token = self._authenticate(request, params)
        segments = [s for s in request.match_info["tail"].split("/") if s]
        if len(segments) == 2 and segments[1] == "comments":
            return self._post_comment(segments[0], token, params)
        raise _unsupported(segments[0] if segments else "", "post")

    def _post_comment(self, node_id: str, token: Token, params: dict[str, str]) -> web.Response:
        found = self._node(node_id)
        if found is None or found[0] != "LiveVideo":
            raise _unsupported(node_id, "post")
        video: LiveVideo = found[1]
        self._require_page_token(token, video.page_id)
        self._require_permission(WRITE_PERMISSION, code=200)
        message = params.get("message", "").strip()
        if not message and not params.get("attachment_url"):
            raise GraphError(100, "(#100) Missing message or attachment")
        page = self.pages[video.page_id]
        comment = FbComment(
            id=f"{video.video_id}_{self._new_id()}",
            live_video_id=video.id,
            message=message,
            from_id=page.id,
            from_name=page.name,
        )
        self._add_comment(video, comment)
        self.posted.append(
            {"id": comment.id, "live_video_id": video.id, "page_id": page.id, "message": message}
        )
        return web.json_response({"id": comment.id})

    # --- Server-Sent Events ---------------------------------------------------------------------

    async def _open_stream(
        self, request: web.Request, kind: str
    ) -> tuple[StreamConnection, LiveVideo, Fields, web.StreamResponse]:
        params = await self._params(request)
        token = self._authenticate(request, params)
        video = self._live_video(request.match_info["video_id"])
        self._require_page_token(token, video.page_id)
        self._require_permission(READ_PERMISSION)
        rate = None
        if kind == "live_comments":
            rate = params.get("comment_rate", self.default_comment_rate)
            if rate not in COMMENT_RATES:
                choices = ", ".join(r.upper() for r in COMMENT_RATES)
                raise GraphError(
                    100, f'(#100) Param comment_rate must be one of {{{choices}}} - got "{rate}"'
                )
            wanted = self._fields(params, "Comment")
        else:
            wanted = self._fields(params, "LiveReactions")
        conn = StreamConnection(
            kind=kind,
            live_video_id=video.id,
            comment_rate=rate,
            fields=params.get("fields"),
            last_event_id=request.headers.get("Last-Event-ID"),
            _request=request,
            _ends_at=asyncio.get_running_loop().time() + self.stream_lifetime_s,
        )
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        # Registered before the headers go out: a client that has them is already subscribed.
        self.stream_connections.append(conn)
        self._open.append(conn)
        self._stream_opened.set()
        await response.prepare(request)
        return conn, video, wanted, response

    async def _live_comments(self, request: web.Request) -> web.StreamResponse:
        conn, _video, wanted, response = await self._open_stream(request, "live_comments")
        try:
            while (item := await self._next_item(conn, response)) is not _STOP:
                await self._write_event(conn, response, select(item.as_json(), wanted))
        except (ConnectionResetError, _Dropped):
            pass
        finally:
            self._close(conn)
        return response

    async def _live_reactions(self, request: web.Request) -> web.StreamResponse:
        conn, video, _wanted, response = await self._open_stream(request, "live_reactions")
        try:
            while (item := await self._next_item(conn, response)) is not _STOP:
                assert item is _REACTIONS
                # A burst is sent as one event: the totals after the interval.
                await asyncio.sleep(self.reaction_interval_s)
                while not conn._queue.empty():
                    if conn._queue.get_nowait() is _STOP:
                        return response
                await self._write_event(
                    conn, response, {"reaction_stream": video.reaction_stream()}
                )
        except (ConnectionResetError, _Dropped):
            pass
        finally:
            self._close(conn)
        return response

    async def _next_item(self, conn: StreamConnection, response: web.StreamResponse) -> Any:
        """The connection's next comment or reaction tick; _STOP when it was cut or its
        lifetime is over (then the body ends cleanly)."""
        remaining = conn._ends_at - asyncio.get_running_loop().time()
        try:
            return await asyncio.wait_for(conn._queue.get(), max(remaining, 0.0))
        except TimeoutError:
            await response.write_eof()
            return _STOP

    async def _write_event(
        self, conn: StreamConnection, response: web.StreamResponse, payload: dict[str, Any]
    ) -> None:
        data = b"data: " + json.dumps(payload, separators=(",", ":")).encode() + b"\n\n"
        if conn._cut_mid_event:
            await response.write(data[: len(data) // 2])
            await asyncio.sleep(0.05)
            self._cut(conn)
            raise _Dropped
        size = self.chunk_size or len(data)
        for i in range(0, len(data), size):
            await response.write(data[i : i + size])
            if self.chunk_size:
                await asyncio.sleep(0)
        conn.delivered.append(payload)

    def _close(self, conn: StreamConnection) -> None:
        conn.closed = True
        if conn in self._open:
            self._open.remove(conn)


def _token_error_message(subcode: int | None) -> str:
    now = datetime.now(UTC).strftime("%A, %d-%b-%y %H:%M:%S UTC")
    match subcode:
        case 463:
            return f"Error validating access token: Session has expired on {now}."
        case 460:
            return (
                "Error validating access token: The session has been invalidated because the "
                "user changed their password or Facebook has changed the session for security "
                "reasons."
            )
        case 458:
            return (
                f"Error validating access token: The user has not authorized application {APP_ID}."
            )
        case _:
            return "Invalid OAuth access token - Cannot parse access token"


def _broadcast_statuses(raw: str | None) -> set[str] | None:
    """``broadcast_status`` as Graph takes it: a JSON array (``["LIVE"]``) or one value."""
    if not raw:
        return None
    try:
        values = json.loads(raw) if raw.startswith("[") else [raw]
    except json.JSONDecodeError as error:
        raise GraphError(100, f"(#100) Param broadcast_status must be an array: {raw}") from error
    if not isinstance(values, list):
        raise GraphError(100, f"(#100) Param broadcast_status must be an array: {raw}")
    for i, value in enumerate(values):
        if value not in BROADCAST_STATUSES:
            choices = ", ".join(BROADCAST_STATUSES)
            raise GraphError(
                100,
                f'(#100) Param broadcast_status[{i}] must be one of {{{choices}}} - got "{value}"',
            )
    return set(values)


def _limit(params: dict[str, str]) -> int:
    raw = params.get("limit", "25")
    if not raw.isdigit() or not 0 < int(raw) <= 100:
        raise GraphError(100, f"(#100) Param limit must be a positive number up to 100 - got {raw}")
    return int(raw)


class _Dropped(Exception):
    """The fake cut the connection on purpose."""


__all__ = [
    "APP_ID",
    "APP_SECRET",
    "BROADCAST_STATUSES",
    "COMMENT_RATES",
    "GRAPH_VERSION",
    "LIST_PERMISSION",
    "LONG_LIVED_S",
    "PAGE_ID",
    "PAGE_NAME",
    "REACTION_TYPES",
    "READ_PERMISSION",
    "SCOPES",
    "SHORT_LIVED_S",
    "USER_ID",
    "USER_NAME",
    "WRITE_PERMISSION",
    "FakeFacebook",
    "FbComment",
    "FbPage",
    "GraphError",
    "LiveVideo",
    "StreamConnection",
    "Token",
    "graph_time",
    "parse_fields",
    "select",
]
