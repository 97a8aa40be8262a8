"""The sync rules, server-authoritative, applied inside one transaction per push batch.

- Per account a lock (the account row, FOR UPDATE), so versions are assigned in commit order and
  a pull snapshot that contains version V contains every version below it.
- Per (account, client device) mutations apply in `seq` order: an applied seq returns its stored
  result, a gap refuses the whole batch before anything is applied.
- Each field (a widget config's setting is one field per key path, see entities.py) keeps its
  value, the account version that set it and the *stamp* of the edit that set it. A mutation's
  `stamp` is the hybrid logical clock of the edit on the device that made it (see `Stamp`); a
  field takes the incoming value only if the incoming stamp is >= the stored one, so the later
  edit by the streamer's clocks wins whatever order the pushes arrive in. A mutation without a
  stamp (an older app) is stamped with the service's clock on arrival.
- Each applied upsert bumps the account version once and puts it on the row (so every device,
  the one whose edit lost included, pulls the row again) and on the fields it set; `conflicts`
  names the fields of the patch that kept a later stamped value instead.
- A delete wins: it leaves a versioned tombstone and later upserts of that row are rejected,
  whatever their stamp (nothing deleted is resurrected silently).
- A permanently invalid mutation is rejected with a reason and still consumes its seq, so it can
  never block the device's queue.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from streampai_cloud.db import accounts, sync_devices, sync_results, sync_rows
from streampai_cloud.entities import PATH_FIELDS, expand_patch, patch_problem
from streampai_cloud.errors import ApiError
from streampai_cloud.live_notify import notify
from streampai_cloud.validation import as_int, invalid, parse_uuid

OPS = ("upsert", "delete")
# Stored results kept per device. A client only ever resends its unacknowledged batch (at most
# push_max_batch entries), so older results are never asked for again; the rare one that is
# gets a generic "already applied" answer.
KEEP_RESULTS = 1000
MAX_SEQ = 2**63 - 1
# An edit's stamp: "<wall ms, 15 digits>:<counter, 6 digits>:<device id>", a hybrid logical
# clock. Zero-padded, so comparing the strings compares (wall ms, counter, device id): the same
# order on every computer and on the service, ties impossible between two devices.
STAMP = re.compile(r"^\d{15}:\d{6}:[0-9a-z-]{1,64}$")
SERVICE_STAMPER = "service"


def service_stamp() -> str:
    """The stamp of an unstamped (older app's) mutation: the service's clock on arrival."""
    return f"{int(time.time() * 1000):015d}:000000:{SERVICE_STAMPER}"


@dataclass(frozen=True)
class Mutation:
    """One outbox entry as the client sent it; only device_id and seq are guaranteed sane."""

    device_id: uuid.UUID
    seq: int
    entity: Any
    row_id: Any
    op: Any
    patch: Any
    base_version: int | None
    patch_size: int
    stamp: str | None = None  # None: none sent; _BAD_STAMP: not a stamp


def parse_batch(body: dict[str, Any], max_batch: int) -> list[Mutation]:
    """Read `{"mutations": [...]}`. Without a device_id and seq a mutation cannot even consume
    its seq, so those are a 400 for the batch; every other flaw is judged per mutation."""
    items = body.get("mutations")
    if not isinstance(items, list):
        raise invalid("mutations", "must be a list")
    if not 1 <= len(items) <= max_batch:
        raise invalid("mutations", f"must hold 1 to {max_batch} mutations")
    batch = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise invalid(f"mutations[{i}]", "must be an object")
        seq = as_int(item.get("seq"))
        if seq is None or not 1 <= seq <= MAX_SEQ:
            raise invalid(f"mutations[{i}].seq", "must be a positive integer")
        patch = item.get("patch")
        batch.append(
            Mutation(
                device_id=parse_uuid(item.get("device_id"), f"mutations[{i}].device_id"),
                seq=seq,
                entity=item.get("entity"),
                row_id=item.get("row_id"),
                op=item.get("op", "upsert"),
                patch=patch,
                base_version=_base_version(item.get("base_version")),
                patch_size=len(json.dumps(patch)) if patch is not None else 0,
                stamp=_stamp(item.get("stamp")),
            )
        )
    return batch


_BAD = -1  # marks a base_version that is not a non-negative integer
_BAD_STAMP = "!"  # marks a stamp that is not one


def _stamp(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) and STAMP.fullmatch(value) else _BAD_STAMP


def _base_version(value: Any) -> int | None:
    if value is None:
        return None
    number = as_int(value)
    return number if number is not None and number >= 0 else _BAD


@dataclass
class _Row:
    fields: dict[str, Any]
    field_versions: dict[str, int]
    version: int
    deleted: bool
    dirty: bool = False
    field_stamps: dict[str, str] = dataclasses.field(default_factory=dict)


def _problem(m: Mutation) -> str | None:
    if m.op not in OPS:
        return f"op must be one of {', '.join(OPS)}"
    if not isinstance(m.entity, str):
        return "entity must be a string"
    if not isinstance(m.row_id, str):
        return "row_id must be a UUID string"
    try:
        uuid.UUID(m.row_id)
    except ValueError:
        return "row_id must be a UUID"
    if m.base_version == _BAD:
        return "base_version must be a non-negative integer or null"
    if m.stamp == _BAD_STAMP:
        return 'stamp must be "<15-digit wall ms>:<6-digit counter>:<device id>" or null'
    if m.op == "delete":
        return patch_problem(m.entity, {}, 0) if m.patch in (None, {}) else "a delete has no patch"
    problem = patch_problem(m.entity, m.patch, m.patch_size)
    if problem is None and isinstance(m.entity, str):
        expanded = expand_patch(m.entity, m.patch)
        if expanded is not m.patch:  # an older app's whole config: judge its settings too
            problem = patch_problem(m.entity, expanded, m.patch_size)
    return problem


async def push(
    conn: AsyncConnection, account_id: uuid.UUID, batch: list[Mutation]
) -> dict[str, Any]:
    """Apply `batch` for `account_id` in `conn`'s transaction; the response body of a push."""
    version = (
        await conn.execute(
            select(accounts.c.version).where(accounts.c.id == account_id).with_for_update()
        )
    ).scalar_one()
    device_ids = {m.device_id for m in batch}
    last_seq: dict[uuid.UUID, int] = {
        r.device_id: r.last_seq
        for r in await conn.execute(
            select(sync_devices.c.device_id, sync_devices.c.last_seq).where(
                sync_devices.c.account_id == account_id, sync_devices.c.device_id.in_(device_ids)
            )
        )
    }
    _refuse_gaps(batch, last_seq)

    replays = [(m.device_id, m.seq) for m in batch if m.seq <= last_seq.get(m.device_id, 0)]
    stored: dict[tuple[uuid.UUID, int], dict[str, Any]] = {}
    if replays:
        stored = {
            (r.device_id, r.seq): r.result
            for r in await conn.execute(
                select(sync_results.c.device_id, sync_results.c.seq, sync_results.c.result).where(
                    sync_results.c.account_id == account_id,
                    tuple_(sync_results.c.device_id, sync_results.c.seq).in_(replays),
                )
            )
        }

    rows = await _load_rows(conn, account_id, batch)
    results: list[dict[str, Any]] = []
    new_results: list[dict[str, Any]] = []
    start_version = version
    for m in batch:
        key = (m.device_id, m.seq)
        if m.seq <= last_seq.get(m.device_id, 0):
            results.append(
                stored.get(key) or _result(m, "applied", None, "already applied (result expired)")
            )
            continue
        problem = _problem(m)
        if problem is not None:
            result = _result(m, "rejected", None, problem)
        else:
            row_key = (m.entity, uuid.UUID(m.row_id))
            row = rows.get(row_key)
            if m.op == "delete":
                if row is not None and row.deleted:
                    result = _result(m, "applied", row.version, None)
                else:
                    version += 1
                    rows[row_key] = _Row({}, {}, version, deleted=True, dirty=True)
                    result = _result(m, "applied", version, None)
            elif row is not None and row.deleted:
                result = _result(m, "rejected", row.version, "the row was deleted; deletes win")
            else:
                if row is None:
                    row = rows[row_key] = _Row({}, {}, 0, deleted=False)
                stamp = m.stamp or service_stamp()
                conflicts = []
                version += 1
                for name, value in expand_patch(m.entity, m.patch).items():
                    if row.field_stamps.get(name, "") > stamp:
                        conflicts.append(name)  # a later edit of this setting is kept
                        continue
                    row.fields[name] = value
                    row.field_versions[name] = version
                    row.field_stamps[name] = stamp
                conflicts.sort()
                row.version = version
                row.dirty = True
                result = _result(m, "applied", version, None, conflicts)
        last_seq[m.device_id] = m.seq
        stored[key] = result
        results.append(result)
        new_results.append(
            {"account_id": account_id, "device_id": m.device_id, "seq": m.seq, "result": result}
        )

    await _write(conn, account_id, rows, new_results, last_seq, device_ids)
    if version != start_version:
        await conn.execute(
            update(accounts).where(accounts.c.id == account_id).values(version=version)
        )
        await notify(conn, {"kind": "changed", "account_id": account_id, "version": version})
    return {"results": results, "version": version}


def _refuse_gaps(batch: list[Mutation], last_seq: dict[uuid.UUID, int]) -> None:
    expected = dict(last_seq)
    for m in batch:
        current = expected.get(m.device_id, 0)
        if m.seq > current + 1:
            raise ApiError(
                409,
                "seq_gap",
                f"Mutation seq {m.seq} of device {m.device_id} skips ahead; send seq "
                f"{current + 1} first. Nothing in this batch was applied.",
                device_id=str(m.device_id),
                expected_seq=current + 1,
            )
        expected[m.device_id] = max(current, m.seq)


def _result(
    m: Mutation,
    status: str,
    version: int | None,
    reason: str | None,
    conflicts: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "device_id": str(m.device_id),
        "seq": m.seq,
        "status": status,
        "version": version,
        "reason": reason,
        # Fields of this write that kept a value with a later stamp (this write lost them).
        "conflicts": conflicts or [],
    }


async def _load_rows(
    conn: AsyncConnection, account_id: uuid.UUID, batch: list[Mutation]
) -> dict[tuple[str, uuid.UUID], _Row]:
    keys = set()
    for m in batch:
        if isinstance(m.entity, str) and isinstance(m.row_id, str):
            with contextlib.suppress(ValueError):
                keys.add((m.entity, uuid.UUID(m.row_id)))
    if not keys:
        return {}
    found = await conn.execute(
        select(sync_rows).where(
            sync_rows.c.account_id == account_id,
            tuple_(sync_rows.c.entity, sync_rows.c.row_id).in_(list(keys)),
        )
    )
    return {
        (r.entity, r.row_id): _Row(
            dict(r.fields),
            dict(r.field_versions),
            r.version,
            r.deleted,
            field_stamps=dict(r.field_stamps),
        )
        for r in found
    }


async def _write(
    conn: AsyncConnection,
    account_id: uuid.UUID,
    rows: dict[tuple[str, uuid.UUID], _Row],
    new_results: list[dict[str, Any]],
    last_seq: dict[uuid.UUID, int],
    device_ids: set[uuid.UUID],
) -> None:
    dirty = [
        {
            "account_id": account_id,
            "entity": entity,
            "row_id": row_id,
            "fields": row.fields,
            "field_versions": row.field_versions,
            "field_stamps": row.field_stamps,
            "version": row.version,
            "deleted": row.deleted,
        }
        for (entity, row_id), row in rows.items()
        if row.dirty
    ]
    if dirty:
        stmt = insert(sync_rows)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[sync_rows.c.account_id, sync_rows.c.entity, sync_rows.c.row_id],
                set_={
                    "fields": stmt.excluded.fields,
                    "field_versions": stmt.excluded.field_versions,
                    "field_stamps": stmt.excluded.field_stamps,
                    "version": stmt.excluded.version,
                    "deleted": stmt.excluded.deleted,
                },
            ),
            dirty,
        )
    if new_results:
        await conn.execute(insert(sync_results), new_results)
        stmt = insert(sync_devices)
        await conn.execute(
            stmt.on_conflict_do_update(
                index_elements=[sync_devices.c.account_id, sync_devices.c.device_id],
                set_={"last_seq": stmt.excluded.last_seq},
            ),
            [
                {"account_id": account_id, "device_id": d, "last_seq": last_seq[d]}
                for d in device_ids
                if d in last_seq
            ],
        )
        for d in {r["device_id"] for r in new_results}:
            await conn.execute(
                delete(sync_results).where(
                    sync_results.c.account_id == account_id,
                    sync_results.c.device_id == d,
                    sync_results.c.seq <= last_seq[d] - KEEP_RESULTS,
                )
            )


