"""The register's rules (GDPR Art. 6(1), 44-49): a purpose on legitimate interest carries its
balancing test in four parts, a transfer outside the EEA its valid ground, and the register
page lists what breaks a rule or is overdue for a check."""

from __future__ import annotations

import datetime as dt
import importlib
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from core.timeutil import legal_today
from processing import seed
from processing.adequacy import ADEQUACY_DECISIONS, DPF_DECISION, EEA_COUNTRIES
from processing.models import LegalBasis, Processor, Purpose, Transfer, TransferGround
from processing.selectors import register_findings
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
LIA_PARTS = {
    "lia_purpose": "purpose test",
    "lia_necessity": "necessity test",
    "lia_balancing": "balancing test",
    "lia_safeguards": "safeguards",
}


def li_purpose(**changes: Any) -> Purpose:
    fields: dict[str, Any] = {
        "code": "fraud-prevention",
        "name": "Prevent fraud on the platform",
        "legal_basis": LegalBasis.LEGITIMATE_INTEREST,
        "subject_kinds": ["user"],
        "lia_purpose": "Keeping accounts safe from takeover.",
        "lia_necessity": "Sign-in records only.",
        "lia_balancing": "Expected by users; protects them too.",
        "lia_safeguards": "Kept 90 days; access by role.",
    }
    return Purpose(**(fields | changes))


def transfer(**changes: Any) -> Transfer:
    fields: dict[str, Any] = {
        "processor": Processor.objects.get(name="E-mail delivery service"),
        "destination_country": "US",
        "ground": TransferGround.DPF,
        "certification_checked_on": legal_today(),
    }
    return Transfer(**(fields | changes))


def refusal(row: Purpose | Transfer) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        row.full_clean()
    return refused.value.message_dict


# --- item 5: the balancing test of a purpose on legitimate interest ---------------------------


@pytest.mark.parametrize("part", list(LIA_PARTS))
def test_a_legitimate_interest_purpose_without_a_part_of_its_balancing_test_is_refused(
    seeded: None, part: str
) -> None:
    errors = refusal(li_purpose(**{part: "  "}))
    assert list(errors) == [part]
    assert LIA_PARTS[part] in errors[part][0]
    assert "Art. 6(1)(f)" in errors[part][0]


def test_a_legitimate_interest_purpose_without_any_assessment_names_all_four_parts(
    seeded: None,
) -> None:
    errors = refusal(li_purpose(**dict.fromkeys(LIA_PARTS, "")))
    assert set(errors) == set(LIA_PARTS)


def test_a_legitimate_interest_purpose_with_all_four_parts_is_accepted(seeded: None) -> None:
    li_purpose().full_clean()


def test_a_purpose_on_another_basis_needs_no_balancing_test(seeded: None) -> None:
    li_purpose(legal_basis=LegalBasis.CONTRACT, **dict.fromkeys(LIA_PARTS, "")).full_clean()


@pytest.mark.parametrize("kinds", [[], ["client", "martian"], "client"])
def test_a_purpose_must_name_known_kinds_of_data_subject(seeded: None, kinds: Any) -> None:
    assert list(refusal(li_purpose(subject_kinds=kinds))) == ["subject_kinds"]


def test_every_seeded_legitimate_interest_purpose_has_all_four_parts(seeded: None) -> None:
    li = Purpose.objects.filter(legal_basis=LegalBasis.LEGITIMATE_INTEREST)
    assert sorted(p.code for p in li) == ["legal-claims", "prospect-marketing", "service"]
    for purpose in li:
        purpose.full_clean()
        assert all(len(text) > 80 for _, text in purpose.legitimate_interest_assessment)


