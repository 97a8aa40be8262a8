"""What to tell the streamer when the account service refused or could not be asked: one text
for the window, the terminal and the local API, with the terminal's exit code."""

from __future__ import annotations

import re

from streampai_desktop.core.errors import (
    EXIT_CHOICE_REQUIRED,
    EXIT_SIGN_IN_REFUSED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    UserMessage,
    describe,
)

_HTTP_SUFFIX = re.compile(r"\s*\(HTTP \d{3}\)\s*$")


def account_failure(exc: BaseException, service_url: str) -> UserMessage:
    from streampai_desktop.cloud.engine import (
        ChoiceRequired,
        ClientTooOld,
        OutcomeUnknown,
        Refused,
        RetryLater,
        SignInRequired,
        SyncError,
    )

    message = _HTTP_SUFFIX.sub("", str(exc)).strip()
    if isinstance(exc, ChoiceRequired):
        return UserMessage("Choose which settings to keep", str(exc), EXIT_CHOICE_REQUIRED)
    if isinstance(exc, ClientTooOld):
        reason = message.rstrip(".") or "This version is too old for the account service"
        return UserMessage(
            "Update needed", f"{reason}. Update Streampai Desktop to keep syncing.", EXIT_USAGE
        )
    if isinstance(exc, OutcomeUnknown):
        return UserMessage(
            "No answer",
            f"The account service at {service_url} did not answer in time. Try again.",
            EXIT_UNREACHABLE,
        )
    if isinstance(exc, RetryLater):
        return UserMessage(
            "Not reachable",
            f"Could not reach the account service at {service_url}: {message}. Check your "
            "internet connection (and the service address), then try again.",
            EXIT_UNREACHABLE,
        )
    if isinstance(exc, SignInRequired):
        return UserMessage(
            "Signed out",
            "This computer is no longer signed in: sign in again.",
            EXIT_SIGN_IN_REFUSED,
        )
    if isinstance(exc, Refused):
        text = message[:1].upper() + message[1:] if message else "The account service refused."
        return UserMessage("Refused", text, EXIT_SIGN_IN_REFUSED)
    if isinstance(exc, SyncError):
        text = message[:1].upper() + message[1:] if message else "The account service refused."
        return UserMessage("Account service error", text, EXIT_UNREACHABLE)
    return describe(exc)
