"""The live schema of a platform database, read by SQLAlchemy's reflection (any dialect it
speaks: PostgreSQL in production, SQLite for the demo), and the manifest checked against it:
every table and column it names exists, every foreign key between two annotated tables is
modelled, every table holding personal data is reached from an identity, and — the coverage
gate of `manage.py check_manifest` — every column of the database is annotated or marked not
personal."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

import sqlalchemy as sa

from processing.databases.manifest import ERASE_CLEAR, Manifest, Problem


@dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    table: str  # the referred table
    referred: tuple[str, ...]
    on_delete: str = ""  # "CASCADE", "SET NULL", … or "" (no action)


@dataclass
class LiveTable:
    name: str
    columns: dict[str, str] = field(default_factory=dict)  # name → SQL type, as reflected
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    required: set[str] = field(default_factory=set)  # NOT NULL columns


@dataclass
class LiveSchema:
    tables: dict[str, LiveTable] = field(default_factory=dict)


class Unreachable(RuntimeError):
    """The database could not be read: the message says why, without the password."""


# Seconds to wait for a database to answer a connection: a host that drops packets would
# otherwise hold a request or a worker for the operating system's two minutes, and one that
# accepts and never answers, for ever. libpq counts whole seconds, at least 2, per address a
# host name resolves to.
CONNECT_TIMEOUT = 10


def engine_for(url: str, *, timeout: int = CONNECT_TIMEOUT) -> sa.Engine:
    """An engine on the database at `url` whose connections give up after `timeout` seconds
    (PostgreSQL's `connect_timeout`; SQLite's wait for a lock) and fail as `Unreachable`, the
    message without the password."""
    try:
        engine = sa.create_engine(url, connect_args=_connect_args(url, timeout))
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
        raise Unreachable(f"not a database URL SQLAlchemy knows: {exc}") from None

    @sa.event.listens_for(engine, "handle_error")
    def unreachable(context: sa.engine.ExceptionContext) -> BaseException | None:
        if context.connection is None and not context.is_pre_ping:  # connecting failed
            return Unreachable(_without_secrets(context.original_exception, url))
        return None

    return engine


def reflect(url: str, *, timeout: int = CONNECT_TIMEOUT) -> LiveSchema:
    """Tables, columns and foreign keys of the database at `url` (read-only): on PostgreSQL a
    few catalog queries for all the tables, not a few per table."""
    engine = engine_for(url, timeout=timeout)
    try:
        with engine.connect() as connection:
            inspector = sa.inspect(connection)
            names = inspector.get_table_names()
            columns = inspector.get_multi_columns(filter_names=names)
            keys = inspector.get_multi_foreign_keys(filter_names=names)
            schema = LiveSchema()
            for name in names:
                table = LiveTable(name=name)
                for column in columns.get((None, name), []):
                    table.columns[column["name"]] = str(column["type"])
                    if not column.get("nullable", True):
                        table.required.add(column["name"])
                on_delete = _sqlite_on_delete(connection, name)
                for fk in keys.get((None, name), []):
                    constrained = tuple(fk["constrained_columns"])
                    rule = (fk.get("options") or {}).get("ondelete") or on_delete.get(
                        constrained, ""
                    )
                    table.foreign_keys.append(
                        ForeignKey(
                            columns=constrained,
                            table=fk["referred_table"],
                            referred=tuple(fk["referred_columns"]),
                            on_delete=_rule(rule),
                        )
                    )
                schema.tables[name] = table
            return schema
    except sa.exc.SQLAlchemyError as exc:
        raise Unreachable(_without_secrets(exc, url)) from None
    finally:
        engine.dispose()


def _rule(rule: str) -> str:
    rule = str(rule or "").upper()
    return "" if rule in ("NO ACTION", "RESTRICT") else rule


def _sqlite_on_delete(connection: sa.Connection, table: str) -> dict[tuple[str, ...], str]:
    """SQLite's own word on each key's ON DELETE (SQLAlchemy reads it only from a table
    constraint, not from a column's inline REFERENCES)."""
    if connection.dialect.name != "sqlite":
        return {}
    rows = connection.exec_driver_sql(
        'SELECT id, "from", on_delete FROM pragma_foreign_key_list(?)', (table,)
    ).all()
    by_key: dict[int, tuple[list[str], str]] = {}
    for key, column, rule in rows:
        by_key.setdefault(key, ([], rule))[0].append(column)
    return {tuple(columns): rule for columns, rule in by_key.values()}


def _connect_args(url: str, timeout: int) -> dict[str, object]:
    if url.startswith(("postgresql", "postgres")):
        return {"connect_timeout": timeout}
    if url.startswith("sqlite"):
        return {"timeout": timeout}
    return {}


def _without_secrets(exc: BaseException, url: str) -> str:
    message = (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [repr(exc)])[0]
    password = sa.engine.make_url(url).password
    return message.replace(password, "***") if password else message


def problems_against(
    manifest: Manifest,
    live: LiveSchema,
    *,
    categories: Collection[str] | None = None,
    coverage: bool = True,
) -> list[Problem]:
    """What the live schema refutes in the manifest, and (`coverage`) what the manifest
    leaves out of the live schema. `categories`: the register's data categories."""
    problems: list[Problem] = []
    for table in manifest.tables.values():
        path = f"tables.{table.name}"
        found = live.tables.get(table.name)
        if found is None:
            problems.append(Problem(path, "no such table in the database"))
            continue
        for column in table.columns.values():
            column_path = f"{path}.columns.{column.name}"
            if column.name not in found.columns:
                problems.append(Problem(column_path, "no such column in the database"))
            if categories is not None and column.category and column.category not in categories:
                problems.append(
                    Problem(
                        f"{column_path}.category",
                        f"“{column.category}” is not a data category of the register",
                    )
                )
            if column.references is not None:
                problems += _reference_problems(column_path, column.references, manifest, live)
            clears = column.erase is not None and column.erase.how == ERASE_CLEAR
            if clears and column.name in found.required and not table.delete_rows:
                problems.append(
                    Problem(
                        f"{column_path}.erase",
                        "the column is NOT NULL: it cannot be cleared (hash it, or give a value)",
                    )
                )
            if coverage and not column.reviewed:
                problems.append(
                    Problem(column_path, "not reviewed: annotate it or mark it not personal")
                )
        if coverage and table.personal:
            for name in found.columns:
                if name not in table.columns:
                    problems.append(
                        Problem(
                            f"{path}.columns.{name}",
                            "not in the manifest: annotate it or mark it not personal",
                        )
                    )
        problems += _unmodelled_keys(table.name, found, manifest)
    reached = manifest.reached()
    for table in manifest.tables.values():
        if table.personal and table.personal_columns and table.name not in reached:
            problems.append(
                Problem(
                    f"tables.{table.name}",
                    "holds personal data but is not reached from an identity: model the "
                    "reference that leads to the person",
                )
            )
    if coverage:
        for name in sorted(set(live.tables) - set(manifest.tables)):
            problems.append(
                Problem(
                    f"tables.{name}", "not in the manifest: annotate it or mark it not personal"
                )
            )
    return problems


def _reference_problems(
    path: str, target: tuple[str, str], manifest: Manifest, live: LiveSchema
) -> list[Problem]:
    table, column = target
    if table not in live.tables or column not in live.tables[table].columns:
        return [Problem(f"{path}.references", f"{table}.{column} is not in the database")]
    if table not in manifest.tables:
        return [Problem(f"{path}.references", f"{table} is not in the manifest")]
    return []


def _unmodelled_keys(name: str, found: LiveTable, manifest: Manifest) -> list[Problem]:
    """A foreign key between two tables of the manifest that no `references` models: the
    person's rows could be missed, or an erasure's order be wrong."""
    table = manifest.tables[name]
    problems = []
    for fk in found.foreign_keys:
        if fk.table not in manifest.tables or not table.personal:
            continue
        if len(fk.columns) != 1:
            problems.append(
                Problem(
                    f"tables.{name}",
                    f"the foreign key ({', '.join(fk.columns)}) → {fk.table} has several "
                    "columns: the manifest models single-column references only",
                )
            )
            continue
        column = table.columns.get(fk.columns[0])
        if column is None or column.references != (fk.table, fk.referred[0]):
            problems.append(
                Problem(
                    f"tables.{name}.columns.{fk.columns[0]}",
                    f"a foreign key to {fk.table}.{fk.referred[0]} that the manifest does not "
                    f"model: add `references: {fk.table}.{fk.referred[0]}`",
                )
            )
    return problems
