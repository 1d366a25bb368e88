"""A system connected by SQL is reached by the
portal itself. Its access question is answered with the person's rows, its erasure is carried
out and certified by looking for the person again; a failure is retried and then shown with the
database's message; what the portal does not yet do by SQL stays with the system's owner."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.core.management import call_command
from django.core.management.base import CommandError

from core.models import AuditEvent
from processing.models import DatabaseManifest, System
from subject_requests import services
from subject_requests.choices import Operation, TaskStatus
from subject_requests.models import SystemTask
from subject_requests.services import systems
from subject_requests.services.changes import rectify
from subjects.models import DataSubject
from tests import factories as f
from tests.platform_db import ATTACHMENTS, MANIFEST, ROWS, run_script
from tests.test_system_tasks import erase, request_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform(platform_url: str, tmp_path: Path, staff: Any, seeded: None) -> System:
    """The platform's database with Kadri, her colleague and a stranger; the system connected
    to it by the command an Admin runs."""
    System.objects.update(active=False)
    run_script(platform_url, ROWS)
    manifest = tmp_path / "manifest.yaml"
    manifest.write_text(MANIFEST + ATTACHMENTS)
    system = f.SystemFactory.create(
        name="Platform under test",
        owner=staff,
        categories=["identification", "contact", "communication"],
        subject_kinds=["client", "prospect"],
    )
    call_command(
        "connect_database", str(system.pk), "--url", platform_url, "--manifest", str(manifest)
    )
    system.refresh_from_db()
    return system


def kadri() -> DataSubject:
    return f.DataSubjectFactory.create(
        kind="client", first_name="Kadri", last_name="Kask", work_email="kadri@acme.example"
    )


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = [tuple(r) for r in connection.exec_driver_sql(sql).all()]
    engine.dispose()
    return found


def test_connecting_checks_the_manifest_and_is_audited(platform: System) -> None:
    assert platform.connector == "database"
    assert DatabaseManifest.objects.get(database__system=platform).version == 1
    event = AuditEvent.objects.get(action="processing.system_database_connected")
    assert event.details == {"manifest_version": 1, "tables": 5}
    assert "sqlite" not in str(event.details)  # the connection is never in the log


def test_a_bad_manifest_connects_nothing(platform_url: str, tmp_path: Path, seeded: None) -> None:
    system = f.SystemFactory.create(name="Helpdesk under test")
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(MANIFEST.replace("full_name:", "fullname:"))
    with pytest.raises(CommandError, match="Nothing was saved"):
        call_command(
            "connect_database", str(system.pk), "--url", platform_url, "--manifest", str(manifest)
        )
    system.refresh_from_db()
    assert system.connector == "manual" and not DatabaseManifest.objects.exists()


def test_an_access_request_is_answered_with_the_persons_rows(
    platform: System, platform_url: str, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = request_for(kadri(), dpo, "access")
    with django_capture_on_commit_callbacks(execute=True):
        services.start_work(request=request, actor=dpo)
    task = SystemTask.objects.get(system=platform)
    assert (task.operation, task.status, task.completed_via) == (
        Operation.ACCESS,
        "done",
        "database",
    )
    assert task.evidence.startswith("Found in the database by the portal: users (1), comments")
    found = {(p["category"], p["table"]): p for p in task.found["parts"]}
    assert found["contact", "users"]["rows"] == [["Kadri@Acme.example"]]
    assert found["identification", "users"]["rows"] == [["Kadri Kask"]]
    assert any("Kadri writes" in str(row) for row in found["communication", "comments"]["rows"])
    assert "Mart" not in str(task.found) and "Not Kadri" not in str(task.found)
    assert not request.system_tasks.unresolved().exists()


def test_an_erasure_is_carried_out_and_certified(
    platform: System, platform_url: str, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = request_for(kadri(), dpo, "erasure")
    erase(request, dpo, django_capture_on_commit_callbacks)
    task = SystemTask.objects.get(system=platform, operation=Operation.ERASE)
    assert task.status == TaskStatus.DONE, task.last_error
    assert rows(platform_url, "SELECT id FROM comments") == [(2,)]
    assert rows(platform_url, "SELECT full_name FROM users WHERE id = 1") == [(None,)]
    assert rows(platform_url, "SELECT email FROM users WHERE id = 2") == [("mart@acme.example",)]
    certificate = task.evidence
    assert "following the manifest v1" in certificate
    assert (
        "comments: 2 row(s) deleted" in certificate
        and "attachments: 1 row(s) deleted" in certificate
    )
    assert "users: 1 row(s) changed (email hash, full_name clear)" in certificate
    assert "nothing identifying found" in certificate and task.payload is None
    assert AuditEvent.objects.filter(action="request.system_task_carried_out").exists()


def test_a_failure_is_retried_then_shown_with_the_databases_message(
    platform: System, platform_url: str, dpo: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    run_script(platform_url, "DROP TABLE attachments")  # the platform changed under the portal
    request = request_for(kadri(), dpo, "erasure")
    erase(request, dpo, lambda execute: contextlib.nullcontext())  # deliveries run below
    task = SystemTask.objects.get(system=platform, operation=Operation.ERASE)
    first = systems.deliver(task_id=task.pk)
    assert first.status == TaskStatus.OPEN and first.retry_in
    assert systems.deliver(task_id=task.pk).status == TaskStatus.FAILED
    task.refresh_from_db()
    assert "attachments" in task.last_error
    # Nothing was half-done: the plan failed before any batch.
    assert rows(platform_url, "SELECT COUNT(*) FROM comments") == [(3,)]


def test_what_the_portal_does_not_do_by_sql_goes_to_the_owner(
    platform: System, dpo: Any, staff: Any
) -> None:
    subject = kadri()
    request = request_for(subject, dpo, "rectification")
    rectify(request=request, subject=subject, fields={"first_name": "Kadi"}, actor=dpo)
    task = SystemTask.objects.get(system=platform)
    assert task.connector == "manual" and task.owner == staff and task.status == TaskStatus.OPEN


def test_the_database_connector_needs_a_connection_first(seeded: None, admin_user: Any) -> None:
    from django.core.exceptions import ValidationError

    from processing.models import DataCategory
    from processing.services.systems import SystemValues, create_system

    values = SystemValues(
        name="Billing DB",
        kind="internal",
        owner=admin_user,
        subject_kinds=["client"],
        categories=list(DataCategory.objects.filter(code="contact")),
        connector="database",
    )
    with pytest.raises(ValidationError) as refused:
        create_system(values=values, actor=admin_user)
    assert "Connect its database" in refused.value.message_dict["connector"][0]


def test_an_unsubscribing_prospect_is_erased_there_too(
    platform: System,
    platform_url: str,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Every erasure path reaches the database, not only a request's (Art. 17(1)(c), 21(3))."""
    from consent.emails import unsubscribe_token

    prospect = f.ProspectFactory.create(work_email="mart@acme.example")
    token = unsubscribe_token(prospect, f.purpose("prospect-marketing"))
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/p/unsubscribe/{token}/").status_code == 200
    task = SystemTask.objects.get(system=platform)
    assert (task.cause, task.status) == ("objection", TaskStatus.DONE), task.last_error
    assert rows(platform_url, "SELECT full_name FROM users WHERE id = 2") == [(None,)]
    assert rows(platform_url, "SELECT id FROM comments ORDER BY id") == [(1,), (3,)]


