"""The access report is a document a DPO sends — what each system holds
or did in words, nothing internal — and it says what holds when the answer goes out: one
built before a system answered is out of date, refused at completion until built again."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User

from processing.models import System
from subject_requests import services
from subject_requests.choices import AnswerKind, TaskStatus
from subject_requests.delivery import documents_for
from subject_requests.models import Answer, SubjectRequest, SystemTask
from subjects.models import DataSubject, SubjectKind
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.reports_helpers import pdf_text

pytestmark = pytest.mark.django_db

# What a stored structure looks like when it leaks into a document.
RAW = re.compile(r"\{'|\['|subject_id|'kind'|organisation_registry_code|due_on")


@pytest.fixture
def kadri(seeded: None, staff: User) -> DataSubject:
    System.objects.update(active=False)
    f.SystemFactory.create(name="CRM", owner=staff)
    return f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        organisation=f.OrganisationFactory.create(name="Acme"),
    )


def started(dpo: User) -> SubjectRequest:
    request = services.submit_request(
        type="access", name="Kadri Kask", email="kadri@acme.example", description="", language="en"
    )
    request = services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    return services.start_work(request=request, actor=dpo)


def built(dpo: User, request: SubjectRequest, capture: Any) -> Answer:
    with capture(execute=True):
        answer = services.request_answer(request=request, actor=dpo)
    answer.refresh_from_db()
    return answer


def words(answer: Answer) -> str:
    return re.sub(r"\s+", " ", pdf_text(bytes(answer.content or b"")))


def test_the_report_says_in_words_what_each_system_was_given_and_nothing_internal(
    kadri: DataSubject, dpo: User, django_capture_on_commit_callbacks: Any
) -> None:
    request = started(dpo)
    text = words(built(dpo, request, django_capture_on_commit_callbacks))
    assert "What we gave them: To find you: first name: Kadri; last name: Kask" in text
    assert "work e-mail: kadri@acme.example" in text
    assert "Data concerned: Identification, Contact" in text
    assert not RAW.search(text), RAW.search(text)
    assert "What you wrote" not in text  # an empty field is left out of a card, not "—"


def test_a_report_built_before_a_system_answered_is_refused_until_built_again(
    kadri: DataSubject,
    dpo: User,
    staff: User,
    client_for: ClientFor,
    clock: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = started(dpo)
    first = built(dpo, request, django_capture_on_commit_callbacks)
    assert "Status: Open" in words(first)
    services.review_answer(answer=first, actor=dpo)

    clock.shift(dt.timedelta(hours=2))  # the CRM's owner answers after the report was built
    task = SystemTask.objects.get()
    client_for(staff).post(
        f"/requests/tasks/{task.pk}/", {"status": "done", "evidence": "Contact #18: name, e-mail"}
    )
    assert SystemTask.objects.get().status == TaskStatus.DONE

    with pytest.raises(services.RequestError, match="built before a system's task or answer"):
        services.complete_request(request=request, outcome="Here is your data.", actor=dpo)
    page = client_for(dpo).get(f"/requests/{request.pk}/").content.decode()
    assert 'data-testid="answer-out-of-date"' in page

    clock.shift(dt.timedelta(minutes=5))
    second = built(dpo, request, django_capture_on_commit_callbacks)
    text = words(second)
    assert "Status: Done" in text and "Contact #18: name, e-mail" in text
    page = client_for(dpo).get(f"/requests/{request.pk}/").content.decode()
    assert "replaced by a newer one" in page and "answer-out-of-date" not in page
    services.review_answer(answer=second, actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_request(request=request, outcome="Here is your data.", actor=dpo)
    sent = list(documents_for(request).documents())
    assert sent == [second] and sent[0].kind == AnswerKind.ACCESS_REPORT
    # The closing letter carried the link: the report went with it, the replaced one never.
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.sent_at is not None and first.sent_at is None


def test_a_ready_document_without_a_build_time_is_kept_not_a_server_error(
    kadri: DataSubject, dpo: User, client_for: ClientFor, django_capture_on_commit_callbacks: Any
) -> None:
    """Rows older than the build times (or made by hand) have a ready document without
    `built_at`: the request page shows it rather than failing (found by the fuzzed GETs)."""
    request = started(dpo)
    answer = built(dpo, request, django_capture_on_commit_callbacks)
    Answer.objects.filter(pk=answer.pk).update(built_at=None)
    assert client_for(dpo).get(f"/requests/{request.pk}/").status_code == 200
