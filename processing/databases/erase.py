"""Erasing a person from a platform database by its manifest: planned, then (`statements`)
carried out set-based and resumable, then proved by looking for them again.

1. `plan_erasure` reads the person's rows (their keys and the columns references use) and fixes
   what happens to each table: its rows deleted, its personal columns changed (cleared,
   replaced by a keyed hash, or a fixed value), or kept with the manifest's reason. Deletes run
   children before parents, in the order the foreign keys give; a row of someone else that
   refers to a row about to be deleted refuses the plan (unless its key sets NULL on delete),
   as does a cycle of deletes — nothing is half-applied. The rows that find the person (the
   identity tables') change last, so a run killed before its end leaves them findable. The
   plan holds the rows' primary keys: it is what a rerun follows, since after a first batch
   the person may no longer be findable.
2. `statements.execute` runs the plan one table and batch at a time (see there).
3. `refind` looks for the person again by every identity: what it still finds that is
   personal (kept rows aside) is the certificate's failure.

`bulk.erase_many` does all three for many people in one run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from processing.databases.manifest import ERASE_CLEAR, ERASE_VALUE, Manifest, Problem
from processing.databases.reach import CHUNK, Found, Reflected, find, find_columns
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
    *,
    reflected: Reflected | None = None,
) -> Plan:
    """The plan for the person with these identities (several people's together make one
    plan for all of them). `reflected`: tables already reflected, reused across plans."""
    reflected = reflected or Reflected()
    referred: dict[str, set[str]] = {}  # table → its columns other tables' foreign keys use
    for referrer in live.tables.values():
        for fk in referrer.foreign_keys:
            if len(fk.columns) == 1:
                referred.setdefault(fk.table, set()).add(fk.referred[0])
    found = find_columns(connection, manifest, identities, reflected=reflected, columns=referred)
    tables = reflected.tables(connection, found.rows)
    steps: dict[str, Step] = {}
    for name, rows in found.rows.items():
        if not rows:
            continue
        spec = manifest.tables[name]
        keys = _keys(tables[name], rows)
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
    problems = _blocking_rows(connection, live, reflected, found, steps, manifest)
    # The rows that find the person change last: a run killed before its end leaves them
    # findable, and a fresh plan finds what is left (a stored plan is not always at hand).
    finding = {name for name in steps if manifest.tables[name].identities}
    order = delete_order(manifest, steps, problems, last=finding)
    if problems:
        raise PlanRefused(problems)
    others = [s for s in steps.values() if s.action != DELETE and s.table not in finding]
    last = [s for s in steps.values() if s.action != DELETE and s.table in finding]
    return Plan(steps=others + [steps[name] for name in order] + last)


def _keys(table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    primary = [c.name for c in table.primary_key.columns]
    if not primary:
        raise PlanRefused(
            [Problem(f"tables.{table.name}", "has no primary key: its rows cannot be named")]
        )
    return [[row[c] for c in primary] for row in rows]


def delete_order(
    manifest: Manifest,
    steps: Mapping[str, Step],
    problems: list[Problem],
    *,
    last: Collection[str] = (),
) -> list[str]:
    """The deleting tables, children before parents (Kahn's order on the references); of the
    tables free to go, those named `last` go last."""
    deleting = {n for n, s in steps.items() if s.action == DELETE}
    parents: dict[str, set[str]] = {n: set() for n in deleting}
    for child, column in manifest.references():
        assert column.references is not None
        parent = column.references[0]
        if child in deleting and parent in deleting and parent != child:
            parents[child].add(parent)
    remaining = {n: {c for c, ps in parents.items() if n in ps} for n in deleting}
    order: list[str] = []
    ready = {n for n in deleting if not remaining[n]}
    while ready:
        name = min(ready, key=lambda n: (n in last, n))
        ready.discard(name)
        order.append(name)
        for parent in parents[name]:
            remaining[parent].discard(name)
            if not remaining[parent] and parent not in order:
                ready.add(parent)
    stuck = sorted(deleting - set(order))
    if stuck:
        problems.append(
            Problem("tables", f"a cycle of deletes without a delete rule: {', '.join(stuck)}")
        )
    return order


def _blocking_rows(
    connection: sa.Connection,
    live: LiveSchema,
    reflected: Reflected,
    found: Found,
    steps: Mapping[str, Step],
    manifest: Manifest,
) -> list[Problem]:
    """Rows of someone else (or of a table not in the plan) referring to a row the plan
    deletes: a foreign-key error mid-run, or a cascade into data that is not the person's.
    Where the manifest models the key, `find` has followed it and the referring rows are among
    the found ones; other keys are asked, a statement per chunk of deleted rows."""
    followed = {
        (child, column.name, *column.references)
        for child, column in manifest.references()
        if column.references is not None and child in found.rows
    }
    problems = []
    for name, step in steps.items():
        if step.action != DELETE:
            continue
        for referrer in live.tables.values():
            for fk in referrer.foreign_keys:
                if fk.table != name or fk.on_delete == "SET NULL" or len(fk.columns) != 1:
                    continue
                column, referred = fk.columns[0], fk.referred[0]
                deleted = {row[referred] for row in found.rows[name]} - {None}
                mine = (
                    {tuple(k) for k in steps[referrer.name].keys}
                    if referrer.name in steps and steps[referrer.name].action == DELETE
                    else set()
                )
                if (referrer.name, column, name, referred) in followed and referrer.name != name:
                    table = reflected.tables(connection, [referrer.name])[referrer.name]
                    primary = [c.name for c in table.primary_key.columns]
                    others = sum(
                        1
                        for row in found.rows[referrer.name]
                        if row[column] in deleted and tuple(row[c] for c in primary) not in mine
                    )
                else:
                    others = _referring(connection, reflected, referrer.name, column, deleted, mine)
                if others:
                    how = (
                        "would be deleted with them (ON DELETE CASCADE)"
                        if fk.on_delete == "CASCADE"
                        else "refer to them (no delete rule)"
                    )
                    problems.append(
                        Problem(
                            f"tables.{referrer.name}.columns.{column}",
                            f"{others} row(s) the plan does not delete {how}: deleting the "
                            f"person's {name} rows would fail or take them along",
                        )
                    )
    return problems


def _referring(
    connection: sa.Connection,
    reflected: Reflected,
    name: str,
    column: str,
    deleted: Collection[Any],
    mine: Collection[tuple[Any, ...]],
) -> int:
    """How many rows of `name` outside `mine` have `column` in `deleted`."""
    table = reflected.tables(connection, [name])[name]
    primary = list(table.primary_key.columns)
    where = table.c[column].in_(sa.bindparam("_deleted", expanding=True))
    others = 0
    for chunk in _chunks(sorted(deleted)):
        named = {"_deleted": list(chunk)}
        if not primary:
            statement = sa.select(sa.func.count()).select_from(table).where(where)
            others += connection.execute(statement, named).scalar_one()
            continue
        rows = connection.execute(sa.select(*primary).where(where), named).all()
        others += sum(1 for r in rows if tuple(r) not in mine)
    return others


def refind(
    connection: sa.Connection,
    manifest: Manifest,
    identities: Mapping[str, Sequence[str]],
    *,
    reflected: Reflected | None = None,
) -> dict[str, int]:
    """What is still found of the person, per table, outside the tables that keep it: rows a
    delete should have removed, an identity still readable, a cleared column not empty, a
    fixed value not written. Empty for a complete erasure."""
    found: Found = find(connection, manifest, identities, reflected=reflected)
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


def _chunks(values: Sequence[Any], size: int = CHUNK) -> list[Sequence[Any]]:
    return [values[i : i + size] for i in range(0, len(values), size)]