def test_a_bad_seed_fails_loudly(seeded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    Purpose.objects.filter(code="service").delete()
    broken = dict(seed.LEGITIMATE_INTEREST_ASSESSMENTS["service"], lia_necessity="")
    monkeypatch.setitem(seed.LEGITIMATE_INTEREST_ASSESSMENTS, "service", broken)
    with pytest.raises(ValidationError) as refused:
        seed.seed_policy(apps)
    assert list(refused.value.message_dict) == ["lia_necessity"]
    assert not Purpose.objects.filter(code="service").exists()


def test_a_bad_seeded_transfer_fails_loudly(seeded: None, monkeypatch: pytest.MonkeyPatch) -> None:
    Transfer.objects.filter(destination_country="AU").delete()
    monkeypatch.setattr(seed, "AU_SCC_REFERENCE", "")
    with pytest.raises(ValidationError) as refused:
        seed.seed_policy(apps)
    assert list(refused.value.message_dict) == ["document_reference"]


def test_the_old_one_text_balancing_test_is_split_on_its_labels() -> None:
    migration = importlib.import_module(
        "processing.migrations.0003_balancing_test_parts_and_document_reference"
    )
    parts = migration.parts_of(migration.SEEDED_BEFORE["prospect-marketing"])
    assert parts["lia_purpose"] == "marketing the platform to companies."
    assert parts["lia_necessity"].startswith("work contact of the company's people only")
    assert parts["lia_balancing"].startswith("B2B data in a professional context")
    assert parts["lia_safeguards"] == ""
    # Unlabelled text is the balancing test it always was: nothing is lost.
    assert migration.parts_of("Held to prevail.")["lia_balancing"] == "Held to prevail."


def test_the_register_page_shows_the_four_parts(
    seeded: None, client_for: ClientFor, dpo: User
) -> None:
    html = client_for(dpo).get("/processing/").content.decode()
    for label in ("Purpose test", "Necessity test", "Balancing test", "Safeguards"):
        assert html.count(f"<dt>{label}</dt>") == 3, label
    assert "keyed hash of the e-mail stays" in html


def purpose_post(purpose: Purpose) -> dict[str, Any]:
    return {
        "code": purpose.code,
        "name": purpose.name,
        "description": "",
        "legal_basis": purpose.legal_basis,
        "subject_kinds": ["user"],  # the boxes ticked
        "active": "on",
        **{part: getattr(purpose, part) for part in LIA_PARTS},
    }


def test_the_admin_shows_a_missing_part_next_to_its_field_and_saves_nothing(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    client = client_for(admin_user)
    response = client.post(
        "/admin/processing/purpose/add/", purpose_post(li_purpose(lia_safeguards=""))
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["lia_safeguards"]
    html = response.content.decode()
    assert re.search(r'class="form-row errors field-lia_safeguards"', html)
    assert "needs its safeguards" in html
    assert not Purpose.objects.filter(code="fraud-prevention").exists()
    assert not AuditEvent.objects.filter(action__startswith="processing.purpose").exists()

    response = client.post("/admin/processing/purpose/add/", purpose_post(li_purpose()))
    assert response.status_code == 302
    created = Purpose.objects.get(code="fraud-prevention")
    event = AuditEvent.objects.get(action="processing.purpose.created")
    assert event.actor == admin_user
    assert event.target_id == str(created.pk)


# --- item 6: transfers and their grounds ------------------------------------------------------


def test_a_us_transfer_on_plain_adequacy_is_refused(seeded: None) -> None:
    errors = refusal(transfer(ground=TransferGround.ADEQUACY, certification_checked_on=None))
    assert list(errors) == ["ground"]
    assert "Data Privacy Framework" in errors["ground"][0]


def test_a_us_transfer_on_the_data_privacy_framework_is_accepted(seeded: None) -> None:
    transfer().full_clean()


@pytest.mark.parametrize("country", ["GB", "CH", "CA", "AU"])
def test_the_data_privacy_framework_outside_the_usa_is_refused(seeded: None, country: str) -> None:
    errors = refusal(transfer(destination_country=country))
    assert list(errors) == ["ground"]
    assert "only recipients in the USA" in errors["ground"][0]


def test_the_data_privacy_framework_needs_its_check_date_and_not_a_future_one(
    seeded: None,
) -> None:
    assert list(refusal(transfer(certification_checked_on=None))) == ["certification_checked_on"]
    tomorrow = legal_today() + dt.timedelta(days=1)
    assert list(refusal(transfer(certification_checked_on=tomorrow))) == [
        "certification_checked_on"
    ]


@pytest.mark.parametrize("country", sorted(ADEQUACY_DECISIONS))
def test_adequacy_to_a_country_with_a_decision_is_accepted(seeded: None, country: str) -> None:
    candidate = transfer(
        destination_country=country,
        ground=TransferGround.ADEQUACY,
        certification_checked_on=None,
    )
    candidate.full_clean()
    assert candidate.adequacy_decision == ADEQUACY_DECISIONS[country]


@pytest.mark.parametrize("country", ["AU", "IN", "CN", "SG", "BR"])
def test_adequacy_to_a_country_without_a_decision_is_refused(seeded: None, country: str) -> None:
    errors = refusal(
        transfer(
            destination_country=country,
            ground=TransferGround.ADEQUACY,
            certification_checked_on=None,
        )
    )
    assert list(errors) == ["ground"]
    assert "no EU adequacy decision" in errors["ground"][0]


@pytest.mark.parametrize("country", ["DE", "EE", "NO", "IS", "LI", "RE"])
def test_a_transfer_to_the_eea_is_refused_because_it_is_no_transfer(
    seeded: None, country: str
) -> None:
    errors = refusal(
        transfer(
            destination_country=country,
            ground=TransferGround.SCC,
            document_reference="SCC-1",
            certification_checked_on=None,
        )
    )
    assert list(errors) == ["destination_country"]
    assert "European Economic Area" in errors["destination_country"][0]


@pytest.mark.parametrize("ground", [TransferGround.SCC, TransferGround.BCR])
def test_scc_and_bcr_need_their_document_reference(seeded: None, ground: str) -> None:
    without = transfer(destination_country="IN", ground=ground, certification_checked_on=None)
    assert list(refusal(without)) == ["document_reference"]
    without.document_reference = "DPA-2025-3, annex 2"
    without.full_clean()


def test_for_people_located_in_takes_country_codes(seeded: None) -> None:
    bad = transfer(subject_countries=["Australia"])
    assert list(refusal(bad)) == ["subject_countries"]


def test_the_australian_storage_carries_its_scc_reference(seeded: None) -> None:
    au = Transfer.objects.get(destination_country="AU")
    assert "2021/914" in au.document_reference
    au.full_clean()


def test_the_adequacy_list_names_each_decision_and_leaves_out_the_usa_and_the_eea() -> None:
    assert "US" not in ADEQUACY_DECISIONS
    assert not EEA_COUNTRIES & set(ADEQUACY_DECISIONS)
    assert len(ADEQUACY_DECISIONS) == 14
    for decision in [*ADEQUACY_DECISIONS.values(), DPF_DECISION]:
        assert "Decision" in decision.reference
        assert dt.date(2000, 1, 1) < decision.adopted_on < dt.date(2026, 1, 1)


# --- findings ----------------------------------------------------------------------------------


def at_noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=TALLINN)


def dpf_findings(today: dt.date) -> list[str]:
    return [f.problem for f in register_findings(today=today) if "last checked" in f.problem]


@pytest.mark.parametrize(
    ("today", "checked_on", "stale"),
    [
        # 12 months ago counts; 12 months and a day ago is overdue.
        (dt.date(2026, 3, 15), dt.date(2025, 3, 15), False),
        (dt.date(2026, 3, 15), dt.date(2025, 3, 14), True),
        # 29 February: the check is due on 28 February of the next year.
        (dt.date(2025, 2, 28), dt.date(2024, 2, 29), False),
        (dt.date(2025, 3, 1), dt.date(2024, 2, 29), True),
        # 31 December turns the year.
        (dt.date(2026, 12, 31), dt.date(2025, 12, 31), False),
        (dt.date(2027, 1, 1), dt.date(2025, 12, 31), True),
    ],
)
def test_a_dpf_check_older_than_12_months_is_a_finding(
    seeded: None, today: dt.date, checked_on: dt.date, stale: bool
) -> None:
    Transfer.objects.filter(ground=TransferGround.DPF).update(certification_checked_on=checked_on)
    with time_machine.travel(at_noon(today), tick=False):
        found = dpf_findings(legal_today())
    assert bool(found) is stale
    if stale:
        assert checked_on.isoformat() in found[0]


def test_the_freshly_seeded_register_has_no_findings_but_the_missing_agreements(
    seeded: None,
) -> None:
    # The seed cannot know the operator's contracts: each processor waits for its DPA.
    found = register_findings(today=legal_today())
    assert {type(f.row).__name__ for f in found} == {"Processor"}
    assert all("No data processing agreement" in f.problem for f in found)
    Processor.objects.update(dpa_reference="DPA-1", dpa_signed_on=dt.date(2018, 5, 25))
    assert register_findings(today=legal_today()) == []


def test_rows_saved_before_the_rules_are_findings(seeded: None) -> None:
    Processor.objects.update(dpa_reference="DPA-1")
    Purpose.objects.filter(code="service").update(lia_safeguards="")
    Transfer.objects.filter(destination_country="AU").update(document_reference="")
    Transfer.objects.filter(destination_country="US").update(ground=TransferGround.ADEQUACY)
    found = {(str(f.row), f.problem.split(":")[0]) for f in register_findings(today=legal_today())}
    assert {row for row, _ in found} == {
        "Provide the service to representatives and users",
        "Cloud storage (Australia) → AU (Standard contractual clauses (Art. 46(2)(c)))",
        "E-mail delivery service → US (Adequacy decision (GDPR Art. 45))",
    }


def test_the_register_page_tells_the_dpo_about_a_stale_dpf_check(
    seeded: None, client_for: ClientFor, dpo: User, admin_user: User
) -> None:
    with time_machine.travel(at_noon(dt.date(2026, 6, 1)), tick=False):
        Transfer.objects.filter(ground=TransferGround.DPF).update(
            certification_checked_on=dt.date(2025, 5, 31)
        )
        html = client_for(dpo).get("/processing/").content.decode()
        assert "Needs attention" in html
        assert "was last checked on 2025-05-31" in html
        assert "due again by 2026-05-31" in html
        assert "Put it right in the admin" not in html  # the DPO reads; Admin edits
        html = client_for(admin_user).get("/processing/").content.decode()
        us = Transfer.objects.get(ground=TransferGround.DPF)
        assert f"/admin/processing/transfer/{us.pk}/change/" in html


def test_the_register_page_names_each_transfers_decision_or_document(
    seeded: None, client_for: ClientFor, dpo: User
) -> None:
    Processor.objects.update(dpa_reference="DPA-1")
    html = client_for(dpo).get("/processing/").content.decode()
    assert "Commission Implementing Decision (EU) 2023/1795 of 10.07.2023" in html
    assert "Commission Implementing Decision (EU) 2021/914" in html
    assert "Nothing: every purpose on legitimate interest has its balancing test" in html


# --- the admin -------------------------------------------------------------------------------


def inline_post(processor: Processor, **row: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": processor.name,
        "category": processor.category_id,
        "country": str(processor.country),
        "dpa_reference": "",
        "dpa_signed_on": "",
        "purposes": [p.pk for p in processor.purposes.all()],
        "transfers-TOTAL_FORMS": "1",
        "transfers-INITIAL_FORMS": "0",
        "transfers-MIN_NUM_FORMS": "0",
        "transfers-MAX_NUM_FORMS": "1000",
        "transfers-0-subject_countries": "[]",
        "sub_processors-TOTAL_FORMS": "0",
        "sub_processors-INITIAL_FORMS": "0",
    }
    data.update({f"transfers-0-{key}": value for key, value in row.items()})
    return data


def test_the_admin_inline_shows_a_missing_scc_reference_and_saves_nothing(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    processor = Processor.objects.get(name="Customer relationship and feedback service")
    url = f"/admin/processing/processor/{processor.pk}/change/"
    client = client_for(admin_user)
    response = client.post(url, inline_post(processor, destination_country="IN", ground="scc"))
    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    assert list(formset.errors[0]) == ["document_reference"]
    html = response.content.decode()
    assert re.search(r'class="field-document_reference">\s*<ul class="errorlist', html)
    assert not processor.transfers.exists()
    assert not AuditEvent.objects.filter(action__startswith="processing.").exists()

    response = client.post(
        url,
        inline_post(
            processor, destination_country="IN", ground="scc", document_reference="SCC-IN-1"
        ),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = processor.transfers.get()
    assert AuditEvent.objects.filter(
        action="processing.transfer.created", target_id=str(created.pk), actor=admin_user
    ).exists()


def test_the_admin_refuses_plain_adequacy_for_the_usa_next_to_the_ground(
    seeded: None, client_for: ClientFor, admin_user: User
) -> None:
    us = Transfer.objects.get(destination_country="US")
    url = f"/admin/processing/transfer/{us.pk}/change/"
    data = {
        "processor": us.processor_id,
        "recipient": "",
        "destination_country": "US",
        "ground": "adequacy",
        "certification_checked_on": "",
        "document_reference": "",
        "subject_countries": "[]",
        "description": us.description,
    }
    client = client_for(admin_user)
    response = client.post(url, data)
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["ground"]
    assert re.search(r'class="form-row errors field-ground"', response.content.decode())
    assert Transfer.objects.get(pk=us.pk).ground == TransferGround.DPF

    checked = legal_today() - dt.timedelta(days=1)
    response = client.post(
        url, data | {"ground": "dpf", "certification_checked_on": checked.isoformat()}
    )
    assert response.status_code == 302
    assert Transfer.objects.get(pk=us.pk).certification_checked_on == checked
    event = AuditEvent.objects.get(action="processing.transfer.updated")
    assert event.actor == admin_user
    assert "certification_checked_on" in event.details["fields"]
