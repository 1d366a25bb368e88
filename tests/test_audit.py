from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client

from core.appendonly import AppendOnlyError
from core.audit import record_event
from core.models import AuditEvent
from tests.factories import DataSubjectFactory

pytestmark = pytest.mark.django_db


def test_record_event_names_the_actor_target_and_action(dpo: User) -> None:
    subject = DataSubjectFactory.create()
    event = record_event(action="subject.viewed", actor=dpo, target=subject, details={"n": 1})
    assert event.actor == dpo
    assert event.target_type == "subjects.datasubject"
    assert event.target_id == str(subject.pk)
    assert AuditEvent.objects.filter(action="subject.viewed").count() == 1


def test_a_system_job_is_recorded_by_name() -> None:
    event = record_event(action="purge.finished", actor="nightly-purge")
    assert event.actor is None
    assert event.actor_display == "nightly-purge"


def test_the_request_ip_is_recorded(client: Client, dpo: User) -> None:
    from core import audit

    token = audit.current_ip.set("203.0.113.7")
    try:
        event = record_event(action="x", actor=dpo)
    finally:
        audit.current_ip.reset(token)
    assert event.ip_address == "203.0.113.7"


def test_audit_events_refuse_update_and_delete_through_the_orm() -> None:
    event = record_event(action="subject.created", actor="test")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    event.action = "tampered"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "subject.created"


@pytest.mark.postgres
def test_audit_events_refuse_update_and_delete_through_raw_sql_on_postgresql() -> None:
    event = record_event(action="subject.created", actor="test")
    for sql in (
        "UPDATE core_auditevent SET action = 'tampered' WHERE id = %s",
        "DELETE FROM core_auditevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "subject.created"
