"""The boundary (G): expires_on = anchor + period; a purge as of D removes expires_on < D."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import models
from pytest_django import DjangoAssertNumQueries, Settings

from retention.deadlines import Deadline, retention_deadline
from retention.models import RetentionRule
from retention.periods import (
    Period,
    covers_at_least,
    covers_at_most,
    expires_on,
    financial_year_end,
    financial_year_start,
    purge_cutoff,
)
from retention.registry import registry
from subjects.models import (
    PROSPECT_STATUSES,
    DataSubject,
    Invoice,
    OrganisationStatus,
    SubjectKind,
    TrialContent,
)
from tests import factories as f
from tests.retention_helpers import purge

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")


def at_tallinn(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TALLINN)


def deadline_of(record: models.Model) -> Deadline:
    """The record's deadline, which the test expects it to have."""
    deadline = retention_deadline(record)
    assert deadline is not None
    return deadline


def assert_first_anonymised_on(record: Any, day: dt.date) -> None:
    """Both sides of the boundary: the purge of the day before keeps it, `day`'s takes it."""
    purge(day - dt.timedelta(days=1))
    record.refresh_from_db()
    assert record.anonymised_at is None
    purge(day)
    record.refresh_from_db()
    assert record.anonymised_at is not None


D = dt.date


# --- the arithmetic ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "period",
    [Period(years=1), Period(years=7), Period(months=1), Period(days=75), Period(1, 1, 1)],
    ids=str,
)
def test_set_based_cutoff_is_exactly_anchor_plus_period_before_the_purge_day(
    period: Period,
) -> None:
    # Every anchor around 29 Feb (leap and common years) and 31 Dec, for purge days around
    # the clamping boundaries: anchor + period < D  ⇔  anchor < purge_cutoff(D, period).
    anchors = [D(2023, 12, 1) + dt.timedelta(days=i) for i in range(120)]
    anchors += [D(2024, 12, 1) + dt.timedelta(days=i) for i in range(120)]
    purge_days = {a + period.delta + dt.timedelta(days=k) for a in anchors for k in (-1, 0, 1)}
    for day in purge_days:
        cutoff = purge_cutoff(day, period)
        for anchor in anchors:
            assert (expires_on(anchor, period) < day) == (anchor < cutoff), (anchor, day)


def test_a_year_from_29_february_ends_on_28_february() -> None:
    assert expires_on(D(2024, 2, 29), Period(years=1)) == D(2025, 2, 28)
    assert purge_cutoff(D(2025, 2, 28), Period(years=1)) == D(2024, 2, 28)
    assert purge_cutoff(D(2025, 3, 1), Period(years=1)) == D(2024, 3, 1)


def test_financial_year_defaults_to_the_calendar_year_and_can_start_in_july(
    settings: Settings,
) -> None:
    assert financial_year_end(D(2018, 12, 31)) == D(2018, 12, 31)
    assert financial_year_start(D(2018, 12, 31)) == D(2018, 1, 1)
    settings.RETENTION_FINANCIAL_YEAR_START_MONTH = 7
    assert financial_year_end(D(2018, 6, 30)) == D(2018, 6, 30)
    assert financial_year_end(D(2018, 7, 1)) == D(2019, 6, 30)


def test_legal_bounds_compare_periods_over_every_anchor() -> None:
    assert covers_at_most(Period(months=12), Period(years=1))
    assert covers_at_most(Period(days=365), Period(years=1))
    assert not covers_at_most(Period(days=366), Period(years=1))
    assert covers_at_least(Period(years=7, days=1), Period(years=7))
    assert not covers_at_least(Period(years=6, months=11), Period(years=7))


# --- each seeded rule, the day before and the day after -----------------------------------


def test_prospect_goes_the_day_after_a_year_from_collection(seeded: None) -> None:
    prospect = f.ProspectFactory.create(collected_at=at_tallinn(D(2024, 3, 10), 23, 30))
    assert_first_anonymised_on(prospect, D(2025, 3, 11))


def test_collection_just_after_midnight_in_tallinn_counts_as_the_next_day(seeded: None) -> None:
    # 00:30 in Tallinn is still 10 March in UTC: the legal day is 11 March.
    prospect = f.ProspectFactory.create(collected_at=at_tallinn(D(2024, 3, 11), 0, 30))
    assert_first_anonymised_on(prospect, D(2025, 3, 12))


def test_prospect_anchor_is_the_latest_of_trial_end_demo_and_collection(seeded: None) -> None:
    prospect = f.ProspectFactory.create(collected_at=at_tallinn(D(2023, 1, 5)))
    f.DemoFactory.create(subject=prospect, held_on=D(2023, 9, 1))
    f.TrialFactory.create(organisation=prospect.organisation, ended_on=D(2024, 2, 29))
    deadline = retention_deadline(prospect)
    assert deadline is not None
    assert (deadline.anchor, deadline.expires_on) == (D(2024, 2, 29), D(2025, 2, 28))
    assert_first_anonymised_on(prospect, D(2025, 3, 1))


