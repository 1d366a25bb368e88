"""The systems outside the portal act on each right — a task per system
holding the person's data, webhooks signed and retried, a single-use signed completion link,
Art. 19 notices to recipients — and a request waits for them or for the DPO's reason."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import standardwebhooks
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from core.models import AuditEvent
from core.timeutil import legal_today
from processing.models import System
from retention.services.purge import run_purge
from subject_requests import services
from subject_requests.choices import Operation, TaskKind, TaskStatus
from subject_requests.letters import render_letter_html
from subject_requests.models import SubjectRequest, SystemTask
from subject_requests.services import changes, systems
from subject_requests.services import erasure as erasure_services
from subject_requests.services.reminders import run_daily_reminders
from subject_requests.services.task_results import resolve_task
from subjects.models import DataSubject, SubjectKind
from subjects.services import lift_subject_legal_hold
from tests import factories as f
from tests.webhook_server import LocalServer, callback_headers, serve

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
SECRET = "whsec_czNjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3ODk="  # as the portal issues one


@pytest.fixture(autouse=True)
def _only_the_tests_systems(seeded: None) -> None:
    """The register seeds its processors and recipients as systems waiting for an owner;
    these tests name the systems they need."""
    System.objects.update(active=False)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve(LocalServer(url=""))


def person() -> DataSubject:
    return f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        organisation=f.OrganisationFactory.create(name="Acme"),
    )


def webhook_system(url: str, **extra: Any) -> System:
    return f.SystemFactory.create(
        connector="webhook",
        webhook_url=url,
        webhook_secret=SECRET,
        categories=["identification", "contact"],
        **extra,
    )


def request_for(subject: DataSubject, dpo: Any, type: str) -> SubjectRequest:
    request = services.submit_request(
        type=type, name="Kadri Kask", email=subject.work_email or "", description="", language="en"
    )
    return services.verify_manually(
        request=request, asked="a", shown="b", subject_email=subject.work_email or "", actor=dpo
    )


def erase(request: SubjectRequest, dpo: Any, capture: Any) -> None:
    erasure_services.propose_erasure(request=request, actor=dpo)
    with capture(execute=True):
        erasure_services.confirm_erasure(request=request, actor=dpo)


def signed_post(client: Client, url: str, body: dict[str, Any], secret: str = SECRET) -> Any:
    raw = json.dumps(body).encode()
    headers = callback_headers(secret=secret, timestamp=int(time.time()), body=raw)
    return client.post(
        url,
        data=raw,
        content_type="application/json",
        headers=headers,
    )


def test_an_erasure_sends_a_task_to_each_system_and_a_notice_to_each_recipient(
    seeded: None, dpo: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subject = person()
    crm = f.SystemFactory.create(name="CRM", owner=staff, categories=["contact"])
    f.SystemFactory.create(name="Payroll", subject_kinds=["user"])  # not this kind of person
    f.SystemFactory.create(name="Idle", active=False)
    recipient = f.SystemFactory.create(
        name="Auditor LLP", kind="recipient", contact_email="privacy@auditor.example"
    )
    request = request_for(subject, dpo, "erasure")
    mail.outbox.clear()
    erase(request, dpo, django_capture_on_commit_callbacks)
    tasks = {t.system.name: t for t in SystemTask.objects.select_related("system")}
    assert set(tasks) == {"CRM", "Auditor LLP"}
    crm_task = tasks["CRM"]
    assert crm_task.kind == TaskKind.ACTION and crm_task.operation == Operation.ERASE
    assert crm_task.owner == staff and crm_task.status == TaskStatus.OPEN
    request.refresh_from_db()
    assert crm_task.due_on < request.target_on()
    # The identifiers were read before the erasure cleared them.
    assert crm_task.payload["person"]["last_name"] == "Kask"
    notice = tasks["Auditor LLP"]
    assert notice.kind == TaskKind.NOTICE and notice.status == TaskStatus.DONE
    [sent] = [m for m in mail.outbox if m.to == [recipient.contact_email]]
    assert "Art. 19" in sent.subject and "kadri@acme.example" in sent.body
    assert notice.payload is None  # cleared once delivered
    assert crm.pk != recipient.pk


def test_a_webhook_receives_a_signed_payload_and_completes_through_its_link_once(
    seeded: None,
    dpo: Any,
    server: LocalServer,
    client: Client,
    django_capture_on_commit_callbacks: Any,
) -> None:
    subject = person()
    webhook_system(f"{server.url}/ok", name="Platform")
    request = request_for(subject, dpo, "erasure")
    erase(request, dpo, django_capture_on_commit_callbacks)
    [call] = server.received
    # The system checks the call with the Standard Webhooks library and the secret it was shown.
    payload = standardwebhooks.Webhook(SECRET).verify(call.body, call.headers)
    assert payload["reference"] == request.reference and payload["operation"] == "erase"
    assert payload["person"]["work_email"] == "kadri@acme.example"
    task = SystemTask.objects.get()
    assert task.status == TaskStatus.OPEN and task.delivered_at is not None
    assert {name.lower(): value for name, value in call.headers.items()}["webhook-id"] == (
        f"task-{task.pk}"
    )
    link = payload["callback_url"].split("127.0.0.1:8000", 1)[-1]
    # Tampered link, wrong secret: refused, nothing changes.
    assert signed_post(client, link[:-3] + "xyz/", {"status": "done"}).status_code == 404
    refused = signed_post(client, link, {"status": "done"}, secret="another-secret")
    assert refused.status_code == 401
    bad = signed_post(client, link, {"status": "maybe"})
    assert bad.status_code == 400 and bad.json()["field"] == "status"
    assert SystemTask.objects.get().status == TaskStatus.OPEN
    done = signed_post(client, link, {"status": "done", "evidence": "Deleted user 881"})
    assert done.status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_via == "callback"
    assert task.evidence == "Deleted user 881" and task.payload is None
    # The same call again: the link is spent.
    assert signed_post(client, link, {"status": "done"}).status_code == 410
    assert AuditEvent.objects.filter(action="request.system_task_confirmed").count() == 1


def test_a_synchronous_system_is_done_when_it_answers_2xx(
    seeded: None, dpo: Any, server: LocalServer, django_capture_on_commit_callbacks: Any
) -> None:
    webhook_system(f"{server.url}/accepted", synchronous=True)
    subject = person()
    erase(request_for(subject, dpo, "erasure"), dpo, django_capture_on_commit_callbacks)
    task = SystemTask.objects.get()
    assert task.status == TaskStatus.DONE and task.completed_via == "synchronous"
    assert "callback_url" not in json.loads(server.received[0].body)


def test_a_failing_webhook_is_retried_with_backoff_then_shown_failed(
    seeded: None, dpo: Any, server: LocalServer, client_for: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 4
    webhook_system(f"{server.url}/error", name="Flaky CRM")
    subject = person()
    request = request_for(subject, dpo, "erasure")
    erasure_services.propose_erasure(request=request, actor=dpo)
    erasure_services.confirm_erasure(request=request, actor=dpo)  # deliveries not run yet
    task = SystemTask.objects.get()
    delays = [systems.deliver(task_id=task.pk).retry_in for _ in range(4)]
    assert delays == [60, 120, 240, None]
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and task.attempts == 4
    assert task.last_error == "HTTP 500" and len(server.received) == 4
    page = client_for(dpo).get(f"/requests/{request.pk}/").content.decode()
    assert f'data-task="{task.pk}" data-status="failed"' in page and "HTTP 500" in page
    # The DPO sends it again once the system is back.
    System.objects.filter(pk=task.system_id).update(webhook_url=f"{server.url}/ok")
    systems_page = client_for(dpo).post(f"/requests/tasks/{task.pk}/retry/")
    assert systems_page.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN and task.attempts == 0


def test_completing_waits_for_the_systems_or_an_audited_override(
    seeded: None, dpo: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    f.SystemFactory.create(name="CRM", owner=staff)
    subject = person()
    request = request_for(subject, dpo, "erasure")
    erase(request, dpo, django_capture_on_commit_callbacks)
    with pytest.raises(services.RequestError, match="1 system task"):
        services.complete_request(request=request, outcome="Erased.", actor=dpo)
    services.complete_request(
        request=request,
        outcome="Erased.",
        systems_override="The CRM owner is on leave until Monday; the CRM is read-only.",
        actor=dpo,
    )
    request.refresh_from_db()
    assert request.status == "completed"
    assert AuditEvent.objects.filter(action="request.completed_with_open_tasks").exists()
    assert request.closed_at is not None
    letter = render_letter_html(request, letter="closure", now=request.closed_at)
    assert "The CRM owner is on leave until Monday" in letter


def test_the_owner_sees_the_task_records_it_and_the_request_can_complete(
    seeded: None, dpo: Any, staff: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    f.SystemFactory.create(name="CRM", owner=staff)
    subject = person()
    request = request_for(subject, dpo, "erasure")
    erase(request, dpo, django_capture_on_commit_callbacks)
    client = client_for(staff)
    home = client.get("/").content.decode()
    assert "Your system tasks" in home
    listing = client.get("/requests/tasks/").content.decode()
    task = SystemTask.objects.get()
    assert f"/requests/tasks/{task.pk}/" in listing
    page = client.get(f"/requests/tasks/{task.pk}/").content.decode()
    assert "kadri@acme.example" in page  # what the owner needs to find the person
    assert client.post(f"/requests/tasks/{task.pk}/", {"status": "done"}).status_code == 400
    response = client.post(
        f"/requests/tasks/{task.pk}/", {"status": "done", "evidence": "Deleted contact #18"}
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.completed_via == "owner"
    services.complete_request(request=request, outcome="Erased everywhere.", actor=dpo)


def test_another_user_cannot_open_someone_elses_task(
    seeded: None, dpo: Any, staff: Any, admin_user: Any, client_for: Any
) -> None:
    f.SystemFactory.create(name="CRM", owner=staff)
    request = request_for(person(), dpo, "erasure")
    erasure_services.propose_erasure(request=request, actor=dpo)
    erasure_services.confirm_erasure(request=request, actor=dpo)
    task = SystemTask.objects.get()
    assert client_for(admin_user).get(f"/requests/tasks/{task.pk}/").status_code == 404


def test_owners_get_one_reminder_a_day(
    seeded: None, dpo: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    staff.email = "staff@operator.example"
    staff.save()
    f.SystemFactory.create(name="CRM", owner=staff)
    erase(request_for(person(), dpo, "erasure"), dpo, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert run_daily_reminders()["system_owners_reminded"] == 1
    assert run_daily_reminders()["system_owners_reminded"] == 0
    [reminder] = [m for m in mail.outbox if m.to == ["staff@operator.example"]]
    assert "CRM" in reminder.body


def test_a_rectification_goes_only_to_systems_holding_the_changed_categories(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    subject = person()
    f.SystemFactory.create(name="Contacts", categories=["contact"])
    f.SystemFactory.create(name="HR", categories=["identification"])
    f.SystemFactory.create(
        name="Partner", kind="recipient", contact_email="dpo@partner.example",
        categories=["identification"],
    )  # fmt: skip
    request = request_for(subject, dpo, "rectification")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        changes.rectify(
            request=request, subject=subject, fields={"last_name": "Kask-Tamm"}, actor=dpo
        )
    tasks = {t.system.name: t for t in SystemTask.objects.select_related("system")}
    assert set(tasks) == {"HR", "Partner"}
    assert tasks["HR"].payload["changes"] == {"last_name": ["Kask", "Kask-Tamm"]}
    assert tasks["HR"].payload["person"]["last_name"] == "Kask"  # found by what it holds
    [notice] = [m for m in mail.outbox if m.to == ["dpo@partner.example"]]
    assert "Kask-Tamm" in notice.body
    services.complete_request(
        request=request, outcome="Corrected.", recipients_requested=True,
        systems_override="HR confirms on Monday.", actor=dpo,
    )  # fmt: skip
    request.refresh_from_db()
    letter = render_letter_html(request, letter="closure", now=dt.datetime.now(TALLINN))
    assert "Partner" in letter and "Art. 19" in letter


def test_an_access_request_asks_every_system_what_it_holds(seeded: None, dpo: Any) -> None:
    f.SystemFactory.create(name="CRM")
    f.SystemFactory.create(name="Partner", kind="recipient")
    request = request_for(person(), dpo, "access")
    services.start_work(request=request, actor=dpo)
    [task] = SystemTask.objects.select_related("system")
    assert task.system.name == "CRM" and task.operation == Operation.ACCESS


def test_a_person_linked_after_an_access_request_started_is_asked_about_too(
    seeded: None, dpo: Any
) -> None:
    """Found by the state machine of the request services: the systems were asked only about
    the people matched when the work started; a person the DPO linked afterwards was never
    asked about, and the report about them went out without the systems' answers."""
    f.SystemFactory.create(name="CRM")
    kadri = person()
    request = services.submit_request(
        type="access", name="Kadri Kask", email="kadri.k@home.example", description=""
    )
    request = services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    services.start_work(request=request, actor=dpo)
    assert not SystemTask.objects.exists()  # matched to nobody yet
    services.link_subject(request=request, subject_id=kadri.pk, actor=dpo)
    [task] = SystemTask.objects.select_related("system")
    assert (task.system.name, task.operation, task.subject) == ("CRM", Operation.ACCESS, kadri)
    assert task.payload["person"]["work_email"] == "kadri@acme.example"


