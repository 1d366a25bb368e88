"""Preview, history and rule pages; the DPO's confirmation of an enlarging change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from retention.models import RetentionRule, RuleChange
from retention.services.purge import run_purge
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2025, 6, 1, 15, 0, tzinfo=TALLINN)
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_preview_shows_the_dpo_what_tonight_will_purge(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    prospect = f.ProspectFactory.create(collected_at=LONG_AGO, first_name="Olev")
    held = f.ProspectFactory.create(
        collected_at=LONG_AGO,
        legal_hold_reason="Police request 77",
        legal_hold_review_on=dt.date(2026, 2, 1),
    )
    response = client_for(dpo).get("/retention/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Prospect data: 1 year" in page
    assert f"#{prospect.pk}" in page and "05.01.2020" in page and "05.01.2021" in page
    due_part, held_part = page.split("Past their period, kept by a hold")
    assert f"#{held.pk}" not in due_part
    assert f"#{held.pk}" in held_part.split("</table>")[0] and "kept by hold" in held_part
    assert "Police request 77" in page and "01.02.2026" in page
    assert "1 skipped: legal hold or restriction" in page
    # The unconfirmed former-clients rule is a finding.
    assert "is not confirmed by the DPO" in page


def test_the_preview_is_refused_to_staff(seeded: None, staff: User, client_for: ClientFor) -> None:
    assert client_for(staff).get("/retention/").status_code == 403
    assert client_for(staff).get("/retention/runs/").status_code == 403


def test_admin_sees_the_preview_and_the_auditor_reads_rules_only(
    seeded: None, admin_user: User, auditor: User, client: Client, client_for: ClientFor
) -> None:
    assert client_for(admin_user).get("/retention/").status_code == 200
    client.logout()
    assert client_for(auditor).get("/retention/rules/").status_code == 200
    assert client.get("/retention/").status_code == 403
    assert client.get("/retention/rules/new/").status_code == 403


def test_an_invalid_as_of_shows_a_clear_error_not_a_500(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    response = client_for(dpo).get("/retention/?as_of=31.12.2025")
    assert response.status_code == 200
    assert "Enter a valid date" in response.content.decode()


def test_history_lists_runs_with_counts_duration_and_status(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    f.ProspectFactory.create(collected_at=LONG_AGO)
    run = run_purge(as_of=dt.date(2025, 6, 1), dry_run=False, actor=dpo)
    client = client_for(dpo)
    page = client.get("/retention/runs/").content.decode()
    assert f"/retention/runs/{run.pk}/" in page and "Succeeded" in page
    detail = client.get(f"/retention/runs/{run.pk}/").content.decode()
    assert "Prospect data: 1 year" in detail and "Data subjects: " in detail
    assert client.get("/retention/runs/999999/").status_code == 404


def test_history_shows_an_empty_state(seeded: None, dpo: User, client_for: ClientFor) -> None:
    assert "No purge has run yet." in client_for(dpo).get("/retention/runs/").content.decode()


def rule_form(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "code": "claims-5y",
        "name": "Claims: 5 years",
        "record_type": "subjects.claim",
        "anchor": "claim_fell_due",
        "period_years": 5,
        "period_months": 0,
        "period_days": 0,
        "action": "anonymise",
        "legal_reference": "Civil Code § 146",
        "description": "",
        "active": "on",
        "reason": "The policy changed",
    }
    data.update(overrides)
    return data


def test_legal_bounds_are_enforced_with_clear_messages(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    client = client_for(admin_user)
    invoices = RetentionRule.objects.get(code="invoices-7y")
    response = client.post(
        f"/retention/rules/{invoices.pk}/edit/",
        rule_form(
            code="invoices-7y",
            record_type="subjects.invoice",
            anchor="financial_year_end",
            period_years=6,
            period_months=11,
        ),
    )
    assert response.status_code == 200
    assert "At least 7 years is required by law here" in response.content.decode()
    claims = RetentionRule.objects.get(code="claims-10y")
    response = client.post(
        f"/retention/rules/{claims.pk}/edit/", rule_form(code="claims-10y", period_years=11)
    )
    assert "At most 10 years is allowed here" in response.content.decode()
    prospects = RetentionRule.objects.get(code="prospects-1y")
    response = client.post(
        f"/retention/rules/{prospects.pk}/edit/",
        rule_form(
            code="prospects-1y",
            record_type="subjects.prospect",
            anchor="prospect_latest",
            period_years=0,
            period_days=366,
        ),
    )
    assert "At most 1 year is allowed here" in response.content.decode()
    invoices.refresh_from_db()
    assert invoices.period_years == 7
    assert not AuditEvent.objects.filter(action__startswith="retention.rule.").exists()


def test_a_second_active_rule_for_the_same_records_is_refused(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    client = client_for(admin_user)
    response = client.post("/retention/rules/new/", rule_form(), follow=True)
    assert "replace its rule" in response.content.decode()
    RetentionRule.objects.filter(code="invoices-7y").update(active=False)
    response = client.post("/retention/rules/new/", rule_form())
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()  # claims have their rule
    assert RetentionRule.objects.filter(record_type="subjects.claim").count() == 1


def test_a_change_that_purges_nothing_more_takes_effect_at_once_with_audit(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    claims = RetentionRule.objects.get(code="claims-10y")
    response = client_for(admin_user).post(
        f"/retention/rules/{claims.pk}/edit/",
        rule_form(
            code="claims-10y",
            name="Claims",
            period_years=10,
            legal_reference="CC 146(4)",
            description=claims.description,
        ),
    )
    assert response.status_code == 302
    claims.refresh_from_db()
    assert claims.legal_reference == "CC 146(4)"
    event = AuditEvent.objects.get(action="retention.rule.changed")
    assert event.actor == admin_user and event.details["fields"] == ["legal_reference", "name"]


def test_a_change_that_enlarges_tonights_purge_waits_for_the_dpo(
    seeded: None, admin_user: User, dpo: User, client: Client, client_for: ClientFor
) -> None:
    f.ClaimFactory.create(fell_due_on=dt.date(2018, 1, 1), closed_on=dt.date(2018, 6, 1))
    f.ClaimFactory.create(fell_due_on=dt.date(2017, 1, 1), closed_on=dt.date(2018, 6, 1))
    claims = RetentionRule.objects.get(code="claims-10y")
    response = client_for(admin_user).post(
        f"/retention/rules/{claims.pk}/edit/",
        rule_form(code="claims-10y", period_years=5),
        follow=True,
    )
    page = response.content.decode()
    assert "instead of 0 (+2)" in page
    claims.refresh_from_db()
    assert claims.period_years == 10  # not yet in force
    change = RuleChange.objects.get()
    assert (change.due_before, change.due_after, change.status) == (0, 2, "pending")
    # Admin cannot confirm it.
    assert (
        client.post(f"/retention/changes/{change.pk}/decide/", {"decision": "confirm"}).status_code
        == 403
    )
    client.logout()
    dpo_client = client_for(dpo)
    detail = dpo_client.get(f"/retention/rules/{claims.pk}/").content.decode()
    assert "Confirm: purge 2 more records" in detail
    dpo_client.post(f"/retention/changes/{change.pk}/decide/", {"decision": "confirm"})
    claims.refresh_from_db()
    change.refresh_from_db()
    assert claims.period_years == 5 and claims.confirmed_by == dpo
    assert change.status == "confirmed"
    assert AuditEvent.objects.filter(action="retention.rule.change_confirmed", actor=dpo).exists()


def test_the_dpo_confirms_the_former_clients_rule_after_ticking_the_box(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    rule = RetentionRule.objects.get(code="former-clients")
    client = client_for(dpo)
    response = client.post(f"/retention/rules/{rule.pk}/confirm/", {}, follow=True)
    assert "Tick the box" in response.content.decode()
    rule.refresh_from_db()
    assert not rule.confirmed
    client.post(f"/retention/rules/{rule.pk}/confirm/", {"understood": "yes"})
    rule.refresh_from_db()
    assert rule.confirmed and rule.confirmed_by == dpo
    assert AuditEvent.objects.filter(action="retention.rule.confirmed").count() == 1


def test_a_new_rule_that_would_purge_tonight_starts_unconfirmed(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    RetentionRule.objects.filter(code="claims-10y").update(active=False)
    f.ClaimFactory.create(fell_due_on=dt.date(2012, 1, 1), closed_on=dt.date(2013, 1, 1))
    response = client_for(admin_user).post("/retention/rules/new/", rule_form(), follow=True)
    assert response.status_code == 200
    rule = RetentionRule.objects.get(code="claims-5y")
    assert rule.active and not rule.confirmed
    assert RuleChange.objects.get(rule=rule).due_after == 1


def test_the_subject_page_shows_each_record_its_rule_anchor_and_day_it_goes(
    seeded: None, dpo: User, staff: User, client: Client, client_for: ClientFor
) -> None:
    from retention.sections import deadlines_of_person, deadlines_section

    prospect = f.ProspectFactory.create(collected_at=dt.datetime(2025, 2, 1, 12, tzinfo=TALLINN))
    f.InvoiceFactory.create(
        billing_contact=prospect, issued_on=dt.date(2024, 5, 1), number="INV-77"
    )

    request = HttpRequest()
    request.user = dpo
    person, invoice = deadlines_of_person(request, prospect)["lines"]
    assert person.deadline.rule.code == "prospects-1y"
    assert (person.deadline.anchor, person.deadline.expires_on) == (
        dt.date(2025, 2, 1),
        dt.date(2026, 2, 1),
    )
    assert invoice.description == "Invoice INV-77"
    assert invoice.deadline.expires_on == dt.date(2031, 12, 31)
    # The person's page counts each kind and links to the lines' own page.
    section = deadlines_section(request, prospect)
    assert section is not None
    assert [(kind.label, kind.total) for kind in section["kinds"]] == [
        ("Data subjects", 1),
        ("Invoices", 1),
    ]
    request.user = staff
    assert deadlines_section(request, prospect) is None
    lines_url = reverse("subjects:retention", args=[prospect.pk])
    person_page = client_for(dpo).get(prospect.get_absolute_url()).content.decode()
    assert f'href="{lines_url}"' in person_page
    assert "INV-77" not in person_page.split('id="records-')[0]
    lines_page = client_for(dpo).get(lines_url)
    assert lines_page.status_code == 200
    text = lines_page.content.decode()
    assert "01.02.2026" in text and "Prospect data: 1 year" in text and "Invoice INV-77" in text
    assert "31.12.2031" in text
    looked = AuditEvent.objects.filter(action="subject.viewed", target_id=str(prospect.pk))
    assert looked.filter(details__scope="retention").count() == 1
    assert client_for(staff).get(lines_url).status_code == 403
    assert client_for(dpo).get(reverse("subjects:retention", args=[987654])).status_code == 404
