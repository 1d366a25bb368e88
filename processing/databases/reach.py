"""Finding a person's rows in a platform database by its manifest.

From the person's identities (their e-mail in any case, their external id, their phone), the
rows of the identity tables; then, table by table, the rows whose `references` lead to one of
theirs — and only those: a comment the person wrote on someone else's project is theirs, the
project is not; a reply to their comment (a reference of a table to itself) is its author's.
One set-based `SELECT … WHERE column IN (…)` per table and chunk of keys (or of identities:
many people are found together), never one per row; the tables reflected once per run
(`Reflected`) when a caller finds many times.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from processing.databases.manifest import Manifest

# Keys per `IN (…)`: under SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 900


@dataclass
class Found:
    """The person's rows, per table (every column, as the database holds them)."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def count(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def personal(self, manifest: Manifest) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """What the person is told, by data category: per category, per table, the rows'
        personal columns only (no keys, no columns marked not personal)."""
        told: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name, rows in self.rows.items():
            columns = manifest.tables[name].personal_columns
            for category in sorted({c.category for c in columns}):
                mine = [c.name for c in columns if c.category == category]
                said = [{c: row[c] for c in mine} for row in rows]
                said = [
                    values for values in said if any(v not in (None, "") for v in values.values())
                ]
                if said:
                    told.setdefault(category, {})[name] = said
        return told


def identities_of(email: str = "", external_id: str = "", phone: str = "") -> dict[str, list[str]]:
    given = {"email": email.strip(), "external_id": external_id.strip(), "phone": phone.strip()}
    return {role: [value] for role, value in given.items() if value}


class Reflected:
    """Tables as SQLAlchemy reflects them (types, primary keys), each read from the catalog
    once and then reused: by a plan and its execution, by a run over many people. Reflecting
    is a few catalog queries per table — most of a person's cost when repeated per person."""

    def __init__(self) -> None:
        self._metadata = sa.MetaData()

    def tables(self, connection: sa.Connection, names: Iterable[str]) -> dict[str, sa.Table]:
        wanted = list(dict.fromkeys(names))
        missing = [name for name in wanted if name not in self._metadata.tables]
        if missing:
            # One pass for all of them (PostgreSQL reads its catalog for many tables at once);
            # the tables they refer to are not needed.
            self._metadata.reflect(bind=connection, only=missing, resolve_fks=False)
        return {name: self._metadata.tables[name] for name in wanted}


def find(
    connection: sa.Connection,
    manifest: Manifest,
    identities: Mapping[str, Sequence[str]],
    *,
    reflected: Reflected | None = None,
) -> Found:
    """The rows of the person with these identities (role → values), in every reached table.
    Several people's identities together find all their rows, in the same statements."""
    return find_columns(connection, manifest, identities, reflected=reflected)


def find_columns(
    connection: sa.Connection,
    manifest: Manifest,
    identities: Mapping[str, Sequence[str]],
    *,
    reflected: Reflected | None = None,
    columns: Mapping[str, Collection[str]] | None = None,
) -> Found:
    """`find`, reading of each table only its primary key, the columns its references use and
    the `columns` named (an erasure's plan needs no more): all columns without `columns`."""
    reached = manifest.reached()
    names = [name for name in manifest.tables if name in reached]
    tables = (reflected or Reflected()).tables(connection, names)
    links = _links(manifest, tables)
    selected = {
        name: _selected(table, links, (columns or {}).get(name, ()))
        if columns is not None
        else list(table.columns)
        for name, table in tables.items()
    }
    found = Found()
    seen: dict[str, set[Any]] = {}  # table → the rows' primary keys (or whole rows) found
    for name, table in tables.items():
        for column in manifest.tables[name].identities:
            values = list(dict.fromkeys(identities.get(column.identity, ())))
            if not values:
                continue
            found.rows.setdefault(name, [])
            if column.identity == "email":
                target: sa.ColumnElement[Any] = sa.func.lower(table.c[column.name])
                values = list(dict.fromkeys(v.lower() for v in values))
            else:
                target = table.c[column.name]
            _add(found, seen, table, _rows_in(connection, selected[name], target, values))
    _follow_references(connection, links, tables, selected, found, seen)
    return found


Link = tuple[str, str, str, str]  # (child table, its column, parent table, the parent's column)


def _links(manifest: Manifest, tables: Mapping[str, sa.Table]) -> list[Link]:
    """The references `find` follows: from a reached table to another (a reference of a table
    to itself leads to someone else's row: a reply to the person's comment is its author's)."""
    return [
        (child, column.name, column.references[0], column.references[1])
        for child, column in manifest.references()
        if column.references is not None
        and child in tables
        and column.references[0] in tables
        and column.references[0] != child
    ]


def _selected(
    table: sa.Table, links: Sequence[Link], wanted: Collection[str]
) -> list[sa.Column[Any]]:
    names = {c.name for c in table.primary_key.columns} | set(wanted)
    for child, column, parent, parent_column in links:
        if child == table.name:
            names.add(column)
        if parent == table.name:
            names.add(parent_column)
    return [c for c in table.columns if c.name in names]


def _rows_in(
    connection: sa.Connection,
    columns: Sequence[sa.Column[Any]],
    target: sa.ColumnElement[Any],
    values: Sequence[Any],
) -> Iterator[dict[str, Any]]:
    """The rows whose `target` is one of `values`: one statement, run per chunk of values
    (an expanding parameter: built and cached once, not per value)."""
    statement = sa.select(*columns).where(target.in_(sa.bindparam("values", expanding=True)))
    names = [c.name for c in columns]
    for chunk in _chunks(values):
        for row in connection.execute(statement, {"values": list(chunk)}).all():
            yield dict(zip(names, row, strict=True))


def _add(
    found: Found, seen: dict[str, set[Any]], table: sa.Table, rows: Iterable[dict[str, Any]]
) -> bool:
    """Add the rows not found yet; whether there were any."""
    primary = [c.name for c in table.primary_key.columns]
    key = itemgetter(*primary) if primary else _whole
    known = seen.setdefault(table.name, set())
    grew = False
    for row in rows:
        identity = key(row)
        if identity not in known:
            known.add(identity)
            found.rows.setdefault(table.name, []).append(row)
            grew = True
    return grew


def _whole(row: Mapping[str, Any]) -> Any:
    return tuple(sorted((k, repr(v)) for k, v in row.items()))


def _follow_references(
    connection: sa.Connection,
    links: Sequence[Link],
    tables: Mapping[str, sa.Table],
    selected: Mapping[str, Sequence[sa.Column[Any]]],
    found: Found,
    seen: dict[str, set[Any]],
) -> None:
    """Add the rows that reference the person's rows, until nothing new is found."""
    asked: dict[tuple[str, str], set[Any]] = {}  # (table, column) → the keys looked up already
    grew = True
    while grew:
        grew = False
        for child, column, parent, parent_column in links:
            keys = {
                row[parent_column]
                for row in found.rows.get(parent, ())
                if row[parent_column] is not None
            }
            done = asked.setdefault((child, column), set())
            fresh = sorted(keys - done)
            if not fresh:
                continue
            done.update(fresh)
            table = tables[child]
            rows = _rows_in(connection, selected[child], table.c[column], fresh)
            grew = _add(found, seen, table, rows) or grew


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
