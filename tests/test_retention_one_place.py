"""One definition of a legal hold, claims bounded at 10 years closed or not, every
record that no rule in force governs shown as a finding, and a person's retention lines at a
fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from retention.models import RetentionRule
from retention.preview import uncovered_groups
from retention.selectors import subject_deadlines
from subjects.models import Claim, DataSubject, Organisation, OrganisationStatus, SubjectKind
from subjects.services import (
    SubjectsOnLegalHold,
    erase_subjects,
    set_organisation_legal_hold,
    set_subject_legal_hold,
)
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
D = dt.date
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)
NOW = dt.datetime(2026, 1, 10, 12, tzinfo=TALLINN)


def test_an_open_claim_goes_ten_years_and_one_day_after_it_fell_due(seeded: None) -> None:
    # Estonian Civil Code (General Part) § 146(4): at most 10 years, closed or not.
    claim = f.ClaimFactory.create(fell_due_on=D(2015, 6, 30), closed_on=None)
    purge(D(2025, 6, 30))  # 10 years exactly: the last day it may be kept
    claim.refresh_from_db()
    assert claim.anonymised_at is None and claim.description == "Unpaid invoice"
    purge(D(2025, 7, 1))  # 10 years and 1 day
    claim.refresh_from_db()
    assert claim.anonymised_at is not None and claim.description is None


def test_live_litigation_past_ten_years_is_kept_only_by_a_legal_hold(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    held = f.ClaimFactory.create(fell_due_on=D(2014, 1, 1), closed_on=None)
    assert held.subject is not None
    with time_machine.travel(NOW, tick=False):
        set_subject_legal_hold(
            subject=held.subject, actor=dpo, reason="Court case 2-24-77", review_on=D(2026, 6, 1)
        )
        page = client_for(dpo).get("/retention/").content.decode()
    section = page.split("Claims: 10 years after falling due")[1].split("retention-rule")[0]
    assert "kept by hold" in section and f"#{held.pk}" in section
    purge(D(2026, 1, 10))
    held.refresh_from_db()
    assert held.anonymised_at is None and held.description == "Unpaid invoice"


def test_a_hold_on_an_organisation_stops_the_purge_the_erasure_and_shows_on_the_preview(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    company = f.OrganisationFactory.create(
        status=OrganisationStatus.PROSPECT, name="Held Company OÜ"
    )
    prospect = f.ProspectFactory.create(organisation=company, collected_at=LONG_AGO)
    with time_machine.travel(NOW, tick=False):
        set_organisation_legal_hold(
            organisation=company, actor=dpo, reason="Audit 2026", review_on=D(2026, 12, 1)
        )
        assert DataSubject.objects.held().filter(pk=prospect.pk).exists()
        page = client_for(dpo).get("/retention/").content.decode()
        with pytest.raises(SubjectsOnLegalHold):
            erase_subjects(subject_ids=[prospect.pk], actor=dpo, reason="GDPR Art. 17")
    skipped = page.split("Skipped: legal holds and restrictions")[1]
    assert "Held Company OÜ" in skipped and "Audit 2026" in skipped
    assert "Legal hold of their organisation" in skipped
    purge(D(2026, 1, 10))
    prospect.refresh_from_db()
    assert prospect.anonymised_at is None


def test_a_hold_counts_from_the_day_it_was_set() -> None:
    person = f.DataSubjectFactory.create()
    with time_machine.travel(NOW, tick=False):
        set_subject_legal_hold(
            subject=person, actor="test", reason="Claim", review_on=D(2026, 3, 1)
        )
    assert DataSubject.objects.held(as_of=D(2026, 1, 10)).filter(pk=person.pk).exists()
    assert not DataSubject.objects.held(as_of=D(2026, 1, 9)).filter(pk=person.pk).exists()
    assert DataSubject.objects.held().filter(pk=person.pk).exists()


def test_erasure_on_request_yields_to_a_hold_but_not_to_a_restriction(dpo: User) -> None:
    restricted = f.DataSubjectFactory.create(
        restricted_at=NOW, restriction_reason="accuracy contested"
    )
    outcome = erase_subjects(subject_ids=[restricted.pk], actor=dpo, reason="GDPR Art. 17")
    assert outcome.anonymised == [restricted.pk]


def test_a_former_user_with_no_organisation_is_a_finding_until_the_dpo_confirms_a_rule(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    former_user = f.DataSubjectFactory.create(
        kind=SubjectKind.OTHER, organisation=None, collected_at=LONG_AGO, first_name="Endine"
    )
    groups = {g.key: g for g in uncovered_groups(as_of=D(2026, 1, 10))}
    key = "subjects.datasubject:unconfirmed:subjects.former_user"
    assert former_user.pk in {p.pk for p in groups[key].records}
    page = client_for(dpo).get("/retention/").content.decode()
    assert "1 record of data subjects that no rule in force governs" in page
    listing = client_for(dpo).get("/retention/findings/", {"group": key}).content.decode()
    assert f'href="/subjects/{former_user.pk}/"' in listing and "Endine" in listing
    RetentionRule.objects.filter(code="former-users").update(confirmed=True)
    assert key not in {g.key for g in uncovered_groups(as_of=D(2026, 1, 10))}
    purge(D(2026, 1, 10))  # last activity 2020: past 3 years
    former_user.refresh_from_db()
    assert former_user.anonymised_at is not None


def test_a_record_no_active_rule_covers_is_a_finding(seeded: None) -> None:
    RetentionRule.objects.filter(code="former-users").update(active=False)
    former_user = f.DataSubjectFactory.create(kind=SubjectKind.OTHER, organisation=None)
    groups = {g.key: g for g in uncovered_groups(as_of=D(2026, 1, 10))}
    assert former_user.pk in {p.pk for p in groups["subjects.datasubject:no_rule"].records}


def test_with_every_rule_confirmed_the_demo_portal_raises_no_finding(
    seeded: None, settings: Any
) -> None:
    """No false alarm: the demo holds every kind of record the registry knows (open and
    closed requests with their documents, consent evidence and objection reviews of known
    people, trials, claims, …), and with every rule in force none of them is a finding —
    a record that waits for its anchor (an open request, a known person's consent evidence)
    is governed by its rule, not "governed by none"."""
    from io import StringIO

    from django.core.cache import cache
    from django.core.management import call_command

    from consent.models import ConsentEvidence, ObjectionReview
    from consent.services import object_to_processing
    from subject_requests.models import Answer, SubjectRequest
    from tests.factories import purpose

    call_command("seed_demo", "--subjects", "60", stdout=StringIO())
    settings.DEBUG = True  # the demo logins and activity refuse to run elsewhere
    call_command("demo_users", "-v0", stdout=StringIO())
    call_command("demo_activity", stdout=StringIO(), stderr=StringIO())
    settings.DEBUG = False
    person = DataSubject.objects.filter(work_email__isnull=False, anonymised_at__isnull=True)[0]
    object_to_processing(
        subject=person, purpose=purpose("service"), channel="email", actor="data subject"
    )
    assert SubjectRequest.objects.open().exists() and ConsentEvidence.objects.exists()
    assert Answer.objects.exists() and ObjectionReview.objects.exists()
    RetentionRule.objects.update(active=True, confirmed=True)
    cache.clear()
    assert [(g.key, g.count) for g in uncovered_groups(as_of=D(2026, 1, 10))] == []
    # The same records are findings once their rule is gone.
    gone = ["consent-evidence-3y", "requests-3y"]
    RetentionRule.objects.filter(code__in=gone).update(active=False)
    cache.clear()
    keys = {g.key for g in uncovered_groups(as_of=D(2026, 1, 10))}
    assert {"consent.consentevidence:no_rule", "subject_requests.subjectrequest:no_rule"} <= keys


def test_a_former_client_without_a_contract_end_is_a_finding(seeded: None) -> None:
    RetentionRule.objects.filter(code="former-clients").update(confirmed=True)
    company = f.OrganisationFactory.create(status=OrganisationStatus.FORMER, contract_ended_on=None)
    person = f.DataSubjectFactory.create(organisation=company)
    ended = f.OrganisationFactory.create(
        status=OrganisationStatus.FORMER, contract_ended_on=D(2025, 1, 1)
    )
    fine = f.DataSubjectFactory.create(organisation=ended)
    groups = {g.key: g for g in uncovered_groups(as_of=D(2026, 1, 10))}
    missing = groups["subjects.datasubject:anchor_missing:subjects.former_client"]
    assert {p.pk for p in missing.records} == {person.pk}
    assert all(fine.pk not in {p.pk for p in g.records} for g in groups.values())


def test_an_admin_sees_findings_by_id_without_names_or_links(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    person = f.DataSubjectFactory.create(
        kind=SubjectKind.OTHER, organisation=None, last_name="Peidus"
    )
    key = "subjects.datasubject:unconfirmed:subjects.former_user"
    page = client_for(admin_user).get("/retention/findings/", {"group": key}).content.decode()
    assert f"Data subject #{person.pk}" in page
    assert "Peidus" not in page and f"/subjects/{person.pk}/" not in page


def _lines_query_count(subject: DataSubject) -> int:
    with CaptureQueriesContext(connection) as queries:
        groups = subject_deadlines(subject, as_of=D(2026, 1, 10))
    assert groups
    return len(queries)


@pytest.mark.parametrize("kind", ["invoices", "claims"])
def test_a_persons_retention_lines_cost_the_same_queries_at_30_and_500_records(
    seeded: None, kind: str
) -> None:
    def person_with(n: int) -> DataSubject:
        company = f.OrganisationFactory.create()
        person = f.DataSubjectFactory.create(kind=SubjectKind.CLIENT, organisation=company)
        for i in range(n):
            if kind == "invoices":
                f.InvoiceFactory.create(
                    billing_contact=person, organisation=company, issued_on=D(2020, 1, 1)
                )
            else:
                Claim.objects.create(
                    subject=person, organisation=company, fell_due_on=D(2020, 1, i % 28 + 1)
                )
        return person

    # The kinds are counted together in one query, under the 25 lines shown or past them.
    few, small, large = person_with(10), person_with(30), person_with(500)
    assert _lines_query_count(few) == _lines_query_count(small) == _lines_query_count(large)
    groups = subject_deadlines(large, as_of=D(2026, 1, 10))
    records = next(g for g in groups if g.total == 500)
    assert len(records.lines) == 25 and records.more == 475


def test_the_organisation_list_filters_by_the_one_hold_definition(
    dpo: User, client_for: ClientFor
) -> None:
    held = f.OrganisationFactory.create(name="Held")
    f.OrganisationFactory.create(name="Free")
    with time_machine.travel(NOW, tick=False):
        set_organisation_legal_hold(
            organisation=held, actor=dpo, reason="x", review_on=D(2026, 3, 1)
        )
    assert list(Organisation.objects.held()) == [held]
    page = client_for(dpo).get("/subjects/organisations/", {"on_legal_hold": "on"}).content.decode()
    assert "Held" in page and "Free" not in page


def test_the_persons_page_says_when_their_organisation_holds_them(
    dpo: User, client_for: ClientFor
) -> None:
    company = f.OrganisationFactory.create(name="Kohtuasi OÜ")
    person = f.DataSubjectFactory.create(organisation=company)
    with time_machine.travel(NOW, tick=False):
        set_organisation_legal_hold(
            organisation=company, actor=dpo, reason="Lawsuit", review_on=D(2026, 6, 1)
        )
    page = client_for(dpo).get(person.get_absolute_url()).content.decode()
    assert "legal hold of the organisation" in page
    assert "Kohtuasi OÜ is on legal hold: nothing about this person is purged or erased." in page
