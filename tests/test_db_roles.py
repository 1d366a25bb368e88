"""On PostgreSQL the application connects as a role that owns no table: it works, and the
database refuses it TRUNCATE, ALTER TABLE … DISABLE TRIGGER, UPDATE and DELETE of the
append-only tables. (The suite itself runs as the owner, which must create the test
database; this test connects as a freshly granted application role.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from core.appendonly import AppendOnlyError, AppendOnlyModel
from core.audit import record_event
from core.chain import verify_chain
from core.dbroles import append_only_tables, connected_as
from core.models import AuditEvent
from core.partitions import PARTITIONED, make_partitions, partitions_of
from tests.test_settings import production_env, run_django


@pytest.fixture
def app_role(transactional_db: None) -> Iterator[str]:
    """A login role with nothing but what `grant_app_role` gives it (named after the test
    database, so parallel runs on one server do not share it)."""
    role = f"{settings.DATABASES['default']['NAME']}_app"
    quoted = connection.ops.quote_name(role)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            cursor.execute(f"CREATE ROLE {quoted} LOGIN")
    call_command("grant_app_role", role=role, verbosity=0)
    yield role
    with connection.cursor() as cursor:
        cursor.execute(f"DROP OWNED BY {quoted}")
        cursor.execute(f"DROP ROLE {quoted}")


def _refused(sql: str) -> str:
    with (
        pytest.raises(DatabaseError) as refusal,
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    return str(refusal.value)


@pytest.mark.postgres
def test_the_application_role_cannot_truncate_disable_triggers_or_rewrite_the_logs(
    app_role: str, dpo: Any
) -> None:
    kept = record_event(action="subject.viewed", actor=dpo, target_id=1)
    with connected_as({"USER": app_role, "PASSWORD": ""}):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone()[0] == app_role
        for table in ("core_auditevent", "consent_consentevent", "consent_suppressionentry"):
            assert "permission denied" in _refused(f"TRUNCATE {table} CASCADE")
            assert "must be owner" in _refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")
            assert "must be owner" in _refused(
                f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only"
            )
            assert "must be owner" in _refused(f"DROP TRIGGER {table}_no_truncate ON {table}")
            assert "permission denied" in _refused(f"DELETE FROM {table}")
        assert "permission denied" in _refused("UPDATE core_auditevent SET action = 'tampered'")
        assert "permission denied" in _refused(
            "UPDATE core_auditevent SET hash = prev_hash WHERE sequence = 1"
        )
        # …while the portal's own work goes on: the chain extends under the role's grants.
        second = record_event(action="subject.viewed", actor=dpo, target_id=2)
        assert (second.sequence, second.prev_hash) == (kept.sequence + 1, kept.hash)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE auth_user SET first_name = 'Still works' WHERE id = %s", [dpo.pk]
            )
        assert verify_chain().intact
    assert AuditEvent.objects.filter(action="subject.viewed").count() == 2


@pytest.mark.postgres
def test_grants_give_the_append_only_tables_select_and_insert_only(app_role: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, string_agg(privilege_type, ',' ORDER BY privilege_type) "
            "FROM information_schema.role_table_grants WHERE grantee = %s GROUP BY table_name",
            [app_role],
        )
        grants = dict(cursor.fetchall())
    assert set(append_only_tables()) >= {
        "core_auditevent",
        "consent_consentevent",
        "consent_suppressionentry",
    }
    for table in append_only_tables():
        assert grants[table] == "INSERT,SELECT", table
    # A partition grants nothing: the role reaches the rows through the parent only.
    partitions = {p for table in PARTITIONED for p in partitions_of(table)}
    assert len(partitions) > len(PARTITIONED)
    assert not partitions & set(grants)
    assert grants["django_migrations"] == "SELECT"
    assert grants["subjects_datasubject"] == "DELETE,INSERT,SELECT,UPDATE"
    assert not any("TRUNCATE" in privileges for privileges in grants.values())


@pytest.mark.postgres
def test_an_application_role_that_owns_tables_is_refused(transactional_db: None) -> None:
    owner = settings.DATABASES["default"]["USER"] or "postgres"
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="must own no table"):
        call_command("grant_app_role", role=owner, verbosity=0)


def test_the_migration_url_must_name_the_same_database_as_another_role() -> None:
    base = "postgres://app:pw@db.example:5432/privacyops"
    for migrate_url, message in [
        ("postgres://owner:pw@db.example:5432/elsewhere", "must name the same database"),
        ("postgres://app:pw@db.example:5432/privacyops", "name the same role"),
    ]:
        env = production_env() | {"DATABASE_URL": base, "DATABASE_MIGRATE_URL": migrate_url}
        result = run_django(env, "check")
        assert result.returncode != 0
        assert message in result.stderr, result.stderr[-400:]
    env = production_env() | {
        "DATABASE_URL": "sqlite:///x.sqlite3",
        "DATABASE_MIGRATE_URL": "postgres://owner@db.example/privacyops",
    }
    assert "needs DATABASE_URL on PostgreSQL" in run_django(env, "check").stderr


def test_no_row_of_an_append_only_table_can_be_locked_on_any_database() -> None:
    """`SELECT … FOR UPDATE` needs the UPDATE privilege the application role lacks on these
    tables: refused on SQLite too, so that no test passes with what production refuses."""
    models = [model for model in apps.get_models() if issubclass(model, AppendOnlyModel)]
    assert len(models) == len(append_only_tables())
    for model in models:
        with pytest.raises(AppendOnlyError, match="advisory lock"):
            model.objects.select_for_update()


@pytest.mark.postgres
def test_the_application_role_can_neither_change_nor_empty_a_partition_directly(
    app_role: str, dpo: Any
) -> None:
    record_event(action="subject.viewed", actor=dpo, target_id=1)
    partitions = {table: partitions_of(table) for table in PARTITIONED}
    made = "core_auditevent_p203101"
    try:
        with connected_as({"USER": app_role, "PASSWORD": ""}):
            for table, names in partitions.items():
                for partition in names:
                    assert "permission denied" in _refused(f"TRUNCATE {partition}"), partition
                    assert "permission denied" in _refused(f"DELETE FROM {partition}")
                    assert "permission denied" in _refused(f"UPDATE {partition} SET id = id")
                    assert "permission denied" in _refused(
                        f"INSERT INTO {partition} SELECT * FROM {table} LIMIT 1"
                    )
                    assert "must be owner" in _refused(
                        f"ALTER TABLE {partition} DISABLE TRIGGER ALL"
                    )
                    assert "must be owner" in _refused(
                        f"ALTER TABLE {table} DETACH PARTITION {partition}"
                    )
            # The beat job makes the months ahead as the application role, through the
            # owner's function, which makes partitions and nothing else.
            outcomes = make_partitions(first_month=dt.date(2031, 1, 1), months=1)
            assert (outcomes[0].partition, outcomes[0].outcome) == (made, "made")
            assert "permission denied" in _refused(f"TRUNCATE {made}")
            second = record_event(action="subject.viewed", actor=dpo, target_id=2)
            assert second.sequence == 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {made}, consent_consentevent_p203101")
