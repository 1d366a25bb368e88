"""Erasing a person from a platform database by its manifest (issue 23, item 5): planned,
carried out set-based and resumable, then proved by looking for them again.

1. `plan_erasure` reads the person's rows (`reach.find`) and the live schema, and fixes what
   happens to each table: its rows deleted, its personal columns changed (cleared, replaced by
   a keyed hash, or a fixed value), or kept with the manifest's reason. Deletes run children
   before parents, in the order the foreign keys give; a row of someone else that refers to a
   row about to be deleted refuses the plan (unless its key sets NULL on delete), as does a
   cycle of deletes — nothing is half-applied. The plan holds the rows' primary keys: it is
   what a rerun follows, since after a first batch the person may no longer be findable.
2. `execute` runs the plan one table and batch at a time, each batch its own transaction with
   one statement (`DELETE … WHERE pk IN (…)`, or one `UPDATE … FROM (VALUES …)` for hashed
   values); `done` names the batches already committed, so a killed run resumes where it
   stopped and a finished one does nothing.
3. `refind` looks for the person again by every identity: what it still finds that is
   personal (kept rows aside) is the certificate's failure.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from processing.databases.manifest import ERASE_CLEAR, ERASE_HASH, ERASE_VALUE, Manifest, Problem
from processing.databases.reach import Found, find
from processing.databases.schema import LiveSchema

BATCH = 1000
DELETE, UPDATE, KEEP = "delete", "update", "keep"


class PlanRefused(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Step:
    """What happens to one table's rows of the person."""

    table: str
    action: str  # DELETE, UPDATE or KEEP
    keys: list[list[Any]] = field(default_factory=list)  # primary keys of the person's rows
    columns: dict[str, str] = field(default_factory=dict)  # column → clear / hash / value
    values: dict[str, Any] = field(default_factory=dict)  # column → the fixed value
    reason: str = ""  # why kept

    def batches(self, size: int = BATCH) -> list[list[list[Any]]]:
        return [self.keys[i : i + size] for i in range(0, len(self.keys), size)]


@dataclass
class Plan:
    steps: list[Step] = field(default_factory=list)

    def as_json(self) -> list[dict[str, Any]]:
        return [asdict(step) for step in self.steps]

    @classmethod
    def from_json(cls, data: Sequence[Mapping[str, Any]]) -> Plan:
        return cls(steps=[Step(**dict(step)) for step in data])

    def dry_run(self) -> list[dict[str, Any]]:
        """Per table: how many rows, and what would change (the DPO's preview)."""
        return [
            {
                "table": s.table,
                "action": s.action,
                "rows": len(s.keys),
                "columns": sorted(s.columns),
                "reason": s.reason,
            }
            for s in self.steps
        ]


def plan_erasure(
    connection: sa.Connection,
    manifest: Manifest,
    live: LiveSchema,
    identities: Mapping[str, Sequence[str]],
) -> Plan:
    found = find(connection, manifest, identities)
    metadata = sa.MetaData()
    tables = {name: sa.Table(name, metadata, autoload_with=connection) for name in found.rows}
    steps: dict[str, Step] = {}
    for name, rows in found.rows.items():
        if not rows:
            continue
        spec = manifest.tables[name]
        keys = [_key(tables[name], row) for row in rows]
        if spec.keep is not None:
            steps[name] = Step(name, KEEP, keys, reason=spec.keep.reason)
        elif spec.delete_rows:
            steps[name] = Step(name, DELETE, keys)
        else:
            changed = {c.name: c.erase for c in spec.personal_columns if c.erase is not None}
            steps[name] = Step(
                name,
                UPDATE,
                keys,
                columns={c: e.how for c, e in changed.items()},
                values={c: e.value for c, e in changed.items() if e.how == ERASE_VALUE},
            )
    problems = _blocking_rows(connection, live, tables, steps)
    order = _delete_order(manifest, steps, problems)
    if problems:
        raise PlanRefused(problems)
    updates = [s for s in steps.values() if s.action != DELETE]
    return Plan(steps=[steps[name] for name in order] + updates)