def row_json(r: Any, per_setting: bool = True) -> dict[str, Any]:
    fields, versions, stamps = r.fields, r.field_versions, r.field_stamps
    if not per_setting and r.entity in PATH_FIELDS:
        fields, versions, stamps = _joined(r.entity, fields, versions, stamps)
    return {
        "entity": r.entity,
        "row_id": str(r.row_id),
        "version": r.version,
        "deleted": r.deleted,
        "fields": fields,
        "field_versions": versions,
        "field_stamps": stamps,
    }


def _joined(
    entity: str, fields: dict[str, Any], versions: dict[str, int], stamps: dict[str, str]
) -> tuple[dict[str, Any], dict[str, int], dict[str, str]]:
    """A row as an app from before per-setting sync reads it: each object field (`config`)
    whole, its version the newest of its settings' (such an app pulls without `per_setting`)."""
    out, out_versions = {}, {}
    out_stamps = {k: v for k, v in stamps.items() if "." not in k}
    # The later-stamped setting last: where a setting and one inside it both hold a value
    # (two computers disagreed on its shape), the later edit shapes it.
    for name, value in sorted(fields.items(), key=lambda item: stamps.get(item[0], "")):
        top, dot, path = name.partition(".")
        if not dot or top not in PATH_FIELDS[entity]:
            out[name] = value
            out_versions[name] = versions.get(name, 0)
            continue
        node = out.setdefault(top, {})
        out_versions[top] = max(out_versions.get(top, 0), versions.get(name, 0))
        if value is None:
            continue  # a setting that was removed: no value
        keys = path.split(".")
        for key in keys[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[keys[-1]] = value
    return out, out_versions, out_stamps


async def pull(
    conn: AsyncConnection, account_id: uuid.UUID, since: int, limit: int, per_setting: bool = True
) -> dict[str, Any]:
    """Rows and tombstones above `since` in version order. Run in a REPEATABLE READ transaction,
    so `next` on the last page (the account version) is consistent with the rows read."""
    account_version = (
        await conn.execute(select(accounts.c.version).where(accounts.c.id == account_id))
    ).scalar_one()
    if since >= account_version:
        # The common poll: nothing new. Skip the row query (and its index scan).
        return {"changes": [], "next": since, "has_more": False, "version": account_version}
    query = (
        select(sync_rows)
        .where(sync_rows.c.account_id == account_id, sync_rows.c.version > since)
        .order_by(sync_rows.c.version)
        .limit(limit + 1)
    )
    # Tombstones come even on a first pull (since=0): a device may hold rows it created
    # offline and pushed, which another device deleted before this one ever pulled.
    found = (await conn.execute(query)).all()
    has_more = len(found) > limit
    page = found[:limit]
    cursor = page[-1].version if has_more else max(since, account_version)
    return {
        "changes": [row_json(r, per_setting) for r in page],
        "next": cursor,
        "has_more": has_more,
        "version": account_version,
    }
