"""What the systems were asked that a request no longer needs is withdrawn: the question about a
person the DPO unlinked, the questions and the proposals of a request closed without an answer
(found by the state machine of the request services: their tasks stayed open, the owners were
still asked for data about someone the request no longer concerned). And the daily job leaves a
request the DPO paused for identity documents to the DPO."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import standardwebhooks
import time_machine
from django.utils import timezone

from core.models import AuditEvent
from processing.models import System
from subject_requests import services
from subject_requests.choices import ActionStatus, Operation, Status, TaskStatus
from subject_requests.models import SubjectRequest, SystemTask, TimelineEntry
from subject_requests.services import erasure as erasure_services
from subject_requests.services import systems
from subject_requests.services.reminders import close_unverified_requests
from subject_requests.services.task_withdrawal import REQUEST_CLOSED, tell_withdrawn
from tests import factories as f
from tests.test_system_tasks import SECRET, signed_post
from tests.test_system_tasks import person as kadri
from tests.webhook_server import LocalServer, serve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _only_the_tests_systems(seeded: None) -> None:
    System.objects.update(active=False)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    yield from serve(LocalServer(url=""))


def started_access(dpo: Any, capture: Any, type: str = "access") -> SubjectRequest:
    """Started, with the deliveries run (`capture`: pytest-django's on-commit capture), or
    queued and never run (`capture` None)."""
    request = services.submit_request(
        type=type,
        name="Kadri Kask",
        email="kadri@acme.example",
        description="",
        language="en",
    )
    request = services.verify_manually(
        request=request, asked="a", shown="b", subject_email="kadri@acme.example", actor=dpo
    )
    if capture is None:
        services.start_work(request=request, actor=dpo)
    else:
        with capture(execute=True):
            services.start_work(request=request, actor=dpo)
    return request


def systems_of_the_test(server: LocalServer, owner: Any) -> None:
    f.SystemFactory.create(name="CRM", owner=owner, categories=["contact"])
    f.SystemFactory.create(
        name="Platform",
        connector="webhook",
        webhook_url=f"{server.url}/ok",
        webhook_secret=SECRET,
        categories=["identification", "contact"],
    )


def test_unlinking_a_person_withdraws_the_questions_about_them_and_tells_the_webhook(
    dpo: Any,
    staff: Any,
    server: LocalServer,
    client_for: Any,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    systems_of_the_test(server, staff)
    person = kadri()
    request = started_access(dpo, django_capture_on_commit_callbacks)
    tasks = {t.system.name: t for t in SystemTask.objects.select_related("system")}
    assert {name: t.status for name, t in tasks.items()} == {"CRM": "open", "Platform": "open"}
    [asked] = server.received
    link = json.loads(asked.body)["callback_url"].split("127.0.0.1:8000", 1)[-1]

    dpo_client = client_for(dpo)
    confirm = dpo_client.get(f"/requests/{request.pk}/people/", {"unlink": person.pk})
    assert "told the question is withdrawn: CRM, Platform." in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = dpo_client.post(
            f"/requests/{request.pk}/people/", {"subject": person.pk, "change": "unlink"}
        )
    assert response.status_code == 302
    for task in tasks.values():
        task.refresh_from_db()
        assert task.status == TaskStatus.WITHDRAWN and task.is_resolved
        assert task.payload is None and task.callback_nonce == ""
    assert not request.system_tasks.unresolved().exists()
    # The webhook system is told, signed like every call; the CRM's owner no longer sees it.
    told = json.loads(server.received[-1].body)
    assert told == {
        "task": tasks["Platform"].pk,
        "reference": request.reference,
        "withdrawn": "not_the_requester",
    }
    receiver = standardwebhooks.Webhook(SECRET)
    assert receiver.verify(server.received[-1].body, server.received[-1].headers) == told
    owner_list = client_for(staff).get("/requests/tasks/").content.decode()
    assert f"/requests/tasks/{tasks['CRM'].pk}/" not in owner_list
    owner_page = client_for(staff).get(f"/requests/tasks/{tasks['CRM'].pk}/").content.decode()
    assert "Withdrawn: no longer needed" in owner_page
    assert "The DPO unlinked the person: the request is not about them." in owner_page
    assert 'data-testid="resolve-task"' not in owner_page
    # The completion link is spent.
    assert signed_post(client, link, {"status": "done"}).status_code == 410
    event = AuditEvent.objects.get(action="request.system_tasks_withdrawn")
    assert event.details["subject"] == person.pk and event.details["why"] == "not_the_requester"
    summaries = list(request.timeline.values_list("summary", flat=True))
    assert any("2 question(s) to the systems withdrawn (CRM, Platform)" in s for s in summaries)
    assert any("Platform told of the withdrawal" in s for s in summaries)
    request_page = dpo_client.get(f"/requests/{request.pk}/").content.decode()
    assert f'data-task="{tasks["CRM"].pk}" data-status="withdrawn"' in request_page

    # Linked again (the DPO was wrong twice): the systems are asked afresh.
    services.link_subject(request=request, subject_id=person.pk, actor=dpo)
    assert request.system_tasks.unresolved().count() == 2


def test_a_delivery_still_queued_for_a_withdrawn_question_sends_nothing(
    dpo: Any, staff: Any, server: LocalServer, django_capture_on_commit_callbacks: Any
) -> None:
    systems_of_the_test(server, staff)
    person = kadri()
    request = started_access(dpo, None)
    platform = SystemTask.objects.get(system__name="Platform")
    assert platform.delivered_at is None and platform.attempts == 0
    with django_capture_on_commit_callbacks(execute=True):
        services.unlink_subject(request=request, subject_id=person.pk, actor=dpo)
    assert systems.deliver(task_id=platform.pk).status == TaskStatus.WITHDRAWN
    assert server.received == []  # never sent, so never told either


@pytest.mark.parametrize("closing", ["reject", "withdraw"])
def test_a_request_closed_without_an_answer_asks_nothing_more(
    closing: str, dpo: Any, staff: Any, server: LocalServer, django_capture_on_commit_callbacks: Any
) -> None:
    systems_of_the_test(server, staff)
    kadri()
    request = started_access(dpo, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        if closing == "reject":
            services.reject_request(request=request, reason="Manifestly excessive.", actor=dpo)
        else:
            services.withdraw_request(request=request, actor=dpo)
    assert set(SystemTask.objects.values_list("status", flat=True)) == {TaskStatus.WITHDRAWN}
    assert json.loads(server.received[-1].body)["withdrawn"] == REQUEST_CLOSED
    event = AuditEvent.objects.get(action="request.system_tasks_withdrawn")
    assert event.details["subject"] is None and len(event.details["tasks"]) == 2


def test_closing_cancels_a_proposed_erasure_and_keeps_a_done_ones_tasks(
    dpo: Any, staff: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An erasure carried out stays carried out: the systems still erase their copies. One only
    proposed on a request the requester withdraws is cancelled, not left for a DPO to confirm."""
    f.SystemFactory.create(name="CRM", owner=staff, categories=["contact"])
    kadri()
    proposed = started_access(dpo, django_capture_on_commit_callbacks, type="erasure")
    erasure_services.propose_erasure(request=proposed, actor=dpo)
    services.withdraw_request(request=proposed, reason="Changed my mind", actor=dpo)
    [action] = proposed.actions.all()
    assert action.status == ActionStatus.CANCELLED
    assert AuditEvent.objects.filter(action="request.proposals_cancelled").count() == 1
    assert TimelineEntry.objects.filter(
        request=proposed, summary__startswith="1 proposed action(s) cancelled"
    ).exists()

    done = started_access(dpo, django_capture_on_commit_callbacks, type="erasure")
    erasure_services.propose_erasure(request=done, actor=dpo)
    erasure_services.confirm_erasure(request=done, actor=dpo)
    erase_task = SystemTask.objects.get(request=done, operation=Operation.ERASE)
    services.withdraw_request(request=done, actor=dpo)
    erase_task.refresh_from_db()
    assert erase_task.status == TaskStatus.OPEN


def test_a_withdrawal_the_system_does_not_take_is_tried_again_then_noted(
    dpo: Any,
    staff: Any,
    server: LocalServer,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    systems_of_the_test(server, staff)
    person = kadri()
    request = started_access(dpo, django_capture_on_commit_callbacks)
    platform = SystemTask.objects.get(system__name="Platform")
    System.objects.filter(pk=platform.system_id).update(webhook_url=f"{server.url}/error")
    services.unlink_subject(request=request, subject_id=person.pk, actor=dpo)
    finished = [tell_withdrawn(task_id=platform.pk, why="x", attempt=n) for n in range(3)]
    assert finished == [False, False, True]
    note = request.timeline.get(summary__contains="could not be told")
    assert note.summary == (
        "Platform: the withdrawal could not be told after 3 attempts (HTTP 500)"
    )


def test_the_daily_job_leaves_a_request_paused_for_identity_documents_to_the_dpo(
    dpo: Any,
) -> None:
    """Found by the state machine: a request the DPO paused to ask for an ID document (Art.
    12(6)) was closed a week later as if a verification link had not been followed."""
    waiting_link = services.submit_request(
        type="access", name="Mari Maasikas", email="mari@example.com", description=""
    )
    asked_documents = services.submit_request(
        type="access", name="Juhan Juurikas", email="juhan@example.com", description=""
    )
    services.pause_request(
        request=asked_documents,
        reason="identity",
        note="Please send a copy of your ID card.",
        actor=dpo,
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        assert close_unverified_requests(now=timezone.now()) == 1
    statuses = dict(
        SubjectRequest.objects.filter(pk__in=[waiting_link.pk, asked_documents.pk]).values_list(
            "pk", "status"
        )
    )
    assert statuses == {
        waiting_link.pk: Status.CLOSED_UNVERIFIED,
        asked_documents.pk: Status.AWAITING_IDENTITY,
    }
