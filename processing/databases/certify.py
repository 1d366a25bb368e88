"""An erasure in a platform database, on the record: its entry in the erasure ledger, made
before its first statement runs, and its replay after a restore of that database's backup.

The entry (`retention.ledger.record_erasure`, source *platform*) holds the system, the
manifest's version and the plan — per table, the rows' keys and what is done to them — never a
value of the person: so the erasure's extent is proved in the ledger and its copy outside the
portal's database, and `replay` can make it again in a database restored from a backup taken
before it. A replay runs each plan again (deleting rows already gone deletes nothing; clearing
a column already empty changes nothing; a value that already holds its keyed hash is left as
it is) and then checks what it can without the person's identities, which the ledger never
holds: no deleted row is there, no cleared column holds a value, every fixed value is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from django.utils.crypto import salted_hmac

from processing.databases.erase import DELETE, KEEP, Plan
from processing.databases.manifest import ERASE_CLEAR, ERASE_VALUE
from processing.databases.statements import execute
from retention.ledger import record_erasure
from retention.models import ErasureAction, ErasureEntry, ErasureSource

RECORD_TYPE = "platform-database"


def hash_key() -> bytes:
    """The key of the keyed hashes written over erased identifiers: derived from the
    portal's secret, so the same value hashes alike across runs (rows stay joinable)."""
    return salted_hmac("processing.databases.erase", "platform-identifiers").digest()


def record(
    *, system_id: int, task_id: int, manifest_version: int, plan: Plan, reason: str
) -> ErasureEntry:
    """The ledger entry of an erasure about to run in the system's database."""
    updates = any(step.action not in (DELETE, KEEP) for step in plan.steps)
    return record_erasure(
        source=ErasureSource.PLATFORM,
        record_type=RECORD_TYPE,
        action=ErasureAction.ANONYMISE if updates else ErasureAction.DELETE,
        ids=[task_id],
        reason=reason,
        details={"system": system_id, "manifest": manifest_version, "plan": plan.as_json()},
    )


def entries_of(system_id: int, entries: Iterable[ErasureEntry]) -> list[ErasureEntry]:
    return [
        entry
        for entry in entries
        if entry.source == ErasureSource.PLATFORM
        and isinstance(entry.details, dict)
        and entry.details.get("system") == system_id
    ]


def left_behind(connection: sa.Connection, plan: Plan) -> dict[str, int]:
    """Per table, the planned rows not as the plan leaves them: a deleted row still there,
    a cleared column holding a value, a fixed value not written."""
    metadata = sa.MetaData()
    left: dict[str, int] = {}
    for step in plan.steps:
        if step.action == KEEP or not step.keys:
            continue
        table = sa.Table(step.table, metadata, autoload_with=connection)
        primary = list(table.primary_key.columns)
        wrong: list[sa.ColumnElement[bool]] = []
        if step.action != DELETE:
            for column, how in step.columns.items():
                if how == ERASE_CLEAR:
                    wrong.append(table.c[column].is_not(None))
                elif how == ERASE_VALUE:
                    wrong.append(table.c[column] != step.values[column])
            if not wrong:
                continue
        count = 0
        for batch in step.batches(900):
            if len(primary) == 1:
                where = primary[0].in_([key[0] for key in batch])
            else:
                where = sa.tuple_(*primary).in_([tuple(key) for key in batch])
            query = sa.select(sa.func.count()).select_from(table).where(where)
            if wrong:
                query = query.where(sa.or_(*wrong))
            count += int(connection.execute(query).scalar_one())
        if count:
            left[step.table] = count
    return left


@dataclass
class Replayed:
    entry: str
    recorded_at: dt.datetime
    rows: int
    left: dict[str, int] = field(default_factory=dict)


def replay(url: str, entries: Iterable[ErasureEntry]) -> list[Replayed]:
    """Make each entry's erasure again in the database at `url`, in ledger order."""
    engine = sa.create_engine(url)
    done: list[Replayed] = []
    try:
        for entry in sorted(entries, key=lambda e: e.recorded_at):
            details: dict[str, Any] = entry.details or {}
            plan = Plan.from_json(details.get("plan") or [])
            batches = execute(engine, plan, hash_key=hash_key(), skip_hashed=True)
            with engine.connect() as connection:
                left = left_behind(connection, plan)
            done.append(
                Replayed(
                    entry=str(entry.uuid),
                    recorded_at=entry.recorded_at,
                    rows=sum(batch.rows for batch in batches),
                    left=left,
                )
            )
    finally:
        engine.dispose()
    return done
