"""A person's fields and an organisation's are named once (`subjects.fields`): the services
take them, and the portal's forms and the API derive their field lists from the same keys, so
a field added, removed or misspelt in one place cannot drift from the others."""

from __future__ import annotations

from subjects.api.organisations import OrganisationInputSerializer, OrganisationSerializer
from subjects.api.person_answers import PersonSerializer
from subjects.api.person_inputs import PersonInputSerializer
from subjects.fields import OrganisationFields, PersonFields
from subjects.forms import MOMENTS_AS_DAYS, OrganisationForm, SubjectForm
from subjects.models import DataSubject, SubjectKind
from subjects.services import ORGANISATION_FIELDS, SUBJECT_FIELDS

PERSON_KEYS = PersonFields.__optional_keys__
ORGANISATION_KEYS = OrganisationFields.__optional_keys__
# What the form adds only when a person is edited, each the service's own argument or choice.
EDIT_ONLY = {"kind_changed_on", "remove_photo"}


def _as_service_names(form_fields: set[str]) -> set[str]:
    days = {day: moment for moment, day in MOMENTS_AS_DAYS.items()}
    return {days.get(name, name) for name in form_fields}


def test_the_services_accept_exactly_the_typed_fields() -> None:
    assert SUBJECT_FIELDS == PERSON_KEYS
    assert ORGANISATION_FIELDS == ORGANISATION_KEYS


def test_the_person_form_asks_every_field_of_a_person_and_nothing_else() -> None:
    assert _as_service_names(set(SubjectForm().fields)) == PERSON_KEYS
    edit = SubjectForm(subject=DataSubject(kind=SubjectKind.USER))
    assert _as_service_names(set(edit.fields)) == PERSON_KEYS | EDIT_ONLY


def test_the_person_form_hands_the_services_only_typed_fields() -> None:
    form = SubjectForm(
        {
            "kind": SubjectKind.USER,
            "last_name": "Tamm",
            "work_email": "mari.tamm@example.ee",
            "source": "subject",
            "collected_on": "2026-03-02",
            "informed_on": "2026-03-03",
        }
    )
    assert form.is_valid(), form.errors
    fields = form.service_fields()
    assert set(fields) == PERSON_KEYS - {"photo"}
    assert fields["last_name"] == "Tamm"


def test_the_api_reads_and_writes_a_persons_fields_but_the_photo() -> None:
    api_fields = (PERSON_KEYS - {"photo"}) | {"external_id"}
    assert set(PersonInputSerializer().fields) == api_fields
    assert set(PersonSerializer().fields) == api_fields | {"id", "created_at", "updated_at"}


def test_the_organisation_form_and_api_derive_their_fields_from_the_typed_ones() -> None:
    contract = {"contract_started_on", "contract_ended_on"}
    assert set(OrganisationForm().fields) == ORGANISATION_KEYS - contract
    assert set(OrganisationSerializer().fields) == ORGANISATION_KEYS | {"id", "created_at"}
    # The API writes a company's details; its status and contract follow from its events.
    assert set(OrganisationInputSerializer().fields) == ORGANISATION_KEYS - contract - {"status"}
