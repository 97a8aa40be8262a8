"""Platform sign-ins as things that run on their own: started now, watched and answered later.

The window draws a sign-in's steps as they come (``show``); the terminal and the local API need
the same flow as an object they can poll: :class:`SignInAttempt` runs the platform's generic flow
(``platforms/flows.py``) in a task, keeps its current step ("enter ABCD-EFGH at …", "open this
URL") and ends as done (the account), failed (a message and an exit code) or cancelled.

:func:`save_signed_in` is the one place a finished sign-in becomes a stored account, for the
running app and for the terminal working on a data folder while the app is stopped.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from streampai_desktop.core.errors import (
    EXIT_CANCELLED,
    EXIT_UNREACHABLE,
    UserMessage,
    describe,
)
from streampai_desktop.platforms.base import NotReady
from streampai_desktop.platforms.flows import (
    BrowserStep,
    ChoiceNeeded,
    ChoiceStep,
    DeviceCodeStep,
    SignedInAccount,
    SignInStep,
    describe_choices,
)
from streampai_desktop.platforms.spec import PlatformSpec
from streampai_desktop.store import Account, Database
from streampai_desktop.store import operations as ops

RunDb = Callable[..., Awaitable[Any]]
KEEP_FINISHED = 20  # finished attempts kept for late pollers


async def save_signed_in(
    db: Database, run_db: RunDb, spec: PlatformSpec, who: SignedInAccount
) -> Account:
    """Store the signed-in account (its tokens are already in the keyring)."""
    account: Account = await run_db(
        ops.save_account, db, spec.id, who.platform_user_id, who.login, who.display_name
    )
    return account


def step_json(step: SignInStep) -> dict[str, Any]:
    """A step as the local API and ``--json`` show it."""
    if isinstance(step, DeviceCodeStep):
        return {
            "kind": "device_code",
            "user_code": step.user_code,
            "verification_uri": step.verification_uri,
            "expires_in_s": max(0, round(step.expires_at - time.monotonic())),
        }
    if isinstance(step, ChoiceStep):
        return {
            "kind": "choice",
            "prompt": step.prompt,
            "option": step.option,
            "choices": describe_choices(step.choices),
        }
    assert isinstance(step, BrowserStep)
    return {"kind": "browser", "url": step.url, "opened": step.opened}


def sign_in_failure(exc: BaseException) -> UserMessage:
    """What to tell the streamer when a sign-in did not complete."""
    if isinstance(exc, asyncio.CancelledError):
        return UserMessage("Cancelled", "The sign-in was cancelled.", EXIT_CANCELLED)
    if isinstance(exc, NotReady):
        return UserMessage(
            "Not reachable",
            f"{exc}. Check your internet connection, then try again.",
            EXIT_UNREACHABLE,
        )
    return describe(exc)


_ids = itertools.count(1)


@dataclass(eq=False)
class SignInAttempt:
    """One platform sign-in in progress or finished."""

    platform: str
    id: str = field(default_factory=lambda: f"signin-{next(_ids)}")
    state: str = "starting"  # starting → waiting (a step to show) → done | failed | cancelled
    step: SignInStep | None = None
    account: Account | None = None
    error: UserMessage | None = None
    task: asyncio.Task[None] | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed", "cancelled")

    async def show(self, step: SignInStep) -> None:
        """The flow's ``show``: a step is ready for the streamer."""
        if isinstance(step, ChoiceStep):
            # Nobody here can click one: the terminal names it ahead (--page), else it hears
            # the choices and how to name one.
            raise ChoiceNeeded.listing(step)
        self.step, self.state = step, "waiting"
        self._changed.set()

    def finish(self, account: Account | None, exc: BaseException | None) -> None:
        if exc is None:
            self.state, self.account = "done", account
        else:
            self.error = sign_in_failure(exc)
            cancelled = isinstance(exc, asyncio.CancelledError)
            self.state = "cancelled" if cancelled else "failed"
        self._changed.set()

    async def first_step(self) -> None:
        """Until there is a step to show or the attempt ended (whichever comes first)."""
        if self.state == "starting":
            await self._changed.wait()

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"id": self.id, "platform": self.platform, "state": self.state}
        if self.step is not None and not self.finished:
            body["step"] = step_json(self.step)
        if self.account is not None:
            body["account"] = {
                "id": self.account.id,
                "login": self.account.login,
                "display_name": self.account.display_name,
            }
        if self.error is not None:
            body["error"] = {
                "title": self.error.title,
                "message": self.error.text,
                "exit_code": self.error.exit_code,
            }
        return body


class SignInAttempts:
    """The attempts of one running app, by id (pruned to the newest finished ones)."""

    def __init__(self) -> None:
        self._by_id: dict[str, SignInAttempt] = {}

    def get(self, attempt_id: str) -> SignInAttempt | None:
        return self._by_id.get(attempt_id)

    def running(self, platform: str) -> SignInAttempt | None:
        return next(
            (a for a in self._by_id.values() if a.platform == platform and not a.finished), None
        )

    def add(self, attempt: SignInAttempt) -> None:
        self._by_id[attempt.id] = attempt
        finished = [a for a in self._by_id.values() if a.finished]
        for old in finished[:-KEEP_FINISHED]:
            del self._by_id[old.id]
