"""Append-only tables: refused in the ORM on every database, and by triggers on PostgreSQL.

On PostgreSQL a row trigger refuses `UPDATE` and `DELETE`, and a statement trigger refuses
`TRUNCATE` (which row triggers do not see). In production the application connects as a role
that owns none of the tables (`manage.py grant_app_role`), so it cannot disable them either.
The triggers are PostgreSQL only because SQLite has no `TRUNCATE` and no roles: there the ORM
refusals below are the guard. Tests flush PostgreSQL between transactional tests with
`TRUNCATE`; `tests/conftest.py` lets that flush, and only that, pass.
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

from django.db import migrations, models


class AppendOnlyError(Exception):
    """Raised on any attempt to change or remove a row of an append-only table."""


_M = TypeVar("_M", bound=models.Model)


class AppendOnlyQuerySet(models.QuerySet[_M]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only: rows cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only: rows cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only: rows cannot be updated.")

    def update_or_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{self.model.__name__} is append-only: rows cannot be updated.")

    def select_for_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        # PostgreSQL asks for the UPDATE privilege to lock a row, which the application role
        # lacks here; refused on every database, so that a test on SQLite meets it too.
        raise AppendOnlyError(
            f"{self.model.__name__} is append-only: its rows cannot be locked; "
            "take an advisory lock (core.locks)."
        )


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} is append-only: rows cannot change.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError(f"{type(self).__name__} is append-only: rows cannot be deleted.")


_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION privacyops_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'table % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
"""


def append_only_trigger(table: str) -> migrations.RunPython:
    """A migration operation that installs the refusing trigger on PostgreSQL only."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(_FUNCTION_SQL, params=None)
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION privacyops_refuse_change();"
        )

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_append_only" ON "{table}";')

    return migrations.RunPython(forward, backward, elidable=False)


def refuse_truncate_trigger(table: str) -> migrations.RunPython:
    """A migration operation that makes PostgreSQL refuse `TRUNCATE` of an append-only table."""

    def forward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(_FUNCTION_SQL, params=None)
        schema_editor.execute(
            f'CREATE TRIGGER "{table}_no_truncate" BEFORE TRUNCATE ON "{table}" '
            "FOR EACH STATEMENT EXECUTE FUNCTION privacyops_refuse_change();"
        )

    def backward(apps: Any, schema_editor: Any) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(f'DROP TRIGGER IF EXISTS "{table}_no_truncate" ON "{table}";')

    return migrations.RunPython(forward, backward, elidable=False)