def test_an_erasure_a_hold_defers_reaches_the_systems_when_the_purge_erases(
    seeded: None, dpo: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Kept by a legal hold: the systems restrict now; their erasure tasks and the recipients'
    notices wait, leave the request free to complete, and go out when the purge erases."""
    f.SystemFactory.create(name="CRM", owner=staff, categories=["contact"])
    recipient = f.SystemFactory.create(
        name="Auditor LLP", kind="recipient", contact_email="privacy@auditor.example"
    )
    subject = person()
    subject.legal_hold_reason = "Litigation 2026-17"
    subject.legal_hold_set_at = timezone.now() - dt.timedelta(days=3)
    subject.save()
    request = request_for(subject, dpo, "erasure")
    mail.outbox.clear()
    erase(request, dpo, django_capture_on_commit_callbacks)
    tasks = {(t.system.name, t.operation): t for t in SystemTask.objects.select_related("system")}
    assert {key: t.status for key, t in tasks.items()} == {
        ("CRM", Operation.RESTRICT): TaskStatus.OPEN,
        ("CRM", Operation.ERASE): TaskStatus.WAITING,
        ("Auditor LLP", Operation.RESTRICT): TaskStatus.DONE,
        ("Auditor LLP", Operation.ERASE): TaskStatus.WAITING,
    }
    assert [m.to for m in mail.outbox] == [[recipient.contact_email]]  # the restriction only
    with pytest.raises(services.RequestError, match="waits until the kept data may go"):
        resolve_task(
            task=tasks["CRM", Operation.ERASE], status=TaskStatus.DONE, evidence="x", actor=staff
        )
    resolve_task(
        task=tasks["CRM", Operation.RESTRICT],
        status=TaskStatus.DONE,
        evidence="Locked",
        actor=staff,
    )
    services.complete_request(request=request, outcome="Kept by a hold.", actor=dpo)

    lift_subject_legal_hold(subject=subject, actor=dpo)
    mail.outbox.clear()
    with (
        time_machine.travel(timezone.now() + dt.timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        run = run_purge(as_of=legal_today(), dry_run=False, actor="test")
        purged_on = legal_today()
    assert run.status == "succeeded", run.note
    subject.refresh_from_db()
    assert subject.anonymised_at is not None
    crm_erase = SystemTask.objects.get(pk=tasks["CRM", Operation.ERASE].pk)
    assert crm_erase.status == TaskStatus.OPEN
    assert crm_erase.due_on == purged_on + dt.timedelta(days=5)
    # The identifiers were kept from the confirmation: the person's row is erased by now.
    assert crm_erase.payload["person"]["last_name"] == "Kask"
    notice = SystemTask.objects.get(pk=tasks["Auditor LLP", Operation.ERASE].pk)
    assert notice.status == TaskStatus.DONE
    [sent] = mail.outbox
    assert sent.to == [recipient.contact_email] and "kadri@acme.example" in sent.body
    assert AuditEvent.objects.filter(action="request.system_tasks_released").count() == 1
