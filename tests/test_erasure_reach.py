"""Every erasure reaches the systems holding the person's data and the
recipients (GDPR Art. 17(1)(c), 17(2), 19, 28), whatever started it — the one-click
unsubscribe of a prospect, an objection staff log, the nightly purge of a person who asked
for erasure — not only a request; a request's erasure is not sent twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from consent.emails import unsubscribe_token
from core.models import AuditEvent
from processing.models import System
from subject_requests import services
from subject_requests.choices import Operation, TaskCause, TaskKind, TaskStatus
from subject_requests.models import SystemTask
from subject_requests.services import erasure as erasure_services
from subjects.models import DataSubject
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

PEOPLE = ["prospect", "prospect_representative", "client"]


@pytest.fixture
def register(seeded: None, staff: User) -> None:
    System.objects.update(active=False)
    f.SystemFactory.create(name="CRM", owner=staff, subject_kinds=PEOPLE)
    f.SystemFactory.create(
        name="Partner",
        kind="recipient",
        subject_kinds=PEOPLE,
        contact_email="privacy@partner.example",
    )


def unsubscribe(client: Client, prospect: DataSubject, capture: Any) -> None:
    token = unsubscribe_token(prospect, f.purpose("prospect-marketing"))
    with capture(execute=True):
        assert client.post(f"/p/unsubscribe/{token}/").status_code == 200


def test_a_prospect_who_unsubscribes_is_erased_in_every_system_and_recipients_are_told(
    register: None,
    client: Client,
    client_for: ClientFor,
    staff: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    prospect = f.ProspectFactory.create(
        first_name="Liis", last_name="Lepp", work_email="liis@lead.example"
    )
    unsubscribe(client, prospect, django_capture_on_commit_callbacks)
    prospect.refresh_from_db()
    assert prospect.anonymised_at is not None
    tasks = {t.system.name: t for t in SystemTask.objects.select_related("system")}
    assert set(tasks) == {"CRM", "Partner"}
    crm, notice = tasks["CRM"], tasks["Partner"]
    assert crm.request is None and crm.cause == TaskCause.OBJECTION
    assert crm.operation == Operation.ERASE and crm.status == TaskStatus.OPEN
    assert crm.payload["person"]["work_email"] == "liis@lead.example"  # read before clearing
    assert notice.kind == TaskKind.NOTICE and notice.status == TaskStatus.DONE
    [sent] = [m for m in mail.outbox if m.to == ["privacy@partner.example"]]
    assert "liis@lead.example" in sent.body
    body = " ".join(sent.body.split())
    assert "Following an objection to direct marketing" in body
    assert "Erase the person's data" in body and f"TASK-{notice.pk}" in body  # in English
    assert AuditEvent.objects.filter(action="request.system_tasks_created").exists()

    # The CRM's owner finds the task, sees what started it, and records the result.
    owner = client_for(staff)
    listing = owner.get("/requests/tasks/").content.decode()
    assert f"/requests/tasks/{crm.pk}/" in listing and "An objection to direct marketing" in listing
    page = owner.get(f"/requests/tasks/{crm.pk}/").content.decode()
    assert "liis@lead.example" in page and "Started by" in page
    assert "work_email" not in page and "Work e-mail" in page  # in words, not field names
    done = owner.post(f"/requests/tasks/{crm.pk}/", {"status": "done", "evidence": "Deleted"})
    assert done.status_code == 302
    crm.refresh_from_db()
    assert crm.status == TaskStatus.DONE
    assert AuditEvent.objects.filter(
        action="request.system_task_resolved", target_id=str(crm.pk)
    ).exists()


def test_a_request_erasure_sends_its_own_tasks_once(
    register: None, dpo: User, django_capture_on_commit_callbacks: Any
) -> None:
    f.DataSubjectFactory.create(kind="client", work_email="kadri@acme.example")
    request = services.submit_request(
        type="erasure", name="Kadri", email="kadri@acme.example", description="", language="en"
    )
    request = services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    erasure_services.propose_erasure(request=request, actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        erasure_services.confirm_erasure(request=request, actor=dpo)
    tasks = list(SystemTask.objects.all())
    assert len(tasks) == 2 and all(t.request_id == request.pk for t in tasks)
    assert {t.cause for t in tasks} == {TaskCause.REQUEST}


def test_the_purge_of_a_person_who_asked_for_erasure_reaches_the_systems(
    register: None, django_capture_on_commit_callbacks: Any
) -> None:
    """A person whose erasure a legal hold deferred is erased by the purge once the hold is
    gone (the erasure-requests rule): the systems get their tasks then."""
    from django.utils import timezone

    from core.timeutil import legal_today
    from retention.services import run_purge

    person = f.DataSubjectFactory.create(kind="client", work_email="held@acme.example")
    asked = timezone.now() - dt.timedelta(days=400)
    DataSubject.objects.filter(pk=person.pk).update(erasure_requested_at=asked)
    with django_capture_on_commit_callbacks(execute=True):
        run_purge(as_of=legal_today(), dry_run=False, actor="retention")
    person.refresh_from_db()
    assert person.anonymised_at is not None
    [crm] = SystemTask.objects.filter(system__name="CRM")
    assert crm.request is None and crm.cause == TaskCause.PURGE
    assert crm.payload["person"]["work_email"] == "held@acme.example"


def test_people_whose_retention_period_ran_out_reach_each_system_once_per_run(
    register: None,
    staff: User,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Expired prospects are erased by the purge under the prospect rule; each system holding
    such people's data gets one task for the run (each recipient one notice) naming the rule,
    its criterion and how many it removed, with no identifiers: not one task per person."""
    import time_machine
    from django.utils import timezone

    from core.timeutil import legal_today
    from retention.models import RetentionRule
    from retention.services import run_purge

    expired = f.ProspectFactory.create_batch(3)
    f.ProspectFactory.create(first_name="Fresh", work_email="fresh@lead.example")
    DataSubject.objects.filter(pk__in=[p.pk for p in expired]).update(
        collected_at=timezone.now() - dt.timedelta(days=3 * 365)
    )
    names = {p.last_name for p in expired}
    with django_capture_on_commit_callbacks(execute=True):
        run = run_purge(as_of=legal_today(), dry_run=False, actor="retention")
    assert run.status == "succeeded", run.note
    assert (
        DataSubject.objects.filter(pk__in=[p.pk for p in expired], anonymised_at=None).count() == 0
    )
    rule = RetentionRule.objects.in_force().get(record_type="subjects.prospect")
    tasks = {t.system.name: t for t in SystemTask.objects.select_related("system")}
    assert set(tasks) == {"CRM", "Partner"}
    crm, notice = tasks["CRM"], tasks["Partner"]
    assert (crm.cause, crm.request, crm.subject, crm.status) == (
        TaskCause.RETENTION,
        None,
        None,
        TaskStatus.OPEN,
    )
    retention = crm.payload["retention"]
    assert (retention["rule"], retention["people"]) == (rule.code, 3)
    assert retention["purged_on"] == run.as_of.isoformat() and "person" not in crm.payload
    assert notice.kind == TaskKind.NOTICE and notice.status == TaskStatus.DONE
    [sent] = [m for m in mail.outbox if m.to == ["privacy@partner.example"]]
    body = " ".join(sent.body.split())
    assert (
        f"has erased the personal data of 3 people whose retention period ended under its "
        f"rule “{rule.name}”" in body
    )
    assert "the people for whom the latest of trial end, demo and collection was before" in body
    assert "Please apply the same rule to your copy." in body
    assert "Erase the data of the people a retention rule removed" in sent.subject
    assert "The person" not in body and not any(name in body for name in names)
    event = AuditEvent.objects.get(action="request.system_tasks_created")
    assert (event.details["cause"], event.details["people"]) == ("retention", 3)

    # The CRM's owner reads what to do, and records it.
    page = client_for(staff).get(f"/requests/tasks/{crm.pk}/").content.decode()
    assert "The nightly purge of people whose retention period ended" in page
    assert "removed the data of 3 people under the rule" in page
    assert "<h1>Erase the data of the people a retention rule removed · CRM</h1>" in page
    assert "the person&#x27;s data" not in page
    # The next night removes nothing: nobody is told anything.
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert run_purge(as_of=legal_today(), dry_run=False, actor="retention").total == 0
    assert SystemTask.objects.count() == 2
