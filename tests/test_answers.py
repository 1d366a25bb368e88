"""Building, reviewing and delivering the answer documents and letters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core import mail

from core.models import AuditEvent
from subject_requests import services
from subject_requests.choices import (
    ANSWER_FOR_TYPE,
    AnswerKind,
    AnswerStatus,
    DeliveryStatus,
    Status,
)
from subject_requests.models import Answer, SubjectRequest, TimelineEntry
from tests import factories as f
from tests.reports_helpers import pdf_text

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TALLINN)


def verified_request(dpo: Any, *, type: str = "access", language: str = "en") -> SubjectRequest:
    person = f.DataSubjectFactory.create(work_email="mari@company.example", first_name="Mari")
    request = services.submit_request(
        type=type, name="Mari Tamm", email="mari@company.example", description="", language=language
    )
    return services.verify_manually(
        request=request, asked="a", shown="b", subject_email=person.work_email, actor=dpo
    )


def built(dpo: Any, request: SubjectRequest, capture: Any) -> Answer:
    with capture(execute=True):
        answer = services.request_answer(request=request, actor=dpo)
    answer.refresh_from_db()
    return answer


def test_building_the_report_starts_the_work_and_leaves_it_for_review(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = verified_request(dpo)
    answer = built(dpo, request, django_capture_on_commit_callbacks)
    assert answer.status == AnswerStatus.READY and answer.progress == 100
    assert answer.kind == AnswerKind.ACCESS_REPORT and answer.pages >= 2
    assert len(answer.sha256) == 64 and answer.reviewed_at is None
    assert answer.content is not None and b"%PDF" in bytes(answer.content)[:8]
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS
    actions = set(
        AuditEvent.objects.filter(target_id=str(request.pk)).values_list("action", flat=True)
    )
    assert {"request.answer_requested", "request.answer_built"} <= actions
    assert TimelineEntry.objects.filter(
        request=request, summary__contains="ready for review"
    ).exists()


def test_a_build_runs_once_however_often_the_task_is_delivered(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = verified_request(dpo)
    answer = built(dpo, request, django_capture_on_commit_callbacks)
    assert services.run_answer_build(answer_id=answer.pk) is False
    assert Answer.objects.get(pk=answer.pk).attempts == 1


def test_a_failed_build_says_why_and_can_be_tried_again(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from subject_requests.services import answers

    request = verified_request(dpo)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the layout engine fell over")

    monkeypatch.setattr(answers, "build", broken)
    answer = built(dpo, request, django_capture_on_commit_callbacks)
    assert answer.status == AnswerStatus.FAILED
    assert answer.error == "An error occurred while building it (RuntimeError)."
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_answer(answer=answer, actor=dpo)
    answer.refresh_from_db()
    assert answer.status == AnswerStatus.READY and answer.attempts == 2


def test_nothing_to_build_without_a_matched_person_or_for_a_right_answered_by_acting(
    seeded: None, dpo: Any
) -> None:
    unmatched = services.verify_manually(
        request=services.submit_request(
            type="access", name="X", email="x@nowhere.example", description=""
        ),
        asked="a",
        shown="b",
        actor=dpo,
    )
    with pytest.raises(services.RequestError, match="matched to no person"):
        services.request_answer(request=unmatched, actor=dpo)
    erasure = verified_request(dpo, type="erasure")
    with pytest.raises(services.RequestError, match="answered by acting"):
        services.request_answer(request=erasure, actor=dpo)


def test_a_request_completes_only_after_the_dpo_reviewed_its_document(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = verified_request(dpo)
    answer = built(dpo, request, django_capture_on_commit_callbacks)
    with pytest.raises(services.RequestError, match="Build and review the access report"):
        services.complete_request(request=request, outcome="Report sent", actor=dpo)
    services.review_answer(answer=answer, actor=dpo)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_request(request=request, outcome="Report sent", actor=dpo)
    request.refresh_from_db()
    assert request.status == Status.COMPLETED and request.delivery_nonce
    [message] = mail.outbox
    assert "/privacy/answers/" in message.body
    [(name, content, content_type)] = message.attachments
    assert content_type == "application/pdf" and name.endswith("-completed.pdf")
    letter_text = pdf_text(content)
    assert "Our answer to your request" in letter_text and "Access report" in letter_text
    assert "Andmekaitse Inspektsioon" in letter_text  # the right to complain
    entry = TimelineEntry.objects.get(request=request, letter="closure")
    assert entry.delivery_status == DeliveryStatus.SENT
    assert entry.answer is not None and entry.answer.sent_at is not None


def test_a_partly_refused_answer_says_what_was_refused_and_why(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = verified_request(dpo)
    answer = built(dpo, request, django_capture_on_commit_callbacks)
    services.review_answer(answer=answer, actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_request(
            request=request,
            outcome="Report sent",
            refused_part="Notes naming a colleague are left out (Art. 15(4)).",
            actor=dpo,
        )
    letter = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    assert letter.outcome == "partly_refused"
    text = pdf_text(bytes(letter.content or b""))
    assert "What we could not do, and why" in text and "naming a colleague" in text


def test_a_requester_we_hold_nothing_about_is_told_so(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = services.verify_manually(
        request=services.submit_request(
            type="access", name="X", email="x@nowhere.example", description=""
        ),
        asked="a",
        shown="b",
        actor=dpo,
    )
    services.start_work(request=request, actor=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        services.complete_request(request=request, outcome="Searched every system", actor=dpo)
    letter = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    assert "We hold no personal data about you." in pdf_text(bytes(letter.content or b""))


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("en", "We cannot act on your request"), ("et", "IKÜM"), ("lv", "VDAR")],
)
def test_a_rejection_letter_is_in_the_requesters_language(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any, language: str, phrase: str
) -> None:
    request = verified_request(dpo, language=language)
    with django_capture_on_commit_callbacks(execute=True):
        services.reject_request(request=request, reason="Manifestly unfounded", actor=dpo)
    letter = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    assert letter.outcome == "refused" and letter.language == language
    text = pdf_text(bytes(letter.content or b""))
    assert phrase in text and "Manifestly unfounded" in text


def test_an_extension_letter_names_the_new_legal_due_day(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        request = services.start_work(request=verified_request(dpo), actor=dpo)
        with django_capture_on_commit_callbacks(execute=True):
            request = services.extend_deadline(request=request, reason="Many systems", actor=dpo)
    letter = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    text = pdf_text(bytes(letter.content or b""))
    # Received 20 November 2026: three months end on Saturday 20 February 2027 → Monday 22nd.
    assert "22 February 2027" in text and "Many systems" in text


def _completed_with_link(dpo: Any, capture: Any) -> tuple[SubjectRequest, str]:
    request = verified_request(dpo)
    answer = built(dpo, request, capture)
    services.review_answer(answer=answer, actor=dpo)
    mail.outbox.clear()
    with capture(execute=True):
        services.complete_request(request=request, outcome="Report sent", actor=dpo)
    match = re.search(r"/privacy/answers/[^/\s]+/", str(mail.outbox[-1].body))
    assert match
    return request, match.group(0)


def test_the_requester_downloads_their_documents_and_each_download_is_audited(
    seeded: None, dpo: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request, link = _completed_with_link(dpo, django_capture_on_commit_callbacks)
    page = client.get(link)
    assert page.status_code == 200
    hrefs = re.findall(rf'href="({re.escape(link)}\d+/)"', page.content.decode())
    assert len(hrefs) == 2  # the report and the letter
    response = client.get(hrefs[0])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        AuditEvent.objects.filter(
            action="request.answer_downloaded",
            target_id=str(request.pk),
            actor_label="data subject",
        ).count()
        == 1
    )


def test_a_tampered_or_foreign_link_is_refused(
    seeded: None, dpo: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _request, link = _completed_with_link(dpo, django_capture_on_commit_callbacks)
    token = link.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/privacy/answers/{tampered}/").status_code == 404
    other = Answer.objects.exclude(request=_request).first()
    if other is not None:
        assert client.get(f"{link}{other.pk}/").status_code == 404


def test_an_expired_link_says_so_and_a_new_link_voids_the_old_one(
    seeded: None, dpo: Any, client: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(NOW, tick=False):
        _request, link = _completed_with_link(dpo, django_capture_on_commit_callbacks)
    with time_machine.travel(NOW + dt.timedelta(days=13), tick=False):
        assert client.get(link).status_code == 200
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        expired = client.get(link)
        assert expired.status_code == 410
        assert "This link has expired" in expired.content.decode()
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            renewed = client.post(f"{link}new-link/")
        assert renewed.status_code == 200
        [message] = mail.outbox
        new_link = re.search(r"/privacy/answers/[^/\s]+/", str(message.body))
        assert new_link and new_link.group(0) != link
        assert client.get(new_link.group(0)).status_code == 200
        assert client.get(link).status_code == 404  # replaced: no longer valid


def test_the_dpo_previews_the_letter_before_sending_it(
    seeded: None, dpo: Any, client_for: Any
) -> None:
    request = services.start_work(request=verified_request(dpo, language="lv"), actor=dpo)
    client = client_for(dpo)
    page = client.get(f"/requests/{request.pk}/reject/")
    assert 'data-testid="preview-pdf"' in page.content.decode()
    html = client.post(
        f"/requests/{request.pk}/letter-preview/reject/", {"reason": "Not ours", "format": "html"}
    )
    assert html.status_code == 200 and "Not ours" in html.content.decode()
    assert 'lang="lv"' in html.content.decode()
    # As a page, the letter has its stylesheet (a URL the browser can load, under the policy).
    stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', html.content.decode())
    assert stylesheet is not None and stylesheet.group(1) == "/static/css/report.css"
    assert finders.find(stylesheet.group(1).removeprefix(settings.STATIC_URL))
    pdf = client.post(
        f"/requests/{request.pk}/letter-preview/reject/", {"reason": "Not ours", "format": "pdf"}
    )
    assert pdf["Content-Type"] == "application/pdf" and "Not ours" in pdf_text(pdf.content)
    assert client.post(f"/requests/{request.pk}/letter-preview/reject/", {}).status_code == 400
    request.refresh_from_db()
    assert request.status == Status.IN_PROGRESS  # a preview changes nothing
    assert not Answer.objects.filter(request=request).exists()


def test_the_request_page_follows_a_build_and_offers_review(
    seeded: None, dpo: Any, client_for: Any, django_capture_on_commit_callbacks: Any
) -> None:
    request = verified_request(dpo)
    client = client_for(dpo)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/requests/{request.pk}/answers/build/")
    answer = Answer.objects.get(request=request)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert f"/requests/{request.pk}/answers/{answer.pk}/progress/" in page
    assert client.get(f"/requests/{request.pk}/answers/{answer.pk}/progress/").json() == {
        "status": "queued",
        "progress": 0,
        "note": "Waiting for a worker",
        "error": "",
        "stalled": False,
    }
    services.run_answer_build(answer_id=answer.pk)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert 'data-testid="review-answer"' in page and 'data-testid="open-answer"' in page
    opened = client.get(f"/requests/{request.pk}/answers/{answer.pk}/file/")
    assert opened["Content-Disposition"].startswith("inline;")
    assert AuditEvent.objects.filter(action="request.answer_previewed").exists()


def test_every_document_a_request_is_answered_with_has_its_builder() -> None:
    """The builders live in the reports app, which registers them when it loads: a right
    answered with a document whose kind has no builder could never be answered."""
    from subject_requests.services.answers import _BUILDERS

    assert set(ANSWER_FOR_TYPE.values()) <= set(_BUILDERS)
    assert all(callable(builder) for builder in _BUILDERS.values())


def test_a_document_of_a_kind_nobody_builds_fails_with_its_reason(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    from subject_requests.services import answers

    monkeypatch.setattr(answers, "_BUILDERS", {})
    answer = built(dpo, verified_request(dpo), django_capture_on_commit_callbacks)
    assert answer.status == AnswerStatus.FAILED
    assert "No document of the kind 'access_report'" in answer.error


def test_two_letters_of_one_request_are_told_apart_on_its_pages(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: Any, client: Any
) -> None:
    """An extension letter and the answer letter are both letters: the request's page and
    the requester's download page name each by what it says, not twice "Answer letter"."""
    capture = django_capture_on_commit_callbacks
    request = services.start_work(request=verified_request(dpo), actor=dpo)
    with capture(execute=True):
        request = services.extend_deadline(request=request, reason="Many systems", actor=dpo)
    services.review_answer(answer=built(dpo, request, capture), actor=dpo)
    mail.outbox.clear()
    with capture(execute=True):
        services.complete_request(request=request, outcome="Report sent", actor=dpo)
    found = re.search(r"/privacy/answers/[^/\s]+/", str(mail.outbox[-1].body))
    assert found
    link = found.group(0)
    letters = Answer.objects.filter(request=request, kind=AnswerKind.LETTER)
    labels = sorted(letter.label for letter in letters)
    assert labels == ["Answer letter: Completed", "Answer letter: Deadline extended"]
    public = client.get(link).content.decode()
    assert all(f">{label}<" in public for label in labels), public
    client.force_login(dpo)
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert "Deadline extended ·" in page and "Completed ·" in page
