"""Two database roles on PostgreSQL: the owner of the tables, and the application.

The owner (`DATABASE_MIGRATE_URL`) runs the migrations. The application (`DATABASE_URL`:
web, worker, beat) owns no table, so it cannot `ALTER TABLE … DISABLE TRIGGER`, `TRUNCATE`
or drop what it reads and writes: the append-only triggers hold against the code itself.
`grant_app_role` gives it `SELECT, INSERT, UPDATE, DELETE` on every table but the
append-only ones (`SELECT, INSERT` only: not even the trigger is needed to refuse an edit)
and the migration record (`SELECT`), and `USAGE` on the sequences. `REVOKE ALL` comes first
in the same transaction, so the grants are exactly this list after every run.

A partitioned table (the audit log, the consent ledger: `core.partitions`) is granted as its
parent only: a statement through the parent is checked against the parent's privileges
alone, and its partitions grant the role nothing, so it cannot change or empty one directly.
The role may run the owner's function that makes the months ahead, which does nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

from core.appendonly import AppendOnlyModel

READ_ONLY_TABLES = frozenset({"django_migrations"})
# The owner's function that makes the logs' monthly partitions (`core.partitions`).
MAKE_PARTITIONS = "privacyops_make_partitions(date, integer)"


@contextmanager
def connected_as(credentials: dict[str, str], using: str = "default") -> Iterator[None]:
    """Run the block on `using` logged in with other credentials (same database)."""
    connection = connections[using]
    if connection.in_atomic_block:
        raise RuntimeError("cannot switch database roles inside a transaction")
    saved = {key: connection.settings_dict.get(key, "") for key in credentials}
    connection.close()
    connection.settings_dict.update(credentials)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@contextmanager
def as_table_owner(using: str = "default") -> Iterator[None]:
    """The block runs as DATABASE_MIGRATE_URL's role when one is configured."""
    owner = settings.DATABASE_OWNER
    if owner is None:
        yield
        return
    with connected_as(owner, using):
        yield


def application_role(using: str = "default") -> str | None:
    """DATABASE_URL's role, when it is not the owner (None: one role does everything)."""
    if settings.DATABASE_OWNER is None:
        return None
    return str(connections[using].settings_dict["USER"]) or None


def append_only_tables() -> list[str]:
    return sorted(
        model._meta.db_table for model in apps.get_models() if issubclass(model, AppendOnlyModel)
    )


@dataclass(frozen=True)
class Grants:
    role: str
    read_write: int
    append_only: list[str]


def _quote(connection_alias: str, name: str) -> str:
    return connections[connection_alias].ops.quote_name(name)


def grant_app_role(*, role: str, using: str = "default") -> Grants:
    """Grant `role` what the portal needs, no more; run as the tables' owner."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RuntimeError("database roles exist on PostgreSQL only")
    role_sql = _quote(using, role)
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tableowner = %s",
            [schema, role],
        )
        owned = [row[0] for row in cursor.fetchall()]
        if owned:
            raise RuntimeError(
                f"role {role} owns {', '.join(sorted(owned))}: the application role must own "
                "no table (it could lift the triggers); migrate as the owner instead"
            )
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') AND NOT c.relispartition",
            [schema],
        )
        tables = sorted(row[0] for row in cursor.fetchall())
        append_only = [t for t in append_only_tables() if t in tables]
        schema_sql = _quote(using, schema)
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema_sql} FROM {role_sql}")
        cursor.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema_sql} FROM {role_sql}")
        cursor.execute(f"GRANT USAGE ON SCHEMA {schema_sql} TO {role_sql}")
        read_write = [t for t in tables if t not in append_only and t not in READ_ONLY_TABLES]
        for privileges, names in (
            ("SELECT, INSERT, UPDATE, DELETE", read_write),
            ("SELECT, INSERT", append_only),
            ("SELECT", [t for t in tables if t in READ_ONLY_TABLES]),
        ):
            if names:
                listed = ", ".join(_quote(using, name) for name in names)
                cursor.execute(f"GRANT {privileges} ON TABLE {listed} TO {role_sql}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema_sql} TO {role_sql}")
        cursor.execute("SELECT to_regprocedure(%s)::text", [MAKE_PARTITIONS])
        if cursor.fetchone()[0] is not None:
            cursor.execute(f"GRANT EXECUTE ON FUNCTION {MAKE_PARTITIONS} TO {role_sql}")
    return Grants(role=role, read_write=len(read_write), append_only=append_only)


def ensure_login_role(*, role: str, password: str, using: str = "default") -> bool:
    """Create the application's login role if it is missing (needs CREATEROLE); True if new.

    It gets nothing beyond LOGIN: no superuser, no CREATEDB, no CREATEROLE."""
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        exists = cursor.fetchone() is not None
        verb = "ALTER" if exists else "CREATE"
        cursor.execute(
            f"{verb} ROLE {_quote(using, role)} "
            "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD %s",
            [password or None],
        )
    return not exists
