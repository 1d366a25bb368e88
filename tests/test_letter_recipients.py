"""The letter says which recipients were told of an erasure (GDPR Art. 19)
and which were not, and why — a recipient of the register that is inactive is named, not
silently skipped; a requester who asked which were told gets an answer even when none was."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from processing.models import System
from subject_requests import services
from subject_requests.letters import render_letter_html
from subject_requests.models import SubjectRequest
from subject_requests.services import erasure as erasure_services
from subjects.models import SubjectKind
from tests import factories as f

pytestmark = pytest.mark.django_db


def erased(dpo: User, capture: Any, *, asked: bool) -> SubjectRequest:
    f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT, first_name="Kadri", last_name="Kask", work_email="k@acme.example"
    )
    request = services.submit_request(
        type="erasure", name="Kadri Kask", email="k@acme.example", description="", language="en"
    )
    request = services.verify_manually(request=request, asked="a", shown="b", actor=dpo)
    request = services.start_work(request=request, actor=dpo)
    erasure_services.propose_erasure(request=request, actor=dpo)
    with capture(execute=True):
        erasure_services.confirm_erasure(request=request, actor=dpo)
    return services.complete_request(
        request=request, outcome="Erased.", actor=dpo, recipients_requested=asked
    )


def letter(request: SubjectRequest) -> str:
    from django.utils import timezone

    return " ".join(render_letter_html(request, letter="closure", now=timezone.now()).split())


def test_inactive_recipients_are_named_as_not_told_with_why(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: Any
) -> None:
    System.objects.update(active=False)  # the seeded register: nobody reachable yet
    text = letter(erased(dpo, django_capture_on_commit_callbacks, asked=True))
    assert "none has been told" in text
    assert 'data-testid="not-told"' in text
    assert "Auditors: we have no working channel to notify them at present." in text


def test_a_told_recipient_is_named_when_asked_and_only_then(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: Any
) -> None:
    System.objects.update(active=False)
    f.SystemFactory.create(
        name="Auditor LLP", kind="recipient", contact_email="privacy@auditor.example"
    )
    text = letter(erased(dpo, django_capture_on_commit_callbacks, asked=True))
    assert "were told of the change (GDPR Art. 19): Auditor LLP." in text
    assert "none has been told" not in text
    SubjectRequest.objects.all().delete()
    text = letter(erased(dpo, django_capture_on_commit_callbacks, asked=False))
    assert "Auditor LLP" not in text  # told, but named only to a requester who asked