def _key(table: sa.Table, row: Mapping[str, Any]) -> list[Any]:
    primary = [c.name for c in table.primary_key.columns]
    if not primary:
        raise PlanRefused(
            [Problem(f"tables.{table.name}", "has no primary key: its rows cannot be named")]
        )
    return [row[c] for c in primary]


def _delete_order(
    manifest: Manifest, steps: Mapping[str, Step], problems: list[Problem]
) -> list[str]:
    """The deleting tables, children before parents (Kahn's order on the references)."""
    deleting = {n for n, s in steps.items() if s.action == DELETE}
    parents: dict[str, set[str]] = {n: set() for n in deleting}
    for child, column in manifest.references():
        assert column.references is not None
        parent = column.references[0]
        if child in deleting and parent in deleting and parent != child:
            parents[child].add(parent)
    children = {n: {c for c, ps in parents.items() if n in ps} for n in deleting}
    order: list[str] = []
    ready = sorted(n for n in deleting if not children[n])
    remaining = {n: set(cs) for n, cs in children.items()}
    while ready:
        name = ready.pop(0)
        order.append(name)
        for parent in parents[name]:
            remaining[parent].discard(name)
            if not remaining[parent] and parent not in order and parent not in ready:
                ready.append(parent)
    stuck = sorted(deleting - set(order))
    if stuck:
        problems.append(
            Problem("tables", f"a cycle of deletes without a delete rule: {', '.join(stuck)}")
        )
    return order


def _blocking_rows(
    connection: sa.Connection,
    live: LiveSchema,
    tables: Mapping[str, sa.Table],
    steps: Mapping[str, Step],
) -> list[Problem]:
    """Rows of someone else (or of a table not in the plan) referring to a row the plan
    deletes: a foreign-key error mid-run, or a cascade into data that is not the person's."""
    problems = []
    for name, step in steps.items():
        if step.action != DELETE:
            continue
        primary = [c.name for c in tables[name].primary_key.columns]
        if len(primary) != 1:
            continue
        deleted = [k[0] for k in step.keys]
        for referrer in live.tables.values():
            for fk in referrer.foreign_keys:
                if fk.table != name or fk.on_delete == "SET NULL" or len(fk.columns) != 1:
                    continue
                table = sa.Table(referrer.name, sa.MetaData(), autoload_with=connection)
                mine = (
                    {tuple(k) for k in steps[referrer.name].keys}
                    if referrer.name in steps and steps[referrer.name].action == DELETE
                    else set()
                )
                others = 0
                for chunk in _chunks(deleted):
                    rows = connection.execute(
                        sa.select(*table.primary_key.columns).where(
                            table.c[fk.columns[0]].in_(chunk)
                        )
                    ).all()
                    others += sum(1 for r in rows if tuple(r) not in mine)
                if others:
                    how = (
                        "would be deleted with them (ON DELETE CASCADE)"
                        if fk.on_delete == "CASCADE"
                        else "refer to them (no delete rule)"
                    )
                    problems.append(
                        Problem(
                            f"tables.{referrer.name}.columns.{fk.columns[0]}",
                            f"{others} row(s) the plan does not delete {how}: deleting the "
                            f"person's {name} rows would fail or take them along",
                        )
                    )
    return problems


def keyed_hash(value: Any, key: bytes, length: int | None = None) -> str | None:
    if value is None:
        return None
    digest = hmac.new(key, str(value).encode(), hashlib.sha256).hexdigest()
    return digest[:length] if length else digest


@dataclass
class Batch:
    table: str
    index: int
    rows: int