@pytest.mark.postgres
def test_a_role_with_more_rights_than_the_manifest_needs_is_refused(
    postgres_platform_url: str, tmp_path: Path, seeded: None, dpo: Any
) -> None:
    """A superuser, a role that may change the schema or delete where nothing is erased: each
    named, nothing saved. A role with exactly the manifest's rights connects."""
    from processing.databases.connect import ConnectRefused, confirm_manifest, connect_database

    system = f.SystemFactory.create(name="Platform on PostgreSQL")
    text = MANIFEST
    with pytest.raises(ConnectRefused, match="is a superuser"):
        connect_database(system=system, url=postgres_platform_url, manifest_text=text, actor="t")
    role = f"po_portal_{abs(hash(postgres_platform_url)) % 10**6}"
    url = sa.engine.make_url(postgres_platform_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        connection.exec_driver_sql(
            f'GRANT SELECT, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'
        )
        connection.exec_driver_sql(f'GRANT UPDATE ON users TO "{role}"')
        connection.exec_driver_sql("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    limited = url.set(username=role, password=None).render_as_string(hide_password=False)
    with pytest.raises(ConnectRefused) as refused:
        connect_database(system=system, url=limited, manifest_text=text, actor="t")
    assert refused.value.problems == [
        f"The role {role} may DELETE on accounts, which the manifest never needs: revoke it.",
        f"The role {role} may DELETE on projects, which the manifest never needs: revoke it.",
        f"The role {role} may DELETE on users, which the manifest never needs: revoke it.",
    ]
    assert not DatabaseManifest.objects.exists()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'REVOKE DELETE ON accounts, projects, users FROM "{role}"')
    assert connect_database(system=system, url=limited, manifest_text=text, actor="t").version == 1

    # A change that stops deleting comments waits for a DPO: the role still needs DELETE on
    # them for the version in force, so that right is not one too many yet...
    kept = text.replace("    erase: delete\n", "").replace(
        "body: {category: communication}", "body: {category: communication, erase: clear}"
    )
    connect_database(system=system, url="", manifest_text=kept, actor="t")
    pending = DatabaseManifest.objects.get(version=2)
    assert pending.state == "pending"
    # ...and becomes one when the change takes effect: revoked first, then confirmed.
    with pytest.raises(ConnectRefused, match="may DELETE on comments"):
        confirm_manifest(version=pending, actor=dpo)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'REVOKE DELETE ON comments FROM "{role}"')
    assert confirm_manifest(version=pending, actor=dpo).version == 2
    with admin.connect() as connection:
        connection.exec_driver_sql(f'REASSIGN OWNED BY "{role}" TO CURRENT_USER')
        connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
        connection.exec_driver_sql(f'DROP ROLE "{role}"')
    admin.dispose()


