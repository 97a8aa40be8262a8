"""Two computers, one account, the real service on PostgreSQL: offline edits of one widget.

- different settings of one widget: both edits survive, on both computers;
- the same setting: the edit with the later stamp (the later edit by the streamer's clocks)
  wins on both, whatever order the pushes arrive in; the computer whose edit lost says so,
  naming the widget, the setting and both values, and "use mine instead" makes its value win;
- a widget deleted on one and edited on the other: the delete wins, nothing comes back, and
  the editing computer says which change was not kept.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from streampai_desktop.cloud.engine import describe
from streampai_desktop.store import WidgetConfigRepo, hlc, operations
from streampai_desktop.store.sync_state import reapply
from streampai_desktop.widgets.instances import create_widget
from tests.cloud.conftest import test_config
from tests.cloud.test_sync_devices import Device, Faults, ServiceThread

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def service(database_url: str) -> Iterator[ServiceThread]:
    running = ServiceThread(test_config(database_url))
    yield running
    running.close()


class Clock:
    """Every computer's wall clock, set by the test (edits are stamped when they are made)."""

    def __init__(self) -> None:
        self.now = 1_800_000_000_000

    def at(self, ms: int) -> None:
        self.now = ms


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(hlc, "now_ms", lambda: c.now)
    return c


@pytest.fixture
def pair(service: ServiceThread) -> Iterator[tuple[Device, Device]]:
    loop = asyncio.new_event_loop()
    folder = Path(tempfile.mkdtemp(prefix="sync-conflicts-"))
    faults = Faults()
    faults.on = False
    email = f"{secrets.token_hex(6)}@example.com"
    httpx.post(
        f"{service.base}/v1/auth/register",
        json={"email": email, "password": PASSWORD},
        timeout=10,
    )
    devices = (
        Device(folder / "a", service.base, faults, loop),
        Device(folder / "b", service.base, faults, loop),
    )
    for d in devices:
        loop.run_until_complete(d.session.sign_in(email, PASSWORD))
    try:
        yield devices
    finally:
        for d in devices:
            d.close()
        loop.close()
        shutil.rmtree(folder, ignore_errors=True)


def sync(*devices: Device) -> None:
    for d in devices:
        d.loop.run_until_complete(d.engine.sync_now())


def config(d: Device, widget: str = "chat_box") -> dict:
    with d.db.session() as session:
        row = WidgetConfigRepo(session).get(widget)
    return row.config if row else {}


def edit(d: Device, widget: str = "chat_box", **settings: object) -> None:
    operations.save_widget_config(d.db, widget, {**config(d, widget), **settings})


def test_edits_to_different_settings_of_one_widget_both_survive(pair, clock: Clock) -> None:
    a, b = pair
    clock.at(1_800_000_001_000)
    edit(a, font_size=31)  # offline on both
    clock.at(1_800_000_002_000)
    edit(b, max_messages=7)
    sync(b, a, b)
    for d in (a, b):
        assert (config(d)["font_size"], config(d)["max_messages"]) == (31, 7)
        assert d.engine.status.conflicts == []


def test_the_later_edit_of_a_setting_wins_everywhere_and_the_loser_can_use_its_own(
    pair, clock: Clock
) -> None:
    a, b = pair
    clock.at(1_800_000_001_000)
    edit(b, font_size=25)  # earlier...
    clock.at(1_800_000_005_000)
    edit(a, font_size=31)  # ...later, by the streamer's clocks
    sync(a, b, a)  # the earlier edit reaches the service last: it still loses
    assert config(a)["font_size"] == config(b)["font_size"] == 31
    assert a.engine.status.conflicts == []
    [lost] = b.engine.status.conflicts
    text = describe(lost)
    assert "Font size" in text and "Chat Box" in text and "(25)" in text and "(31)" in text
    assert text in b.engine.status.notices

    # "Use mine instead", on b: a new edit (its clock has seen 31's stamp, so it is later).
    clock.at(1_800_000_000_000)  # even with b's clock behind
    assert reapply(b.db, lost)
    b.engine.resolve(lost)
    sync(b, a)
    assert config(a)["font_size"] == config(b)["font_size"] == 25
    assert b.engine.status.conflicts == []


def test_a_deleted_widget_stays_deleted_and_the_editor_is_told(pair, clock: Clock) -> None:
    a, b = pair
    extra = create_widget(a.db, "chat_box", "Second chat").id
    sync(a, b)
    assert config(b, extra), "b has the widget"
    clock.at(1_800_000_001_000)
    operations.delete_widget(a.db, extra)
    clock.at(1_800_000_009_000)
    edit(b, extra, font_size=44)  # later, but a delete always wins
    sync(a, b, a)
    for d in (a, b):
        assert config(d, extra) == {}, "the deleted widget did not come back"
    notices = [n for n in b.engine.status.notices if "Second chat" in n]
    assert notices == [
        "Second chat was deleted on another computer, so your change to Font size (44) was "
        "not kept."
    ]
