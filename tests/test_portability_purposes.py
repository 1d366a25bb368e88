"""GDPR Art. 20(1)(a): what goes into the portability package is decided section by section,
by the purposes of the register that process the section's category of data for the person —
a purpose on their consent (while they consent) or a contract with them — not by whether any
of their purposes rests on consent. The README says per section why it is in or out."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from consent.services import grant_consent
from processing.models import DataCategory, Purpose
from reports.portability import portability_package
from subjects.models import DataSubject
from tests import factories as f
from tests.factories import purpose

pytestmark = pytest.mark.django_db


def person_with_records(kind: str, language: str = "en") -> DataSubject:
    person = f.DataSubjectFactory.create(kind=kind, source="subject", preferred_language=language)
    f.UsageRecordFactory.create_batch(2, subject=person)
    f.CommunicationFactory.create(subject=person, body="Hello from the person")
    return person


def newsletter(person: DataSubject) -> None:
    grant_consent(
        subject=person, purpose=purpose("direct-marketing"), channel="web_form",
        actor="data subject", wording="Newsletter",
    )  # fmt: skip


def package(person: DataSubject) -> tuple[dict[str, Any], str, set[str]]:
    archive = zipfile.ZipFile(io.BytesIO(portability_package(subject=person)))
    data = json.loads(archive.read("data.json"))
    readme = " ".join(archive.read("README.txt").decode().split())
    return data, readme, set(archive.namelist())


def reasons(entries: list[dict[str, str]]) -> dict[str, str]:
    return {entry["section"]: entry["reason"] for entry in entries}


def test_consenting_to_the_newsletter_makes_no_usage_portable(seeded: None) -> None:
    """A user's usage and messages are processed to provide the service, on legitimate
    interest: the newsletter's consent covers their identification, contact and employment
    data only (the register's categories of the direct-marketing purpose)."""
    user = person_with_records("user")
    data, _readme, _names = package(user)
    assert data["person"] is None and data["records"] == {}
    newsletter(user)
    data, readme, names = package(user)
    assert "usage" not in data["records"] and "usage.csv" not in names
    assert "communications" not in data["records"]
    out = reasons(data["left_out"])
    assert "legitimate interest" in out["usage"]
    assert "“Provide the service to representatives and users”" in out["usage"]
    # What the consent covers goes, and says so.
    assert data["person"]["work_email"] == user.work_email
    included = reasons(data["included"])
    assert set(included) >= {"person.identification", "person.contact", "person.employment"}
    assert "on your consent, for “Direct marketing”" in included["person.contact"]
    assert "What is in it, and why" in readme
    assert "Your use of the platform: We process this data only on legitimate interest" in readme
    assert "Your own record: Contact: We process this data on your consent" in readme


def test_a_client_gets_what_the_contract_purpose_covers(seeded: None) -> None:
    client = person_with_records("client")
    data, readme, names = package(client)
    assert len(data["records"]["usage"]) == 2 and "usage.csv" in names
    assert [m["body"] for m in data["records"]["communications"]] == ["Hello from the person"]
    included = reasons(data["included"])
    for section in ("usage", "communications", "person.identification"):
        assert (
            "on a contract with you, for “Conclude and perform the contract”" in (included[section])
        )
    assert "Your use of the platform: We process this data on a contract with you" in readme


def test_the_register_decides_a_category_leaving_the_contract_purpose_leaves_the_package(
    seeded: None,
) -> None:
    client = person_with_records("client")
    contract = Purpose.objects.get(code="contract")
    contract.categories.remove(DataCategory.objects.get(code="usage"))
    data, _readme, names = package(client)
    assert "usage" not in data["records"] and "usage.csv" not in names
    assert "communications" in data["records"]  # still covered by the contract purpose
    out = reasons(data["left_out"])
    assert "“Establish, exercise and defend legal claims”" in out["usage"]
    assert "not on your consent or a contract with you" in out["usage"]


def test_a_representative_who_consented_still_keeps_their_usage_out(seeded: None) -> None:
    representative = person_with_records("client_representative")
    newsletter(representative)
    data, _readme, _names = package(representative)
    assert "usage" not in data["records"] and data["person"] is not None


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("et", "Mis selles on ja miks"),
        ("lv", "Kas tajā ir un kāpēc"),
    ],
)
def test_the_readme_says_why_in_the_requesters_language(
    seeded: None, language: str, said: str
) -> None:
    user = person_with_records("user", language=language)
    newsletter(user)
    data, readme, _names = package(user)
    assert said in readme
    assert "We process this data" not in readme
    assert "legitimate interest" not in " ".join(reasons(data["left_out"]).values())


def test_every_section_names_a_category_of_the_register(seeded: None) -> None:
    from reports.section_types import CATEGORY_LABELS
    from reports.sections import SECTIONS

    codes = set(DataCategory.objects.values_list("code", flat=True))
    assert set(CATEGORY_LABELS) == codes
    assert {section.category for section in SECTIONS} <= codes