def test_a_shared_work_phone_does_not_find_a_colleague(
    platform: System, platform_url: str, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The company's switchboard number is Kadri's work phone and her colleague's: an erasure
    of Kadri by her e-mail must not reach Mart through the phone."""
    run_script(platform_url, "ALTER TABLE users ADD COLUMN phone VARCHAR(40)")
    run_script(platform_url, "UPDATE users SET phone = '+372 600 0000' WHERE id IN (1, 2)")
    manifest = MANIFEST + ATTACHMENTS
    manifest = manifest.replace(
        "      created_at: not personal\n",
        "      created_at: not personal\n"
        "      phone: {category: contact, identity: phone, erase: clear}\n",
        1,
    )
    database = platform.database
    DatabaseManifest.objects.create(database=database, version=2, text=manifest)
    person = kadri()
    person.work_phone = "+372 600 0000"
    person.save()
    request = request_for(person, dpo, "erasure")
    erase(request, dpo, django_capture_on_commit_callbacks)
    task = SystemTask.objects.get(system=platform, operation=Operation.ERASE)
    assert task.status == TaskStatus.DONE, task.last_error
    assert rows(platform_url, "SELECT full_name, phone FROM users WHERE id = 2") == [
        ("Mart Mets", "+372 600 0000")
    ]
    assert rows(platform_url, "SELECT full_name, phone FROM users WHERE id = 1") == [(None, None)]
