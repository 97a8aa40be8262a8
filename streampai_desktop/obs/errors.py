"""What can go wrong talking to OBS, each written for the streamer: what happened, and what to do
in OBS about it.

Every error is a :class:`~streampai_desktop.core.errors.UserFacingError`, so the window, the CLI
(exit code) and the local API show the sentence as is.
"""

from __future__ import annotations

from streampai_desktop.core.errors import (
    EXIT_SIGN_IN_REFUSED,
    EXIT_UNEXPECTED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    UserFacingError,
)

# Where the streamer finds the websocket's switch, port and password in OBS 28 and later.
SETTINGS_PATH = "Tools → WebSocket Server Settings"


class ObsError(UserFacingError):
    """Base class: something about OBS stops us."""

    title = "OBS"


class ObsBadUrl(ObsError, ValueError):
    """The OBS address is not a ``ws://host:port`` URL (a typo in settings or ``--url``)."""

    title = "OBS address not valid"
    exit_code = EXIT_USAGE


class ObsUnreachable(ObsError):
    """Nothing answers at the address: OBS is not running, or not on that port."""

    title = "OBS not reachable"
    exit_code = EXIT_UNREACHABLE


class ObsDisabled(ObsUnreachable):
    """OBS runs on this computer but its WebSocket server does not answer: it is switched off
    (or listens on another port)."""

    title = "OBS WebSocket server is off"


class ObsTimeout(ObsUnreachable):
    """OBS took too long to answer (busy, frozen, or the connection died without a word)."""

    title = "OBS did not answer"


class ObsConnectionLost(ObsUnreachable):
    """The connection ended while we were waiting for an answer (OBS quit or restarted)."""

    title = "OBS connection lost"


class ObsAuthFailed(ObsError):
    """OBS wants a password we did not give, or refused the one we gave (close code 4009)."""

    title = "OBS refused the password"
    exit_code = EXIT_SIGN_IN_REFUSED


class ObsSessionKicked(ObsError):
    """The streamer disconnected us from OBS's session list (close code 4011); the protocol says
    not to reconnect on our own after that."""

    title = "Disconnected in OBS"
    exit_code = EXIT_UNREACHABLE

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message
            or f"Streampai was disconnected in OBS ({SETTINGS_PATH} → Connected Sessions). "
            "It stays disconnected until you connect again from Streampai."
        )


class ObsProtocolError(ObsError):
    """Something answers at the address but does not speak obs-websocket v5 the way we do (another
    program on the port, OBS older than 28 with the old 4.x plugin, a malformed message)."""

    title = "Not OBS's WebSocket server"
    exit_code = EXIT_UNEXPECTED


class ObsRequestFailed(ObsError):
    """OBS answered a request with a failure status (``requestStatus.result`` false)."""

    title = "OBS refused"
    exit_code = EXIT_UNEXPECTED

    def __init__(self, request_type: str, code: int, comment: str | None = None) -> None:
        self.request_type = request_type
        self.code = code
        self.comment = comment
        reason = comment or STATUS_MEANINGS.get(code, "no reason given")
        super().__init__(f"OBS refused {request_type}: {reason} (code {code}).")


# obs-websocket's RequestStatus codes, for failures that come without a comment (StartStream's
# 500 has none, for one). Words from the protocol's own descriptions.
STATUS_MEANINGS: dict[int, str] = {
    203: "the request type is missing",
    204: "this OBS does not know that request (update OBS?)",
    205: "generic error",
    206: "the batch execution type is not supported",
    207: "OBS is not ready (changing scene collection or quitting); try again in a moment",
    300: "a required field is missing",
    301: "the request data is missing",
    400: "a field is not valid",
    401: "a field has the wrong type",
    402: "a number is out of range",
    403: "a field is empty",
    404: "too many fields",
    500: "the output is already running",
    501: "the output is not running",
    502: "the output is paused",
    503: "the output is not paused",
    504: "the output is disabled",
    505: "studio mode is on",
    506: "studio mode is off",
    600: "not found",
    601: "already exists",
    602: "wrong kind of resource",
    603: "not enough resources",
    604: "the resource is in a state that does not allow this",
    605: "this OBS does not have that kind of input",
    606: "the resource cannot be configured",
    607: "this OBS does not have that kind of filter",
    700: "creating it failed",
    701: "the action failed",
    702: "processing the request failed",
    703: "these fields cannot be used together",
}
