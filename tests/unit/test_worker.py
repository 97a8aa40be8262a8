"""The one retry schedule (core/backoff.py) and the supervised background worker (core/worker.py)
that every loop of the app runs in: crashes are logged and retried, stops are prompt and clean."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from streampai_desktop.core.backoff import Backoff
from streampai_desktop.core.worker import Crash, Worker


def test_backoff_grows_with_jitter_up_to_its_cap_and_starts_over_after_success() -> None:
    backoff = Backoff(1.0, 8.0, random.Random(7))
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    assert all(c / 2 <= d <= c for d, c in zip(delays, ceilings, strict=True)), delays
    assert len(set(delays)) == len(delays), "jittered, so clients do not retry in step"
    backoff.reset()
    assert backoff.delay is None and backoff.next_attempt_at is None
    assert backoff.next_delay() <= 1.0


def test_backoff_says_when_the_next_attempt_is_and_honours_the_servers_wait() -> None:
    backoff = Backoff(1.0, 60.0)
    delay = backoff.next_delay()
    assert backoff.next_attempt_at is not None
    expected = datetime.now(UTC) + timedelta(seconds=delay)
    assert abs((backoff.next_attempt_at - expected).total_seconds()) < 0.5
    assert backoff.next_delay(hint=120.0) == 120.0, "Retry-After is used as is, even past the cap"
    assert backoff.attempts == 2, "and still counts as a failure"
    with pytest.raises(ValueError):
        Backoff(5.0, 1.0)


@pytest.mark.allow_logs(r"flaky failed \(boom \d\); restarting")
async def test_a_crashing_loop_is_logged_and_restarted_until_it_works(
    caplog: pytest.LogCaptureFixture,
) -> None:
    runs = 0
    crashes: list[Crash] = []

    async def flaky() -> None:
        nonlocal runs
        runs += 1
        if runs <= 2:
            raise RuntimeError(f"boom {runs}")

    worker = Worker("flaky", flaky, restart=Backoff(0.01, 0.02), on_crash=crashes.append)
    worker.start()
    async with asyncio.timeout(5):
        while worker.running:  # noqa: ASYNC110 - the worker owns this state
            await asyncio.sleep(0.01)
    assert runs == 3, "restarted after each crash, and not after it returned on its own"
    assert [str(c.error) for c in crashes] == ["boom 1", "boom 2"]
    assert all(c.delay is not None and c.next_attempt_at is not None for c in crashes)
    logged = [r for r in caplog.records if r.name == "streampai_desktop.core.worker"]
    assert len(logged) == 2 and all(r.exc_info for r in logged), "with the traceback"


@pytest.mark.allow_logs(r"once failed \(nope\)")
async def test_without_restart_a_crash_is_logged_once_and_the_worker_ends() -> None:
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1
        raise ValueError("nope")

    worker = Worker("once", once)
    worker.start()
    await asyncio.sleep(0.05)
    assert runs == 1 and not worker.running and worker.crashes == 1
    await worker.stop()


@pytest.mark.allow_logs(r"always failed")
async def test_stop_during_a_restart_wait_is_immediate() -> None:
    async def always() -> None:
        raise RuntimeError("down")

    worker = Worker("always", always, restart=Backoff(30.0, 60.0))
    worker.start()
    await asyncio.sleep(0.05)
    assert worker.running and worker.next_attempt_at is not None, "waiting to restart"
    began = time.monotonic()
    await worker.stop()
    assert time.monotonic() - began < 1.0 and not worker.running


async def test_sleep_wakes_early_remembers_an_early_wake_and_ends_on_stop() -> None:
    woke: list[float] = []
    ready = asyncio.Event()

    async def loop() -> None:
        while True:
            ready.set()
            began = time.monotonic()
            if not await worker.sleep(30.0):
                return
            woke.append(time.monotonic() - began)

    worker = Worker("sleeper", loop)
    worker.start()
    await ready.wait()
    worker.wake()
    worker.wake()  # twice before it ran: still one wake, not lost, not doubled
    await asyncio.sleep(0.05)
    assert len(woke) == 1 and woke[0] < 1.0
    began = time.monotonic()
    await worker.stop()
    assert time.monotonic() - began < 1.0 and not worker.running
    await worker.stop()  # idempotent


async def test_a_loop_that_ignores_stop_is_cancelled_after_the_grace_period(
    caplog: pytest.LogCaptureFixture, allow_logs
) -> None:
    allow_logs(r"stubborn did not stop within")
    cancelled = False

    async def stubborn() -> None:
        nonlocal cancelled
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled = True
            raise

    worker = Worker("stubborn", stubborn, grace=0.1)
    worker.start()
    await asyncio.sleep(0.01)
    with caplog.at_level(logging.WARNING):
        await worker.stop()
    assert cancelled and not worker.running
    assert any("did not stop within" in r.getMessage() for r in caplog.records)
