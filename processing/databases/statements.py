"""Carrying an erasure's plan out in a platform database: per table and batch one statement
(`DELETE … WHERE pk IN (…)`, an `UPDATE`; hashed values, which differ per row, joined from
arrays on PostgreSQL, one statement per row in SQLite's process).

`execute` gives each batch its own transaction; `done` names the batches already committed,
so a killed run resumes where it stopped and a finished one does nothing. `carry_out` runs a
whole plan in the caller's transaction (`bulk.erase_many`).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from processing.databases.erase import BATCH, DELETE, KEEP, Plan, Step
from processing.databases.manifest import ERASE_CLEAR, ERASE_HASH, ERASE_VALUE
from processing.databases.reach import Reflected


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
    reflected: Reflected | None = None,
    skip_hashed: bool = False,
) -> list[Batch]:
    """Carry the plan out, skipping the batches `done` names; `on_done` records each batch
    inside its transaction's commit order (called after the commit). `skip_hashed` (a replay
    of the plan): a value that already holds a keyed hash is left as it is, not hashed
    again."""
    reflected = reflected or Reflected()
    acting = [step.table for step in plan.steps if step.action != KEEP]
    ran: list[Batch] = []
    for step in plan.steps:
        if step.action == KEEP:
            continue
        for index, keys in enumerate(step.batches(batch_size)):
            if (step.table, index) in done:
                continue
            with engine.begin() as connection:
                table = reflected.tables(connection, acting)[step.table]
                rows = _apply(connection, table, step, keys, hash_key, skip_hashed=skip_hashed)
            batch = Batch(step.table, index, rows)
            ran.append(batch)
            if on_done is not None:
                on_done(batch)
    return ran


def carry_out(
    connection: sa.Connection,
    plan: Plan,
    *,
    hash_key: bytes,
    batch_size: int = BATCH,
    reflected: Reflected | None = None,
) -> list[Batch]:
    """`execute` inside the caller's transaction: all of the plan or, rolled back, none of it
    (nothing to record: a rerun plans again)."""
    reflected = reflected or Reflected()
    acting = [step.table for step in plan.steps if step.action != KEEP]
    tables = reflected.tables(connection, acting)
    return [
        Batch(step.table, index, _apply(connection, tables[step.table], step, keys, hash_key))
        for step in plan.steps
        if step.action != KEEP
        for index, keys in enumerate(step.batches(batch_size))
    ]


def _apply(
    connection: sa.Connection,
    table: sa.Table,
    step: Step,
    keys: list[list[Any]],
    hash_key: bytes,
    *,
    skip_hashed: bool = False,
) -> int:
    primary = list(table.primary_key.columns)
    where, named = _keys_in(primary, keys)
    if step.action == DELETE:
        return int(connection.execute(sa.delete(table).where(where), named).rowcount)
    fixed: dict[str, Any] = {}
    for column, how in step.columns.items():
        if how == ERASE_CLEAR:
            fixed[column] = None
        elif how == ERASE_VALUE:
            fixed[column] = step.values[column]
    hashed = [c for c, how in step.columns.items() if how == ERASE_HASH]
    if not hashed:
        statement = sa.update(table).where(where).values(**fixed)
        return int(connection.execute(statement, named).rowcount)
    current = connection.execute(
        sa.select(*primary, *[table.c[c] for c in hashed]).where(where), named
    ).all()
    if not current:
        return 0
    n = len(primary)
    lengths = [getattr(table.c[c].type, "length", None) for c in hashed]
    rows = [
        (
            *row[:n],
            *(
                v if skip_hashed and looks_hashed(v, m) else keyed_hash(v, hash_key, m)
                for v, m in zip(row[n:], lengths, strict=True)
            ),
        )
        for row in current
    ]
    if connection.dialect.name == "postgresql":
        return _update_from_arrays(connection, table, primary, hashed, fixed, rows)
    # Elsewhere (SQLite, in-process: no round trip per row) one statement run for each row.
    statement = (
        sa.update(table)
        .where(*[c == sa.bindparam(f"_key{i}") for i, c in enumerate(primary)])
        .values(**fixed, **{c: sa.bindparam(f"_hash{i}") for i, c in enumerate(hashed)})
    )
    names = [f"_key{i}" for i in range(n)] + [f"_hash{i}" for i in range(len(hashed))]
    result = connection.execute(statement, [dict(zip(names, row, strict=True)) for row in rows])
    return int(result.rowcount)


def looks_hashed(value: Any, length: int | None) -> bool:
    """Whether the value is a keyed hash as `keyed_hash` writes it (hexadecimal, the digest's
    length or the column's): the original cannot be known, and an identifier that is all
    hexadecimal digits of exactly that length is not one a person has."""
    size = min(length, 64) if length else 64
    return isinstance(value, str) and len(value) == size and not value.strip(HEX)


HEX = "0123456789abcdef"


def _update_from_arrays(
    connection: sa.Connection,
    table: sa.Table,
    primary: Sequence[sa.Column[Any]],
    hashed: Sequence[str],
    fixed: Mapping[str, Any],
    rows: Sequence[tuple[Any, ...]],
) -> int:
    """One `UPDATE … FROM unnest(keys, hashes)` on PostgreSQL: the hashes differ per row; a
    join on the key is a lookup per row where `CASE key WHEN …` is a comparison per pair, and
    two array parameters keep the statement the same for every batch (compiled once, where a
    `VALUES` list of a thousand rows is compiled anew each time)."""
    columns = [*primary, *[table.c[c] for c in hashed]]
    names = [f"_array{i}" for i in range(len(columns))]
    arrays = (
        sa.func.unnest(
            *[sa.cast(sa.bindparam(n), ARRAY(c.type)) for n, c in zip(names, columns, strict=True)]
        )
        .table_valued(*names)
        .render_derived()
    )
    statement = (
        sa.update(table)
        .where(*[c == arrays.c[n] for c, n in zip(primary, names, strict=False)])
        .values(
            **fixed,
            **{c: arrays.c[n] for c, n in zip(hashed, names[len(primary) :], strict=True)},
        )
    )
    named = {n: [row[i] for row in rows] for i, n in enumerate(names)}
    return int(connection.execute(statement, named).rowcount)


def _keys_in(
    primary: Sequence[sa.Column[Any]], keys: list[list[Any]]
) -> tuple[sa.ColumnElement[bool], dict[str, Any]]:
    """The condition naming these rows, and its parameters: an expanding parameter for a
    one-column key (the statement cached once, not built per key)."""
    if len(primary) == 1:
        return primary[0].in_(sa.bindparam("_keys", expanding=True)), {
            "_keys": [k[0] for k in keys]
        }
    return sa.tuple_(*primary).in_([tuple(k) for k in keys]), {}
