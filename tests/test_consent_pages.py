"""Staff pages: log a withdrawal or objection, record a grant, ledger, audience, objections."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from consent import services
from consent.models import (
    ConsentEvent,
    ConsentEvidence,
    EventKind,
    ObjectionReview,
    SuppressionEntry,
)
from core.crypto import blind_index
from core.exports import neutralise
from core.models import AuditEvent
from processing.models import Purpose
from subjects.models import DataSubject
from tests.factories import DataSubjectFactory, ProspectFactory, purpose
from tests.fixture_types import ClientFor
from tests.responses import streamed

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def subscriber(marketing: Purpose) -> DataSubject:
    subject = DataSubjectFactory.create(work_email="mari@company.example", first_name="Mari")
    with time_machine.travel(NOW - dt.timedelta(days=30), tick=False):
        services.grant_consent(
            subject=subject, purpose=marketing, channel="web_form", actor="data subject",
            wording="Newsletter",
        )  # fmt: skip
    return subject


def _body(response: TestResponse) -> str:
    return response.content.decode()


def test_an_exact_email_goes_straight_to_the_persons_form(
    client_for: ClientFor, staff: User, subscriber: DataSubject
) -> None:
    response = client_for(staff).get("/consent/log/", {"q": "MARI@company.example "})
    assert response.status_code == 302
    assert response["Location"] == f"/consent/log/{subscriber.pk}/"


def test_staff_log_a_backdated_withdrawal_in_review_and_confirm_steps(
    client_for: ClientFor, staff: User, subscriber: DataSubject, marketing: Purpose
) -> None:
    client = client_for(staff)
    form = client.get(f"/consent/log/{subscriber.pk}/")
    assert "Consent given" in _body(form)
    data = {
        "all_marketing": "on",
        "channel": "email",
        "occurred_at": "2025-06-09T14:30",
        "note": "E-mail: please stop the newsletter",
    }
    with time_machine.travel(NOW, tick=False):
        review = client.post(f"/consent/log/{subscriber.pk}/", {**data, "step": "review"})
        assert review.status_code == 200
        assert "Confirm what will be recorded" in _body(review)
        assert not ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).exists()
        done = client.post(
            f"/consent/log/{subscriber.pk}/", {**data, "purposes": [], "step": "confirm"}
        )
    assert done.status_code == 302
    event = ConsentEvent.objects.get(kind=EventKind.WITHDRAWN)
    # 14:30 in Tallinn (UTC+3 in June) is 11:30 UTC.
    assert event.occurred_at == dt.datetime(2025, 6, 9, 11, 30, tzinfo=dt.UTC)
    assert event.actor == staff and event.channel == "email"
    assert ConsentEvidence.objects.get(event=event).text == "E-mail: please stop the newsletter"
    timeline = client.get(f"/consent/subjects/{subscriber.pk}/")
    assert "Withdrawn" in _body(timeline) and "Consent withdrawn" in _body(timeline)


def test_the_log_form_explains_what_is_missing(
    client_for: ClientFor, staff: User, subscriber: DataSubject
) -> None:
    response = client_for(staff).post(
        f"/consent/log/{subscriber.pk}/",
        {"channel": "email", "occurred_at": "2999-01-01T10:00", "step": "review"},
    )
    assert response.status_code == 200
    body = _body(response)
    assert "Tick at least one purpose" in body
    assert "This time is in the future" in body


def test_an_unknown_email_can_still_be_suppressed(
    client_for: ClientFor, staff: User, seeded: None
) -> None:
    client = client_for(staff)
    search = client.get("/consent/log/", {"q": "nobody@else.example"})
    assert "Suppress this address" in _body(search)
    data = {"email": "nobody@else.example", "channel": "email", "suppressed_on": "2025-06-01"}
    review = client.post("/consent/log/suppress/", {**data, "step": "review"})
    assert "Confirm and suppress" in _body(review)
    assert not SuppressionEntry.objects.exists()
    client.post("/consent/log/suppress/", {**data, "step": "confirm"})
    entry = SuppressionEntry.objects.get()
    assert entry.email_index == blind_index("nobody@else.example")
    assert entry.suppressed_on == dt.date(2025, 6, 1)


def test_staff_record_a_grant_with_an_evidence_file(
    client_for: ClientFor, staff: User, marketing: Purpose
) -> None:
    subject = DataSubjectFactory.create()
    response = client_for(staff).post(
        f"/consent/grant/{subject.pk}/",
        {
            "purpose": marketing.pk,
            "channel": "letter",
            "wording": "Yes, send me the newsletter",
            "evidence_file": SimpleUploadedFile("form.pdf", b"%PDF-1.4 signed", "application/pdf"),
            "confirm": "on",
        },
    )
    assert response.status_code == 302
    evidence = ConsentEvidence.objects.get()
    assert bytes(evidence.file) == b"%PDF-1.4 signed" and evidence.file_name == "form.pdf"
    assert evidence.event.kind == EventKind.GRANTED


@pytest.mark.parametrize(
    ("url", "allowed", "refused"),
    [
        ("/consent/log/", ["staff", "dpo"], ["auditor", "outsider"]),
        ("/consent/ledger/", ["dpo", "auditor"], ["staff", "outsider"]),
        ("/consent/audience/", ["dpo"], ["staff", "auditor"]),
        ("/consent/notices/", ["dpo"], ["staff", "auditor"]),
        ("/consent/policies/new/", ["dpo"], ["staff", "auditor"]),
        ("/consent/objections/", ["dpo"], ["staff", "auditor"]),
        ("/consent/suppression/", ["dpo"], ["staff", "auditor"]),
    ],
)
def test_each_page_answers_only_the_roles_of_the_matrix(
    request: pytest.FixtureRequest,
    client: Client,
    url: str,
    allowed: list[str],
    refused: list[str],
    seeded: None,
) -> None:
    for name in allowed:
        client.force_login(request.getfixturevalue(name))
        assert client.get(url).status_code == 200, (url, name)
    for name in refused:
        client.force_login(request.getfixturevalue(name))
        assert client.get(url).status_code == 403, (url, name)
    client.logout()
    assert client.get(url).status_code == 302


def test_the_ledger_csv_is_filtered_and_neutralised(
    client_for: ClientFor, auditor: User, subscriber: DataSubject, marketing: Purpose
) -> None:
    other = DataSubjectFactory.create()
    services.grant_consent(
        subject=other, purpose=marketing, channel="web_form", actor="data subject",
        wording="=HYPERLINK(\"http://evil.example\")",
    )  # fmt: skip
    services.withdraw_consent(
        subject=subscriber, purpose=marketing, channel="email", actor="data subject"
    )
    response = client_for(auditor).get("/consent/ledger.csv", {"kind": "granted"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(streamed(response).decode())))
    header, data = rows[0], rows[1:]
    assert header[0].lstrip("\ufeff") == "event_id"
    assert {row[5] for row in data} == {"granted"} and len(data) == 2
    wordings = {row[9] for row in data}
    assert '\'=HYPERLINK("http://evil.example")' in wordings
    assert AuditEvent.objects.filter(action="consent.ledger_exported").exists()


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+372 5555", "'+372 5555"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        (None, ""),
    ],
)
def test_csv_cells_starting_with_formula_characters_are_neutralised(cell: Any, safe: str) -> None:
    assert neutralise(cell) == safe


def test_the_audience_csv_lists_marketable_people_with_their_unsubscribe_link(
    client_for: ClientFor, dpo: User, subscriber: DataSubject, marketing: Purpose
) -> None:
    DataSubjectFactory.create(first_name="=cmd|' /C calc'!A0")  # no consent: not in the audience
    response = client_for(dpo).get("/consent/audience/", {"purpose": marketing.pk})
    rows = list(csv.reader(io.StringIO(streamed(response).decode())))
    assert len(rows) == 2
    assert rows[1][1] == "mari@company.example"
    assert "/p/unsubscribe/" in rows[1][7]
    assert AuditEvent.objects.filter(action="consent.audience_exported").exists()


def test_the_dpo_decides_an_art_21_1_objection_on_the_page(
    client_for: ClientFor, dpo: User, staff: User, seeded: None
) -> None:
    subject = DataSubjectFactory.create()
    services.object_to_processing(
        subject=subject, purpose=purpose("legal-claims"), channel="letter", actor=staff
    )
    review = ObjectionReview.objects.get()
    client = client_for(dpo)
    assert subject.first_name in _body(client.get("/consent/objections/"))
    empty = client.post(f"/consent/objections/{review.pk}/", {"decision": "upheld"})
    assert "This field is required" in _body(empty)
    client.post(
        f"/consent/objections/{review.pk}/",
        {"decision": "upheld", "reasoning": "No pending claim outweighs the objection."},
    )
    review.refresh_from_db()
    assert review.status == "upheld" and review.decided_by == dpo


def test_the_subject_section_shows_state_and_timeline_to_staff(
    rf: RequestFactory, staff: User, auditor: User, subscriber: DataSubject
) -> None:
    from consent.sections import consent_timeline_section

    request = rf.get("/")
    request.user = staff
    section = consent_timeline_section(request, subscriber)
    assert section is not None and section["can_log"]
    states = {s.purpose.code: s.status for s in section["states"]}
    assert states["direct-marketing"] == "granted" and states["service"] == "not_objected"
    assert section["events"][0].kind == EventKind.GRANTED
    request.user = auditor
    assert consent_timeline_section(request, subscriber) is None


def test_a_prospect_objection_from_the_page_warns_about_erasure(
    client_for: ClientFor, staff: User, seeded: None
) -> None:
    prospect = ProspectFactory.create()
    response = client_for(staff).post(
        f"/consent/log/{prospect.pk}/",
        {"all_marketing": "on", "channel": "phone", "occurred_at": "2025-06-09T10:00",
         "step": "review"},
    )  # fmt: skip
    assert "data will be erased" in _body(response)


def test_a_withdrawal_dated_before_a_later_grant_is_refused_with_a_reason(
    client_for: ClientFor, staff: User, subscriber: DataSubject
) -> None:
    response = client_for(staff).post(
        f"/consent/log/{subscriber.pk}/",
        {"all_marketing": "on", "channel": "email", "occurred_at": "2025-01-01T10:00",
         "step": "confirm"},
    )  # fmt: skip
    assert response.status_code == 200
    assert "was granted again on" in _body(response)
    assert not ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).exists()


# --- evidence links ------------------------------------------------------------------------------


def _grant_with_evidence(
    subject: DataSubject, marketing: Purpose, *, file: bool = True
) -> ConsentEvidence:
    upload = SimpleUploadedFile("form.pdf", b"%PDF-1.4 signed", "application/pdf")
    event = services.grant_consent(
        subject=subject, purpose=marketing, channel="letter", actor="data subject",
        wording="Newsletter", evidence_text="Signed at the fair",
        evidence_file=upload if file else None,
    )  # fmt: skip
    return ConsentEvidence.objects.get(event=event)


def _evidence_href(evidence: ConsentEvidence) -> str:
    return f'href="/consent/evidence/{evidence.pk}/"'


def test_the_dpo_finds_the_evidence_link_on_the_subject_page_and_the_ledger(
    client_for: ClientFor, dpo: User, marketing: Purpose
) -> None:
    subject = DataSubjectFactory.create()
    evidence = _grant_with_evidence(subject, marketing)
    client = client_for(dpo)
    assert _evidence_href(evidence) in _body(client.get(f"/subjects/{subject.pk}/"))
    assert _evidence_href(evidence) in _body(client.get(f"/consent/subjects/{subject.pk}/"))
    assert _evidence_href(evidence) in _body(client.get("/consent/ledger/"))


def test_the_auditor_reads_the_ledger_but_never_the_evidence_behind_it(
    client_for: ClientFor, auditor: User, marketing: Purpose
) -> None:
    # Evidence is the person's own letter or e-mail: personal data, which auditors never see.
    person = DataSubjectFactory.create(first_name="Zanzibar", last_name="Quokka")
    evidence = _grant_with_evidence(person, marketing)
    client = client_for(auditor)
    page = _body(client.get("/consent/ledger/"))
    assert f"Person #{person.pk}" in page
    assert "Zanzibar" not in page and "Quokka" not in page
    assert "/consent/evidence/" not in page
    assert client.get(f"/consent/evidence/{evidence.pk}/").status_code == 403


def test_staff_see_the_timeline_without_the_evidence_link_they_may_not_follow(
    client_for: ClientFor, staff: User, marketing: Purpose
) -> None:
    subject = DataSubjectFactory.create()
    evidence = _grant_with_evidence(subject, marketing)
    client = client_for(staff)
    page = _body(client.get(f"/subjects/{subject.pk}/"))
    assert "Timeline" in page and "Newsletter" in page
    assert "/consent/evidence/" not in page
    assert "/consent/evidence/" not in _body(client.get(f"/consent/subjects/{subject.pk}/"))
    assert client.get(f"/consent/evidence/{evidence.pk}/").status_code == 403


def test_evidence_without_a_file_or_purged_has_no_link(
    client_for: ClientFor, dpo: User, marketing: Purpose
) -> None:
    subject = DataSubjectFactory.create()
    note_only = _grant_with_evidence(subject, marketing, file=False)
    purged = _grant_with_evidence(subject, marketing)
    ConsentEvidence.objects.filter(pk=purged.pk).update(file=None, purged_at=NOW)
    client = client_for(dpo)
    for url in (f"/subjects/{subject.pk}/", "/consent/ledger/"):
        page = _body(client.get(url))
        assert _evidence_href(note_only) not in page and _evidence_href(purged) not in page
    assert client.get(f"/consent/evidence/{purged.pk}/").status_code == 404


def test_downloading_evidence_from_the_link_is_audited(
    client_for: ClientFor, dpo: User, marketing: Purpose
) -> None:
    evidence = _grant_with_evidence(DataSubjectFactory.create(), marketing)
    response = client_for(dpo).get(f"/consent/evidence/{evidence.pk}/")
    assert response.status_code == 200 and response.content == b"%PDF-1.4 signed"
    audit = AuditEvent.objects.get(action="consent.evidence_viewed")
    assert audit.actor == dpo
    assert audit.target_type == "consent.consentevidence" and audit.target_id == str(evidence.pk)
    assert audit.details == {"event": evidence.event_id}


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm: what every page caches (the alarms) is not the page's
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_evidence_links_cost_no_query_per_event(
    client_for: ClientFor, dpo: User, marketing: Purpose
) -> None:
    subject = DataSubjectFactory.create()
    _grant_with_evidence(subject, marketing)
    client = client_for(dpo)
    urls = (f"/consent/subjects/{subject.pk}/", "/consent/ledger/")
    few = [_queries(client, url) for url in urls]
    for _ in range(9):
        _grant_with_evidence(subject, marketing)
    assert [_queries(client, url) for url in urls] == few
