"""The consent pages as staff and the DPO meet them: an erasing objection
confirmed in danger style, "erasure scheduled" until it is done, an evidence file with a
withdrawal, the ledger searched by person, an address checked against the suppression list."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from consent import services
from consent.models import ConsentEvent, ConsentEvidence, EventKind
from consent.services.objections import erase_objecting_prospect, suppress_email
from processing.models import Purpose
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory, ProspectFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC)
OBJECTION = {"all_marketing": "on", "channel": "phone", "occurred_at": "2025-06-09T10:00"}


@pytest.fixture
def subscriber(marketing: Purpose) -> DataSubject:
    subject = DataSubjectFactory.create(work_email="mari@company.example", first_name="Mari")
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        services.grant_consent(
            subject=subject, purpose=marketing, channel="web_form", actor="data subject",
            wording="Newsletter",
        )  # fmt: skip
    return subject


def test_an_objection_that_erases_a_prospect_is_confirmed_in_danger_style_and_shown_until_done(
    client_for: ClientFor, staff: User, dpo: User, seeded: None
) -> None:
    prospect = ProspectFactory.create()
    client = client_for(staff)
    with time_machine.travel(NOW, tick=False):
        review = client.post(f"/consent/log/{prospect.pk}/", {**OBJECTION, "step": "review"})
        page = review.content.decode()
        assert 'class="notice error" role="alert"' in page and "This erases the person." in page
        assert 'class="danger">Confirm: record the objection and erase this prospect' in page
        # The erasure is enqueued after commit; here it has not run yet.
        client.post(f"/consent/log/{prospect.pk}/", {**OBJECTION, "step": "confirm"})
    detail = client_for(dpo).get(f"/subjects/{prospect.pk}/").content.decode()
    assert '<span class="badge bad">erasure scheduled</span>' in detail
    erase_objecting_prospect(subject_id=prospect.pk)
    after = client_for(dpo).get(f"/subjects/{prospect.pk}/").content.decode()
    assert "erasure scheduled" not in after


def test_a_withdrawal_keeps_the_evidence_file_given_on_the_confirmation_step(
    client_for: ClientFor, staff: User, subscriber: DataSubject
) -> None:
    client = client_for(staff)
    data = {"all_marketing": "on", "channel": "email", "occurred_at": "2025-06-09T14:30"}
    with time_machine.travel(NOW, tick=False):
        review = client.post(f"/consent/log/{subscriber.pk}/", {**data, "step": "review"})
        assert 'type="file" name="evidence_file"' in review.content.decode()
        upload = SimpleUploadedFile("stop.eml", b"Please stop.", content_type="message/rfc822")
        done = client.post(
            f"/consent/log/{subscriber.pk}/",
            {**data, "step": "confirm", "evidence_file": upload},
        )
    assert done.status_code == 302
    evidence = ConsentEvidence.objects.get(event__kind=EventKind.WITHDRAWN)
    assert bytes(evidence.file or b"") == b"Please stop." and evidence.file_name == "stop.eml"


def test_the_ledger_is_searched_by_person(
    client_for: ClientFor, dpo: User, auditor: User, subscriber: DataSubject, marketing: Purpose
) -> None:
    other = DataSubjectFactory.create(work_email="jaan@company.example", first_name="Jaan")
    services.grant_consent(
        subject=other, purpose=marketing, channel="web_form", actor="data subject", wording="x"
    )
    client = client_for(dpo)
    for query in ("mari@company.example", "Mari", f"#{subscriber.pk}"):
        page = client.get("/consent/ledger/", {"person": query}).content.decode()
        assert f"/subjects/{subscriber.pk}/" in page, query
        assert f"/subjects/{other.pk}/" not in page, query
    client.logout()
    auditor_client = client_for(auditor)
    refused = auditor_client.get("/consent/ledger/", {"person": "Mari"}).content.decode()
    assert (
        "Search by the person&#x27;s number" in refused
        or "Search by the person's number" in refused
    )
    assert ConsentEvent.objects.count() == 2


def test_an_address_is_checked_against_the_suppression_list(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    suppress_email(email="gone@company.example", channel="email", actor=dpo)
    client = client_for(dpo)
    hit = client.get("/consent/suppression/", {"address": "GONE@company.example"}).content.decode()
    assert "is suppressed since" in hit
    miss = client.get("/consent/suppression/", {"address": "here@company.example"}).content.decode()
    assert "is not on the suppression list" in miss