def test_a_running_trial_blocks_the_prospect_rule(seeded: None) -> None:
    prospect = f.ProspectFactory.create(collected_at=at_tallinn(D(2020, 1, 5)))
    f.TrialFactory.create(
        organisation=prospect.organisation, started_on=D(2020, 1, 1), ended_on=None
    )
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    assert prospect.anonymised_at is None
    assert deadline_of(prospect).expires_on is None


def test_a_prospect_whose_company_converts_is_kept(seeded: None) -> None:
    prospect = f.ProspectFactory.create(collected_at=at_tallinn(D(2020, 1, 5)))
    assert prospect.organisation is not None
    prospect.organisation.status = OrganisationStatus.PAYING
    prospect.organisation.save()
    purge(D(2025, 6, 1))
    prospect.refresh_from_db()
    assert prospect.anonymised_at is None
    assert prospect.work_email is not None


@pytest.mark.parametrize(
    ("code", "kind"),
    [("subjects.prospect", SubjectKind.PROSPECT), ("subjects.former_user", SubjectKind.OTHER)],
)
def test_only_people_with_no_client_behind_them_fall_under_the_rule(
    seeded: None, code: str, kind: str
) -> None:
    alone = f.DataSubjectFactory.create(kind=kind, organisation=None)
    by_status = {
        status: f.DataSubjectFactory.create(
            kind=kind, organisation=f.OrganisationFactory.create(status=status)
        )
        for status in OrganisationStatus.values
    }
    under_rule = registry.get(code).applicable(DataSubject.objects.all(), as_of=D(2025, 6, 1))
    expected = {alone.pk} | {p.pk for s, p in by_status.items() if s in PROSPECT_STATUSES}
    assert set(under_rule.values_list("pk", flat=True)) == expected
    assert len(expected) == 1 + 3  # no company, or a prospect, trial or demo company


def test_trial_content_goes_75_days_after_a_trial_that_ended_on_29_february(seeded: None) -> None:
    content = f.TrialContentFactory.create(trial__ended_on=D(2024, 2, 29))
    assert deadline_of(content).expires_on == D(2024, 5, 14)
    purge(D(2024, 5, 14))
    assert TrialContent.objects.filter(pk=content.pk).exists()
    purge(D(2024, 5, 15))
    assert not TrialContent.objects.filter(pk=content.pk).exists()


def test_a_converted_trials_content_is_kept(seeded: None) -> None:
    content = f.TrialContentFactory.create(
        trial__ended_on=D(2024, 1, 31), trial__converted_on=D(2024, 1, 31)
    )
    purge(D(2025, 6, 1))
    content.refresh_from_db()
    assert content.content == "Notes written during the trial"
    assert retention_deadline(content) is None


def test_a_trial_override_replaces_the_75_days(seeded: None) -> None:
    content = f.TrialContentFactory.create(
        trial__ended_on=D(2024, 1, 31), trial__retention_override_days=180
    )
    ordinary = f.TrialContentFactory.create(trial__ended_on=D(2024, 1, 31))
    assert deadline_of(content).expires_on == D(2024, 7, 29)
    purge(D(2024, 7, 29))
    assert TrialContent.objects.filter(pk=content.pk).exists()
    assert not TrialContent.objects.filter(pk=ordinary.pk).exists()
    purge(D(2024, 7, 30))
    assert not TrialContent.objects.filter(pk=content.pk).exists()


def test_invoice_of_31_december_evening_goes_seven_years_after_that_financial_year(
    seeded: None,
) -> None:
    from retention.tasks import nightly_purge

    december = f.InvoiceFactory.create(issued_on=D(2018, 12, 31))
    january = f.InvoiceFactory.create(issued_on=D(2019, 1, 1))
    assert deadline_of(december).expires_on == D(2025, 12, 31)
    # 23:30 on 31 December in Tallinn (21:30 UTC): the legal day is still the 31st.
    with time_machine.travel(at_tallinn(D(2025, 12, 31), 23, 30), tick=False):
        nightly_purge.delay()
    december.refresh_from_db()
    assert december.billing_name == "Billing Person"
    # 00:30 on 1 January in Tallinn is 22:30 UTC on the 31st: the legal day is the 1st.
    with time_machine.travel(at_tallinn(D(2026, 1, 1), 0, 30), tick=False):
        nightly_purge.delay()
    december.refresh_from_db()
    january.refresh_from_db()
    assert december.anonymised_at is not None
    assert december.billing_name is None
    assert january.billing_name == "Billing Person"


