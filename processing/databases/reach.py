"""Finding a person's rows in a platform database by its manifest (issue 23, item 4).

From the person's identities (their e-mail in any case, their external id, their phone), the
rows of the identity tables; then, table by table, the rows whose `references` lead to one of
theirs — and only those: a comment the person wrote on someone else's project is theirs, the
project is not; a reply to their comment (a reference of a table to itself) is its author's.
One set-based `SELECT … WHERE column IN (…)` per table and chunk of keys, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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


def find(
    connection: sa.Connection, manifest: Manifest, identities: Mapping[str, Sequence[str]]
) -> Found:
    """The rows of the person with these identities (role → values), in every reached table."""
    metadata = sa.MetaData()
    tables = {
        name: sa.Table(name, metadata, autoload_with=connection) for name in manifest.reached()
    }
    found = Found()
    for name, table in tables.items():
        matches = []
        for column in manifest.tables[name].identities:
            values = list(identities.get(column.identity, ()))
            if not values:
                continue
            if column.identity == "email":
                matches.append(sa.func.lower(table.c[column.name]).in_([v.lower() for v in values]))
            else:
                matches.append(table.c[column.name].in_(values))
        if matches:
            rows = connection.execute(sa.select(table).where(sa.or_(*matches))).mappings()
            found.rows[name] = [dict(r) for r in rows]
    _follow_references(connection, manifest, tables, found)
    return found


def _follow_references(
    connection: sa.Connection, manifest: Manifest, tables: dict[str, sa.Table], found: Found
) -> None:
    """Add the rows that reference the person's rows, until nothing new is found."""
    links = [
        (child, column.name, column.references)
        for child, column in manifest.references()
        if column.references is not None
        and child in tables
        and column.references[0] in tables
        and column.references[0] != child
    ]
    seen: dict[str, set[Any]] = {}  # (table) → primary keys (or whole rows) already found
    for name, rows in found.rows.items():
        seen[name] = {_identity_of(tables[name], row) for row in rows}
    asked: set[tuple[str, str, Any]] = set()
    grew = True
    while grew:
        grew = False
        for child, column, (parent, parent_column) in links:
            keys = {
                row[parent_column]
                for row in found.rows.get(parent, ())
                if row.get(parent_column) is not None
            }
            fresh = sorted(k for k in keys if (child, column, k) not in asked)
            if not fresh:
                continue
            asked.update((child, column, k) for k in fresh)
            table = tables[child]
            for chunk in _chunks(fresh):
                for row in connection.execute(
                    sa.select(table).where(table.c[column].in_(chunk))
                ).mappings():
                    key = _identity_of(table, row)
                    if key not in seen.setdefault(child, set()):
                        seen[child].add(key)
                        found.rows.setdefault(child, []).append(dict(row))
                        grew = True


def _identity_of(table: sa.Table, row: Mapping[str, Any] | sa.RowMapping) -> Any:
    primary = [c.name for c in table.primary_key.columns]
    if primary:
        return tuple(row[c] for c in primary)
    return tuple(sorted((k, repr(v)) for k, v in row.items()))


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]
