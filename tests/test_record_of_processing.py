"""The record of processing activities (GDPR Art. 30) as a PDF from live data, its versions and
their diff, the processors' contracts and the warnings of the register."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User

from core.models import AuditEvent
from core.timeutil import legal_today
from processing.models import Processor, Purpose, RecordVersion, SubProcessor, Transfer
from processing.record.content import record_changes
from processing.record.services import generate_record, save_security_measures
from processing.selectors import register_findings
from retention.models import RetentionRule
from retention.selectors import retention_periods
from tests.fixture_types import ClientFor
from tests.reports_helpers import pdf_text

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")


def _squash(text: str) -> str:
    return " ".join(text.split())


def test_the_pdf_holds_every_active_purpose_processor_transfer_and_period(
    seeded: None, admin_user: User
) -> None:
    save_security_measures(text="Encrypted storage; access by role; 2FA.", actor=admin_user)
    SubProcessor.objects.create(
        processor=Processor.objects.get(name="Payment provider"),
        name="Backup Vault AS",
        country="EE",
    )
    text = pdf_text(bytes(generate_record(actor=admin_user).pdf))
    for purpose in Purpose.objects.active():
        assert _squash(purpose.name) in text
    for processor in Processor.objects.all():
        assert _squash(processor.name) in text
    for transfer in Transfer.objects.all():
        assert transfer.destination_country.name in text
    periods = retention_periods()
    assert periods
    for line in periods:
        assert _squash(f"{line.period} after {line.anchor}") in text
    assert "Backup Vault AS" in text
    assert "Encrypted storage; access by role; 2FA." in text
    assert "Scoro Software OÜ" in text


def test_the_record_changes_when_a_retention_rule_changes(seeded: None, dpo: User) -> None:
    first = generate_record(actor=dpo)
    assert generate_record(actor=dpo).number == first.number  # nothing changed: same version
    rule = RetentionRule.objects.in_force().get(record_type="subjects.prospect")
    RetentionRule.objects.filter(pk=rule.pk).update(period_years=2, period_months=0)
    second = generate_record(actor=dpo)
    assert second.number == first.number + 1
    assert "2 years after" in pdf_text(bytes(second.pdf))
    changes = record_changes(first.text, second.text)
    assert [c.added for c in changes] == [False, True]
    assert "1 year after" in changes[0].text and "2 years after" in changes[1].text
    assert "Changes since version 1" in pdf_text(bytes(second.pdf))
    printed = AuditEvent.objects.filter(action="processing.record_printed")
    assert [e.details["new"] for e in printed.order_by("sequence")] == [True, False, True]


def test_the_page_shows_what_changed_since_the_printed_version(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    generate_record(actor=dpo)
    Purpose.objects.filter(code="legal-claims").update(name="Defend legal claims")
    html = client_for(dpo).get("/processing/").content.decode()
    assert "changed since version 1" in html
    assert "added:</strong> Purpose: Defend legal claims" in html
    assert "removed:</strong> Purpose: Establish" in html


def test_the_record_pdf_is_for_dpo_admin_and_auditor(
    seeded: None, client_for: ClientFor, auditor: User, staff: User
) -> None:
    response = client_for(auditor).get("/processing/record.pdf")
    assert response.status_code == 200
    assert response.content[:4] == b"%PDF"
    version = RecordVersion.objects.get()
    assert client_for(auditor).get(f"/processing/record/v{version.number}.pdf").status_code == 200
    assert client_for(staff).get("/processing/record.pdf").status_code == 403


def test_versions_are_kept_and_cannot_change(seeded: None, dpo: User) -> None:
    version = generate_record(actor=dpo)
    version.text = "rewritten"
    with pytest.raises(Exception, match="append-only"):
        version.save()


# --- warnings --------------------------------------------------------------------------------


def _problems(today: dt.date) -> set[tuple[str, str]]:
    return {(str(f.row), f.problem) for f in register_findings(today=today)}


def test_a_processor_without_an_agreement_is_a_warning(seeded: None) -> None:
    Processor.objects.update(dpa_reference="DPA-1")
    Processor.objects.filter(name="E-mail delivery service").update(dpa_reference="")
    found = _problems(legal_today())
    assert [row for row, _ in found] == ["E-mail delivery service"]


def test_an_agreement_past_its_review_date_is_a_warning(seeded: None) -> None:
    Processor.objects.update(dpa_reference="DPA-1", dpa_review_due_on=dt.date(2027, 3, 1))
    Transfer.objects.filter(ground="dpf").update(certification_checked_on=dt.date(2026, 11, 1))
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=TALLINN), tick=False):
        assert _problems(legal_today()) == set()
    with time_machine.travel(dt.datetime(2027, 3, 2, 12, tzinfo=TALLINN), tick=False):
        found = _problems(legal_today())
    assert found and all("due for review on 2027-03-01" in p for _, p in found)


def test_a_transfer_without_a_valid_ground_is_a_warning(seeded: None) -> None:
    Processor.objects.update(dpa_reference="DPA-1")
    Transfer.objects.filter(destination_country="AU").update(document_reference="")
    assert any("→ AU" in row for row, _ in _problems(legal_today()))


def test_a_dpf_check_older_than_12_months_is_a_warning(seeded: None) -> None:
    Processor.objects.update(dpa_reference="DPA-1")
    Transfer.objects.filter(ground="dpf").update(certification_checked_on=dt.date(2025, 1, 10))
    with time_machine.travel(dt.datetime(2026, 1, 11, 12, tzinfo=TALLINN), tick=False):
        found = _problems(legal_today())
    assert any("last checked on 2025-01-10" in p for _, p in found)


def test_an_assessment_past_its_review_date_is_a_warning(
    seeded: None, client_for: ClientFor, dpo: User
) -> None:
    Processor.objects.update(dpa_reference="DPA-1")
    Purpose.objects.filter(code="service").update(
        lia_reviewer="Mari Maasikas, DPO",
        lia_reviewed_on=dt.date(2025, 11, 5),
        lia_review_due_on=dt.date(2026, 11, 5),
    )
    with time_machine.travel(dt.datetime(2026, 11, 6, 12, tzinfo=TALLINN), tick=False):
        found = _problems(legal_today())
        html = client_for(dpo).get("/processing/").content.decode()
    assert any("due for review on 2026-11-05" in p for _, p in found)
    assert "Mari Maasikas, DPO" in html
    assert "review overdue" in html


def test_the_processors_page_shows_contracts_systems_and_warnings(
    seeded: None, client_for: ClientFor, auditor: User, admin_user: User
) -> None:
    html = client_for(auditor).get("/processing/processors/").content.decode()
    assert "No data processing agreement is recorded" in html
    processor = Processor.objects.get(name="E-mail delivery service")
    client = client_for(admin_user)
    refused = client.post(
        f"/processing/processors/{processor.pk}/contract/",
        {
            "dpa_reference": "DPA-7",
            "dpa_signed_on": "2026-02-01",
            "dpa_review_due_on": "2025-01-01",
        },
    )
    assert refused.status_code == 200 and "cannot come before" in refused.content.decode()
    client.post(
        f"/processing/processors/{processor.pk}/contract/",
        {
            "dpa_reference": "DPA-7",
            "dpa_signed_on": "2026-02-01",
            "dpa_review_due_on": "2027-02-01",
        },
    )
    processor.refresh_from_db()
    assert processor.dpa_reference == "DPA-7"
    assert AuditEvent.objects.filter(
        action="processing.processor.updated", target_id=str(processor.pk)
    ).exists()