def test_claim_data_goes_ten_years_after_the_claim_fell_due_closed_or_not(seeded: None) -> None:
    # Estonian Civil Code § 146(4): at most 10 years from the day the claim fell due.
    closed = f.ClaimFactory.create(fell_due_on=D(2015, 3, 1), closed_on=D(2016, 1, 1))
    still_open = f.ClaimFactory.create(fell_due_on=D(2015, 3, 1), closed_on=None)
    purge(D(2025, 3, 1))
    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert closed.description == "Unpaid invoice"
    assert still_open.description == "Unpaid invoice"
    purge(D(2025, 3, 2))
    closed.refresh_from_db()
    still_open.refresh_from_db()
    assert closed.description is None and closed.anonymised_at is not None
    assert still_open.description is None and still_open.anonymised_at is not None


def test_former_clients_rule_runs_only_once_the_dpo_has_confirmed_it(seeded: None) -> None:
    organisation = f.OrganisationFactory.create(
        status=OrganisationStatus.FORMER, contract_ended_on=D(2021, 6, 30)
    )
    person = f.DataSubjectFactory.create(organisation=organisation)
    purge(D(2024, 7, 1))
    person.refresh_from_db()
    assert person.anonymised_at is None  # unconfirmed: a finding, not a purge
    RetentionRule.objects.filter(code="former-clients").update(confirmed=True)
    assert_first_anonymised_on(person, D(2024, 7, 1))


def test_set_based_due_filter_agrees_with_retention_deadline_for_every_record(seeded: None) -> None:
    # The purge's SQL form and the page's per-record form are one definition.
    for day in (D(2024, 2, 28), D(2024, 2, 29), D(2024, 3, 1), D(2024, 12, 31)):
        prospect = f.ProspectFactory.create(collected_at=at_tallinn(day, 23, 59))
        f.DemoFactory.create(subject=prospect, held_on=day - dt.timedelta(days=3))
        f.TrialContentFactory.create(trial__ended_on=day)
        f.InvoiceFactory.create(issued_on=day)
        f.ClaimFactory.create(fell_due_on=day, closed_on=day)
    for as_of in (D(2025, 2, 28), D(2025, 3, 1), D(2025, 3, 2), D(2025, 5, 16), D(2034, 3, 1)):
        for rule in RetentionRule.objects.in_force():
            record_type = registry.get(rule.record_type)
            due = set(record_type.due(period=rule.period, action=rule.action, as_of=as_of))
            for record in record_type.applicable(
                record_type.model()._default_manager.all(), as_of=as_of
            ):
                deadline = retention_deadline(record)
                expected = (
                    deadline is not None
                    and deadline.expires_on is not None
                    and deadline.expires_on < as_of
                    and deadline.rule == rule
                )
                assert (record in due) == expected, (rule.code, record.pk, as_of)


def test_invoice_anchor_uses_the_configured_financial_year(
    seeded: None, settings: Settings
) -> None:
    settings.RETENTION_FINANCIAL_YEAR_START_MONTH = 7
    invoice = f.InvoiceFactory.create(issued_on=D(2018, 6, 30))
    later = f.InvoiceFactory.create(issued_on=D(2018, 7, 1))
    purge(D(2025, 7, 1))
    assert Invoice.objects.get(pk=invoice.pk).anonymised_at is not None
    assert Invoice.objects.get(pk=later.pk).anonymised_at is None


def test_the_rules_governing_each_person_are_found_for_a_whole_batch_at_once(
    seeded: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    from retention.selectors import rules_governing_subjects

    prospect = f.ProspectFactory.create()
    paying = f.OrganisationFactory.create(status=OrganisationStatus.PAYING)
    billed = f.DataSubjectFactory.create(kind="client", organisation=paying)
    f.InvoiceFactory.create(billing_contact=billed, organisation=paying)
    f.ClaimFactory.create(subject=billed, closed_on=dt.date(2021, 1, 1))
    # An open claim is governed by the claims' rule too: 10 years, closed or not.
    open_claim_only = f.DataSubjectFactory.create(kind="client")
    f.ClaimFactory.create(subject=open_claim_only)
    ids = [prospect.pk, billed.pk, open_claim_only.pk]
    with django_assert_max_num_queries(1 + RetentionRule.objects.in_force().count()):
        governing = rules_governing_subjects(ids, as_of=dt.date(2025, 6, 10))
    codes = {pk: sorted(line.rule.record_type for line in lines) for pk, lines in governing.items()}
    assert codes == {
        prospect.pk: ["subjects.prospect"],
        billed.pk: ["subjects.claim", "subjects.invoice"],
        open_claim_only.pk: ["subjects.claim"],
    }
    assert str(governing[prospect.pk][0].period) == "1 year"
