"""The test database's seeded rows, kept once and put back after each transactional test.

A transactional test ends with Django's flush: on PostgreSQL one `TRUNCATE` of every table
(2.5–3 s here: each table and index gets a new file), then `post_migrate`, which seeds the
policy, the systems, the roles, the content types and permissions again (~775 queries, 2–3 s).
Eighty-odd such tests spent four minutes of CI in those two steps.

Instead, right after the test database is made (migrated and seeded), the rows of every table
that has any are read once per worker; the flush then deletes every table's rows (a `DELETE`
of a few rows costs well under a millisecond where `TRUNCATE` costs a file) and writes the
kept rows back, as they were, ids included — the next test starts from exactly the database
`migrate` left, not from a re-seeding with other ids — and `post_migrate` is not sent again.

PostgreSQL copies the rows with `COPY` (every type exactly as stored); SQLite with plain
`INSERT`s of what it returns (its values are only text, numbers and bytes). The flush runs with
triggers off (`session_replication_role`, for a superuser, for this transaction): the
append-only tables rightly refuse a `DELETE`; every other statement of the suite meets them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

# SQLite binds at most 32 766 values in one statement; the seeded rows are written in chunks.
SQLITE_VALUES_PER_STATEMENT = 30_000


@dataclass
class Snapshot:
    """Per database alias: each non-empty table's columns and rows (PostgreSQL: COPY text)."""

    tables: dict[str, tuple[list[str], Any]] = field(default_factory=dict)


_snapshots: dict[str, Snapshot] = {}


def _tables(connection: BaseDatabaseWrapper) -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True))


def copy_name(connection: BaseDatabaseWrapper) -> str:
    """The name of the test database's copy made by `copy_as_made`."""
    return f"{connection.settings_dict['NAME']}_as_made"


def copy_as_made(alias: str = "default") -> bool:
    """On PostgreSQL, a copy of the test database as it is now (just made), for what needs a
    database of its own (the benchmarks' smoke runs copy it again). Made now because
    PostgreSQL copies a database only while nobody is connected to it, and later the live
    server's thread keeps a connection to the test database for the rest of the session."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or not is_test_database(connection):
        return False
    name, source = (
        connection.ops.quote_name(copy_name(connection)),
        connection.ops.quote_name(str(connection.settings_dict["NAME"])),
    )
    connection.close()
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        cursor.execute(f"CREATE DATABASE {name} TEMPLATE {source}")
    return True


def drop_copy(alias: str = "default") -> None:
    connection = connections[alias]
    with connection._nodb_cursor() as cursor:
        cursor.execute(
            f"DROP DATABASE IF EXISTS {connection.ops.quote_name(copy_name(connection))}"
        )


def is_test_database(connection: BaseDatabaseWrapper) -> bool:
    """Whether the connection was switched to a test database (Django names them with its
    prefix, or keeps SQLite's in memory; the settings here name no other test database)."""
    name = str(connection.settings_dict["NAME"])
    in_memory = name == ":memory:" or "mode=memory" in name
    return in_memory or name.startswith(TEST_DATABASE_PREFIX)


def take(alias: str = "default") -> None:
    """Keep the rows the test database holds now (call it right after it is made). A run
    with no database test makes no test database: then there is nothing to keep."""
    connection = connections[alias]
    if not is_test_database(connection):
        return
    snapshot = Snapshot()
    with connection.cursor() as cursor:
        for table in _tables(connection):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted} LIMIT 1")
            if cursor.fetchone() is None:
                continue
            columns = [column[0] for column in cursor.description]
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                # A partitioned table is copied through a query (COPY refuses its parent).
                cursor.copy_expert(f"COPY (SELECT * FROM {quoted}) TO STDOUT", buffer)
                snapshot.tables[table] = (columns, buffer.getvalue())
            else:
                cursor.execute(f"SELECT * FROM {quoted}")
                snapshot.tables[table] = (columns, cursor.fetchall())
    _snapshots[alias] = snapshot


def taken(alias: str) -> bool:
    return alias in _snapshots


def flush_as_django(connection: BaseDatabaseWrapper, sql_list: list[str]) -> None:
    """Django's own flush (before a snapshot is taken), triggers off on PostgreSQL."""
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in sql_list:
            cursor.execute(statement)


def restore(connection: BaseDatabaseWrapper) -> None:
    """Every table emptied, then the kept rows written back: in one transaction, triggers off."""
    snapshot = _snapshots[connection.alias]
    quote = connection.ops.quote_name
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        for table in _tables(connection):
            cursor.execute(f"DELETE FROM {quote(table)}")
        for table, (columns, rows) in snapshot.tables.items():
            names = ", ".join(quote(column) for column in columns)
            if connection.vendor == "postgresql":
                cursor.copy_expert(f"COPY {quote(table)} ({names}) FROM STDIN", io.StringIO(rows))
                continue
            marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
            per_statement = max(1, SQLITE_VALUES_PER_STATEMENT // len(columns))
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(
                    f"INSERT INTO {quote(table)} ({names}) VALUES "
                    + ", ".join([marks] * len(chunk)),
                    [value for row in chunk for value in row],
                )
