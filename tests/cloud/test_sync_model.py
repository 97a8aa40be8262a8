"""Model-based check of the push rules: random edits (stamped or not, to whole fields and to
single settings of a widget config), deletes, invalid mutations, retried and overlapping
batches and gaps from several devices of one account, compared step by step with a small
reference model of the rules (sync.py's docstring), and the final pull with the model.

The per-setting rule: each field keeps the value of the edit with the greatest stamp, whatever
order the pushes arrive in; an unstamped edit (an older app) is stamped on arrival, after
every stamp the model hands out."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cloud.conftest import PASSWORD, LiveService

ROWS = [str(uuid.UUID(int=i + 1)) for i in range(4)]
FIELDS = ("name", "enabled", "sort_order", "config.font_size", "config.types.follow.volume")
VALUES = {
    "name": st.sampled_from(["a", "b", "c"]),
    "enabled": st.booleans(),
    "sort_order": st.integers(0, 3),
    "config.font_size": st.integers(10, 12),
    "config.types.follow.volume": st.sampled_from([0, 50, None]),
}
# Stamps from a few milliseconds and counters, so the same setting is often edited "at once";
# None: an older app's unstamped edit. The device id is the editing device's.
stamps = st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(0, 1)))

edit = st.tuples(
    st.just("edit"),
    st.integers(0, 2),
    st.sampled_from(ROWS),
    st.fixed_dictionaries({}, optional={name: VALUES[name] for name in FIELDS}),
    stamps,
)
delete = st.tuples(st.just("delete"), st.integers(0, 2), st.sampled_from(ROWS))
bad = st.tuples(st.just("bad"), st.integers(0, 2))
# Push up to `n` entries starting `back` entries before the first unacknowledged one (a retry of
# a batch whose answer was lost), or skipping one (a gap).
push = st.tuples(st.just("push"), st.integers(0, 2), st.integers(1, 4), st.integers(0, 2))
gap = st.tuples(st.just("gap"), st.integers(0, 2))
steps = st.lists(st.one_of(edit, edit, delete, bad, push, push, gap), min_size=1, max_size=25)


@dataclass
class ModelRow:
    fields: dict[str, Any] = field(default_factory=dict)
    field_versions: dict[str, int] = field(default_factory=dict)
    field_stamps: dict[str, str] = field(default_factory=dict)
    version: int = 0
    deleted: bool = False


def stamp_text(stamp: tuple[int, int] | None, device: str) -> str | None:
    if stamp is None:
        return None
    return f"{stamp[0]:015d}:{stamp[1]:06d}:{device.replace('-', '')}"


ARRIVAL = "9" * 15  # the model's stand-in for the service's clock: after every test stamp


@dataclass
class Model:
    """The rules, as plainly as possible."""

    version: int = 0
    rows: dict[str, ModelRow] = field(default_factory=dict)
    last_seq: dict[str, int] = field(default_factory=dict)
    results: dict[tuple[str, int], tuple[str, int | None, list[str]]] = field(default_factory=dict)

    def apply(self, m: dict[str, Any]) -> tuple[str, int | None, list[str]]:
        key = (m["device_id"], m["seq"])
        if m["seq"] <= self.last_seq.get(m["device_id"], 0):
            return self.results[key]
        self.last_seq[m["device_id"]] = m["seq"]
        row = self.rows.get(m["row_id"])
        if m["entity"] != "widget_config":
            result: tuple[str, int | None, list[str]] = ("rejected", None, [])
        elif m.get("op") == "delete":
            if row is not None and row.deleted:
                result = ("applied", row.version, [])
            else:
                self.version += 1
                self.rows[m["row_id"]] = ModelRow(version=self.version, deleted=True)
                result = ("applied", self.version, [])
        elif row is not None and row.deleted:
            result = ("rejected", row.version, [])
        else:
            row = self.rows.setdefault(m["row_id"], ModelRow())
            self.version += 1
            # The greater stamp wins each field (>=: a resend of the same edit is a no-op).
            stamp = m.get("stamp") or f"{ARRIVAL}:000000:service"
            lost = []
            for name, value in m["patch"].items():
                if row.field_stamps.get(name, "") > stamp:
                    lost.append(name)
                    continue
                row.fields[name] = value
                row.field_versions[name] = self.version
                row.field_stamps[name] = stamp
            row.version = self.version
            result = ("applied", self.version, sorted(lost))
        self.results[key] = result
        return result


def call(service: LiveService, headers: dict[str, str], method: str, path: str, **kw: Any) -> Any:
    response = requests.request(method, service.base_url + path, headers=headers, timeout=10, **kw)
    return response.status_code, response.json()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(steps=steps, page_size=st.integers(1, 5))
def test_the_service_follows_the_model(
    live_service: LiveService, steps: list[tuple[Any, ...]], page_size: int
) -> None:
    body = requests.post(
        f"{live_service.base_url}/v1/auth/register",
        json={"email": f"{secrets.token_hex(6)}@example.com", "password": PASSWORD},
        timeout=10,
    ).json()
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    devices = [str(uuid.uuid4()) for _ in range(3)]
    outbox: list[list[dict[str, Any]]] = [[], [], []]
    acked = [0, 0, 0]  # entries of each outbox the server has acknowledged
    model = Model()

    def send(batch: list[dict[str, Any]]) -> None:
        status, answer = call(
            live_service, headers, "POST", "/v1/sync/push", json={"mutations": batch}
        )
        assert status == 200, answer
        expected = [model.apply(m) for m in batch]
        assert [(r["status"], r["version"], r["conflicts"]) for r in answer["results"]] == [
            (status, version, lost) for status, version, lost in expected
        ]
        assert answer["version"] == model.version

    for step in steps:
        kind, d = step[0], step[1]
        seq = len(outbox[d]) + 1
        base = {"device_id": devices[d], "seq": seq, "base_version": model.version}
        if kind == "edit":
            edit_stamp = stamp_text(step[4], devices[d])
            outbox[d].append(
                {
                    **base,
                    "entity": "widget_config",
                    "row_id": step[2],
                    "patch": step[3],
                    **({"stamp": edit_stamp} if edit_stamp else {}),
                }
            )
        elif kind == "delete":
            outbox[d].append({**base, "entity": "widget_config", "row_id": step[2], "op": "delete"})
        elif kind == "bad":
            outbox[d].append({**base, "entity": "gadget", "row_id": ROWS[0], "patch": {}})
        elif kind == "push":
            start = max(0, acked[d] - step[3])
            batch = outbox[d][start : start + step[2]]
            if batch:
                send(batch)
                acked[d] = max(acked[d], start + len(batch))
        elif kind == "gap" and len(outbox[d]) > acked[d] + 1:
            status, answer = call(
                live_service,
                headers,
                "POST",
                "/v1/sync/push",
                json={"mutations": [outbox[d][acked[d] + 1]]},
            )
            assert status == 409
            assert answer["error"]["expected_seq"] == acked[d] + 1

    for d in range(3):
        if outbox[d][acked[d] :]:
            send(outbox[d][acked[d] :])

    # Page through everything; the result must be the model's live rows.
    seen: dict[str, dict[str, Any]] = {}
    since, versions = 0, []
    while True:
        status, page = call(
            live_service,
            headers,
            "GET",
            f"/v1/sync/pull?since={since}&limit={page_size}&per_setting=1",
        )
        assert status == 200
        for change in page["changes"]:
            # Applied like a client: a tombstone removes the row (first pages leave them out,
            # later pages of the same walk may carry some).
            if change["deleted"]:
                seen.pop(change["row_id"], None)
            else:
                seen[change["row_id"]] = change
            versions.append(change["version"])
        since = page["next"]
        if not page["has_more"]:
            break
    assert versions == sorted(versions) and since == model.version
    live = {rid: row for rid, row in model.rows.items() if not row.deleted}
    got = {
        rid: (c["fields"], c["field_versions"], c["version"], _unstamped(c["field_stamps"]))
        for rid, c in seen.items()
    }
    assert got == {
        rid: (row.fields, row.field_versions, row.version, _unstamped(row.field_stamps))
        for rid, row in live.items()
    }


def _unstamped(stamps: dict[str, str]) -> dict[str, str]:
    """Stamps with the service's arrival time (unknowable to the model) made comparable."""
    return {k: "service" if v.endswith(":service") else v for k, v in stamps.items()}