def execute(
    engine: sa.Engine,
    plan: Plan,
    *,
    hash_key: bytes,
    done: Collection[tuple[str, int]] = (),
    on_done: Callable[[Batch], None] | None = None,
    batch_size: int = BATCH,
) -> list[Batch]:
    """Carry the plan out, skipping the batches `done` names; `on_done` records each batch
    inside its transaction's commit order (called after the commit)."""
    ran: list[Batch] = []
    metadata = sa.MetaData()
    for step in plan.steps:
        if step.action == KEEP:
            continue
        for index, keys in enumerate(step.batches(batch_size)):
            if (step.table, index) in done:
                continue
            with engine.begin() as connection:
                table = (
                    sa.Table(step.table, metadata, autoload_with=connection)
                    if step.table not in metadata.tables
                    else metadata.tables[step.table]
                )
                rows = _apply(connection, table, step, keys, hash_key)
            batch = Batch(step.table, index, rows)
            ran.append(batch)
            if on_done is not None:
                on_done(batch)
    return ran


def _apply(
    connection: sa.Connection, table: sa.Table, step: Step, keys: list[list[Any]], hash_key: bytes
) -> int:
    primary = list(table.primary_key.columns)
    where = _keys_in(primary, keys)
    if step.action == DELETE:
        return int(connection.execute(sa.delete(table).where(where)).rowcount)
    fixed: dict[str, Any] = {}
    for column, how in step.columns.items():
        if how == ERASE_CLEAR:
            fixed[column] = None
        elif how == ERASE_VALUE:
            fixed[column] = step.values[column]
    hashed = [c for c, how in step.columns.items() if how == ERASE_HASH]
    if not hashed:
        return int(connection.execute(sa.update(table).where(where).values(**fixed)).rowcount)
    # The hashes differ per row: one UPDATE … SET c = CASE key WHEN … THEN … END (standard
    # SQL: SQLite has no column list on a VALUES alias).
    current = connection.execute(
        sa.select(*primary, *[table.c[c] for c in hashed]).where(where)
    ).all()
    if not current:
        return 0
    n = len(primary)
    for offset, column in enumerate(hashed):
        length = getattr(table.c[column].type, "length", None)
        whens = [
            (_key_is(primary, row[:n]), keyed_hash(row[n + offset], hash_key, length))
            for row in current
        ]
        fixed[column] = sa.case(*whens, else_=table.c[column])
    return int(connection.execute(sa.update(table).where(where).values(**fixed)).rowcount)


def _key_is(primary: Sequence[sa.Column[Any]], key: Sequence[Any]) -> sa.ColumnElement[bool]:
    return sa.and_(*[column == value for column, value in zip(primary, key, strict=True)])


def _keys_in(primary: Sequence[sa.Column[Any]], keys: list[list[Any]]) -> sa.ColumnElement[bool]:
    if len(primary) == 1:
        return primary[0].in_([k[0] for k in keys])
    return sa.tuple_(*primary).in_([tuple(k) for k in keys])


def refind(
    connection: sa.Connection, manifest: Manifest, identities: Mapping[str, Sequence[str]]
) -> dict[str, int]:
    """What is still found of the person, per table, outside the tables that keep it: rows a
    delete should have removed, an identity still readable, a cleared column not empty, a
    fixed value not written. Empty for a complete erasure."""
    found: Found = find(connection, manifest, identities)
    wanted = {v.lower() for values in identities.values() for v in values}
    left = {}
    for name, rows in found.rows.items():
        spec = manifest.tables[name]
        if spec.keep is not None or not rows:
            continue
        still = rows if spec.delete_rows else [r for r in rows if _identifying(spec, r, wanted)]
        if still:
            left[name] = len(still)
    return left


def _identifying(spec: Any, row: Mapping[str, Any], wanted: set[str]) -> bool:
    for column in spec.identities:
        if row[column.name] is not None and str(row[column.name]).lower() in wanted:
            return True
    for column in spec.personal_columns:
        erase = column.erase
        if erase is None:
            continue
        if erase.how == ERASE_CLEAR and row[column.name] is not None:
            return True
        if erase.how == ERASE_VALUE and row[column.name] != erase.value:
            return True
    return False


def _chunks(values: Sequence[Any], size: int = 900) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
