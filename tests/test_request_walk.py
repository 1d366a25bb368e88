"""The request pages as a requester and a DPO meet them."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone, translation

from core.display import staff_date
from subject_requests import services
from subject_requests.decisions import extended_due_on
from subject_requests.letters import letter_context
from subject_requests.models import SubjectRequest
from subject_requests.services.identity import status_token
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
RECEIVED = dt.datetime(2025, 3, 3, 10, 0, tzinfo=TALLINN)


def test_after_confirming_an_unmatched_email_the_status_page_no_longer_asks_for_the_click(
    client: Client,
) -> None:
    request = f.SubjectRequestFactory.create(
        status="awaiting_identity", email_confirmed_at=timezone.now()
    )
    page = client.get(f"/privacy/request/status/{status_token(request)}/").content.decode()
    assert "Follow the link" not in page
    assert "You have confirmed your e-mail address" in page


def test_the_dpo_page_of_a_verified_request_without_a_match_says_so(
    dpo: User, client_for: ClientFor
) -> None:
    request = f.SubjectRequestFactory.create(status="verified", verified_at=timezone.now())
    page = client_for(dpo).get(f"/requests/{request.pk}/").content.decode()
    assert "None yet: a subject is matched" not in page
    assert "No stored person has the requester's e-mail address" in page


def test_the_extend_page_shows_the_legal_due_day_before_confirming(
    dpo: User, client_for: ClientFor
) -> None:
    with time_machine.travel(RECEIVED + dt.timedelta(days=3), tick=False):
        request = f.SubjectRequestFactory.create(status="in_progress", received_at=RECEIVED)
        page = client_for(dpo).get(f"/requests/{request.pk}/extend/").content.decode()
    day = extended_due_on(request)
    assert 'data-testid="resulting-due-on"' in page
    assert staff_date(day) in page


def test_the_complete_page_asks_what_was_done_not_for_a_reason(
    dpo: User, client_for: ClientFor
) -> None:
    request = f.SubjectRequestFactory.create(status="in_progress", verified_at=timezone.now())
    page = client_for(dpo).get(f"/requests/{request.pk}/complete/").content.decode()
    assert "What was done" in page
    assert ">Reason<" not in page


@pytest.mark.parametrize("query", ["status=bogus", "type=nothing", "assignee=99999"])
def test_the_queue_says_when_a_filter_value_is_refused(
    dpo: User, client_for: ClientFor, query: str
) -> None:
    page = client_for(dpo).get(f"/requests/?{query}").content.decode()
    assert "The filter was not applied" in page


def test_the_acknowledgement_of_an_extended_request_names_the_extended_day(
    dpo: User,
) -> None:
    with time_machine.travel(RECEIVED + dt.timedelta(days=3), tick=False):
        request = f.SubjectRequestFactory.create(status="in_progress", received_at=RECEIVED)
        services.extend_deadline(request=request, reason="Many systems", actor=dpo)
    request = SubjectRequest.objects.get(pk=request.pk)
    with translation.override("en"):
        text = render_to_string("emails/requests/acknowledgement.txt", letter_context(request))
    assert "We have extended the time to answer" in text
    assert "3 June 2025" in text
    assert "we may extend this" not in text
