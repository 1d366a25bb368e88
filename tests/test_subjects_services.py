from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from core.models import AuditEvent
from subjects import guards
from subjects.models import (
    DataSubject,
    KindChange,
    OrganisationStatus,
    SubjectKind,
)
from subjects.services import (
    change_organisation_status,
    create_organisation,
    create_subject,
    lift_subject_legal_hold,
    set_subject_legal_hold,
    update_subject,
)
from tests.factories import (
    DataSubjectFactory,
    OrganisationFactory,
    ProspectFactory,
    TrialFactory,
)

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64

# Noon in Tallinn, so the legal day is unambiguous.
TODAY = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def new_user(**fields: Any) -> DataSubject:
    defaults: dict[str, Any] = {
        "kind": SubjectKind.USER,
        "first_name": "Mari",
        "last_name": "Tamm",
        "work_email": "mari.tamm@company.example",
        "country": "EE",
    }
    return create_subject(actor="test", **(defaults | fields))


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


# --- under 18 --------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_person_the_day_before_their_18th_birthday_is_refused_and_nothing_is_stored() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(date_of_birth=dt.date(2008, 3, 11))
    assert "under 18" in errors_of(excinfo)["date_of_birth"][0]
    assert "2026-03-11" in errors_of(excinfo)["date_of_birth"][0]
    assert not DataSubject.objects.exists()
    assert not AuditEvent.objects.filter(action="subject.created").exists()


@time_machine.travel(TODAY, tick=False)
def test_a_person_on_their_18th_birthday_is_accepted() -> None:
    subject = new_user(date_of_birth=dt.date(2008, 3, 10))
    assert DataSubject.objects.get(pk=subject.pk).date_of_birth == dt.date(2008, 3, 10)


@time_machine.travel(dt.datetime(2026, 2, 28, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_29_february_birthday_is_still_under_18_on_28_february_of_a_common_year() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(date_of_birth=dt.date(2008, 2, 29))
    assert "2026-03-01" in errors_of(excinfo)["date_of_birth"][0]


@time_machine.travel(dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_29_february_birthday_turns_18_on_1_march_of_a_common_year() -> None:
    assert new_user(date_of_birth=dt.date(2008, 2, 29)).pk


def test_a_leap_day_child_always_turns_18_on_1_march() -> None:
    # Y + 18 is never a leap year when Y is one, so 1 March it always is.
    assert guards.eighteenth_birthday(dt.date(2004, 2, 29)) == dt.date(2022, 3, 1)
    assert guards.eighteenth_birthday(dt.date(2000, 2, 29)) == dt.date(2018, 3, 1)
    assert guards.eighteenth_birthday(dt.date(2008, 3, 1)) == dt.date(2026, 3, 1)
    assert guards.eighteenth_birthday(dt.date(2008, 2, 28)) == dt.date(2026, 2, 28)


def test_the_legal_day_is_the_day_in_tallinn_not_in_utc() -> None:
    # 23:30 UTC on 9 March is already 10 March in Tallinn: the birthday has come.
    with time_machine.travel(dt.datetime(2026, 3, 9, 22, 30, tzinfo=dt.UTC), tick=False):
        assert new_user(date_of_birth=dt.date(2008, 3, 10)).pk


@time_machine.travel(TODAY, tick=False)
def test_a_date_of_birth_in_the_future_is_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(date_of_birth=dt.date(2030, 1, 1))
    assert "future" in errors_of(excinfo)["date_of_birth"][0]


# --- minimisation -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [SubjectKind.PROSPECT, SubjectKind.PROSPECT_REPRESENTATIVE])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_of_birth", dt.date(1980, 1, 1)),
        ("photo", PNG),
        ("work_address", "Narva mnt 5, Tallinn"),
    ],
)
def test_prospects_are_refused_a_date_of_birth_photo_or_address(
    kind: str, field: str, value: Any
) -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(kind=kind, **{field: value})
    assert "Prospects" in errors_of(excinfo)[field][0]
    assert not DataSubject.objects.exists()


def test_a_prospect_may_hold_name_work_contact_company_and_position() -> None:
    organisation = OrganisationFactory.create(status=OrganisationStatus.PROSPECT)
    subject = new_user(
        kind=SubjectKind.PROSPECT,
        work_phone="+372 5555 1234",
        organisation=organisation,
        position="CTO",
    )
    assert subject.is_prospect


def test_changing_a_client_with_an_address_into_a_prospect_requires_clearing_it() -> None:
    subject = new_user(work_address="Narva mnt 5", date_of_birth=dt.date(1980, 5, 5))
    with pytest.raises(ValidationError) as excinfo:
        update_subject(subject=subject, actor="test", kind=SubjectKind.PROSPECT)
    assert set(errors_of(excinfo)) == {"work_address", "date_of_birth"}
    assert DataSubject.objects.get(pk=subject.pk).kind == SubjectKind.USER

    update_subject(
        subject=subject,
        actor="test",
        kind=SubjectKind.PROSPECT,
        work_address=None,
        date_of_birth=None,
    )
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert fresh.kind == SubjectKind.PROSPECT
    assert fresh.work_address is None


def test_an_existing_prospect_cannot_be_given_a_date_of_birth() -> None:
    prospect = ProspectFactory.create()
    with pytest.raises(ValidationError) as excinfo:
        update_subject(subject=prospect, actor="test", date_of_birth=dt.date(1980, 1, 1))
    assert "date_of_birth" in errors_of(excinfo)


# --- revealed minor ------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_correction_that_reveals_a_minor_is_stored_and_flags_the_record_for_erasure(
    dpo: User,
) -> None:
    subject = new_user(date_of_birth=dt.date(1990, 1, 1))
    update_subject(subject=subject, actor=dpo, date_of_birth=dt.date(2009, 1, 1))
    fresh = DataSubject.objects.get(pk=subject.pk)
    assert fresh.date_of_birth == dt.date(2009, 1, 1)
    assert fresh.flagged_for_erasure_at == TODAY
    assert "under 18" in fresh.erasure_flag_reason
    flag = AuditEvent.objects.get(action="subject.flagged_for_erasure")
    assert flag.actor == dpo
    assert flag.target_id == str(subject.pk)


# --- kind history ---------------------------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_kind_change_is_recorded_with_its_date_and_never_overwrites_history(dpo: User) -> None:
    collected = dt.datetime(2025, 11, 5, 9, 0, tzinfo=dt.UTC)
    subject = new_user(kind=SubjectKind.PROSPECT, collected_at=collected)
    update_subject(
        subject=subject, actor=dpo, kind=SubjectKind.USER, kind_changed_on=dt.date(2026, 3, 1)
    )
    update_subject(subject=subject, actor=dpo, kind=SubjectKind.OTHER)
    history = list(
        KindChange.objects.filter(subject=subject).values_list(
            "previous_kind", "kind", "changed_on", "actor"
        )
    )
    assert history == [
        ("", SubjectKind.PROSPECT, dt.date(2025, 11, 5), None),
        (SubjectKind.PROSPECT, SubjectKind.USER, dt.date(2026, 3, 1), dpo.pk),
        (SubjectKind.USER, SubjectKind.OTHER, dt.date(2026, 3, 10), dpo.pk),
    ]
    assert DataSubject.objects.get(pk=subject.pk).kind == SubjectKind.OTHER


@time_machine.travel(TODAY, tick=False)
def test_a_kind_change_cannot_be_dated_before_the_previous_one() -> None:
    subject = new_user(collected_at=dt.datetime(2026, 3, 5, 9, 0, tzinfo=dt.UTC))
    with pytest.raises(ValidationError) as excinfo:
        update_subject(
            subject=subject,
            actor="test",
            kind=SubjectKind.CLIENT,
            kind_changed_on=dt.date(2026, 3, 1),
        )
    assert "2026-03-05" in errors_of(excinfo)["kind"][0]


@time_machine.travel(TODAY, tick=False)
def test_a_kind_change_cannot_be_dated_in_the_future() -> None:
    subject = new_user()
    with pytest.raises(ValidationError) as excinfo:
        update_subject(
            subject=subject,
            actor="test",
            kind=SubjectKind.CLIENT,
            kind_changed_on=dt.date(2026, 4, 1),
        )
    assert "future" in errors_of(excinfo)["kind"][0]
    assert KindChange.objects.filter(subject=subject).count() == 1


# --- audit and validation -------------------------------------------------------------------------


def test_create_and_update_are_audited_with_field_names_only(dpo: User) -> None:
    subject = new_user(work_phone="+372 5555 9999")
    update_subject(subject=subject, actor=dpo, work_phone="+372 5555 0001", position="CFO")
    created = AuditEvent.objects.get(action="subject.created")
    updated = AuditEvent.objects.get(action="subject.updated")
    assert created.target_type == "subjects.datasubject"
    assert updated.actor == dpo
    assert updated.details == {"fields": ["position", "work_phone"]}
    everything = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert "5555" not in everything
    assert "mari" not in everything.lower()


def test_an_update_that_changes_nothing_writes_no_audit_event() -> None:
    subject = new_user()
    update_subject(subject=subject, actor="test", first_name="Mari", country="EE")
    assert not AuditEvent.objects.filter(action="subject.updated").exists()


def test_a_second_person_with_the_same_work_email_is_refused() -> None:
    new_user()
    with pytest.raises(ValidationError) as excinfo:
        new_user(first_name="Other", work_email="MARI.TAMM@company.example ")
    assert "already" in errors_of(excinfo)["work_email"][0]


def test_a_malformed_email_and_an_unknown_country_are_refused_by_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(work_email="not-an-email", country="XX")
    assert set(errors_of(excinfo)) >= {"work_email", "country"}


def test_a_preferred_language_is_stored_changed_and_audited_by_field_name(dpo: User) -> None:
    subject = new_user(preferred_language="lv")
    assert DataSubject.objects.get(pk=subject.pk).preferred_language == "lv"
    update_subject(subject=subject, actor=dpo, preferred_language="")
    assert DataSubject.objects.get(pk=subject.pk).preferred_language == ""
    created = AuditEvent.objects.get(action="subject.created")
    assert "preferred_language" in created.details["fields"]
    assert AuditEvent.objects.get(action="subject.updated").details == {
        "fields": ["preferred_language"]
    }


def test_a_language_the_portal_does_not_write_in_is_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(preferred_language="de")
    assert "preferred_language" in errors_of(excinfo)
    assert not DataSubject.objects.exists()


@pytest.mark.parametrize(
    ("preferred", "country", "expected"),
    [
        ("lv", "EE", "lv"),  # the person's own choice beats where they are
        ("en", "LV", "en"),
        ("", "EE", "et"),  # not known: guessed from the country
        ("", "LV", "lv"),
        ("", "FI", "en"),  # no guess: English
        ("", "", "en"),
    ],
)
def test_the_letter_language_is_the_preference_else_the_country_guess_else_english(
    preferred: str, country: str, expected: str
) -> None:
    assert DataSubject(preferred_language=preferred, country=country).letter_language() == expected


def test_a_person_needs_a_name_or_an_email() -> None:
    with pytest.raises(ValidationError) as excinfo:
        create_subject(actor="test", kind=SubjectKind.OTHER)
    assert "last_name" in errors_of(excinfo)


# --- photo ----------------------------------------------------------------------------------------


def test_a_png_or_jpeg_photo_is_stored_with_its_type_from_the_magic_bytes() -> None:
    subject = new_user(photo=JPEG)
    assert DataSubject.objects.get(pk=subject.pk).photo_content_type == "image/jpeg"
    update_subject(subject=subject, actor="test", photo=PNG)
    assert DataSubject.objects.get(pk=subject.pk).photo_content_type == "image/png"


def test_a_photo_that_is_not_an_image_or_too_large_is_refused() -> None:
    with pytest.raises(ValidationError) as excinfo:
        new_user(photo=b"GIF89a" + b"\x00" * 10)
    assert "JPEG or PNG" in errors_of(excinfo)["photo"][0]
    with pytest.raises(ValidationError) as excinfo:
        new_user(photo=PNG + b"\x00" * guards.PHOTO_MAX_BYTES)
    assert "limit is 2 MB" in errors_of(excinfo)["photo"][0]


# --- anonymised -------------------------------------------------------------------------------


def test_an_anonymised_person_cannot_be_updated() -> None:
    subject = DataSubjectFactory.create(anonymised_at=TODAY)
    with pytest.raises(ValidationError):
        update_subject(subject=subject, actor="test", first_name="New")


# --- legal hold and organisations ------------------------------------------------------------


@time_machine.travel(TODAY, tick=False)
def test_a_legal_hold_is_set_and_lifted_with_an_audit_event_each(dpo: User) -> None:
    subject = DataSubjectFactory.create()
    with pytest.raises(ValidationError) as excinfo:
        set_subject_legal_hold(subject=subject, actor=dpo, reason=" ", review_on=None)
    assert set(errors_of(excinfo)) == {"legal_hold_reason", "legal_hold_review_on"}
    set_subject_legal_hold(
        subject=subject, actor=dpo, reason="Court case 2-26-123", review_on=dt.date(2026, 9, 1)
    )
    held = DataSubject.objects.get(pk=subject.pk)
    assert held.on_legal_hold
    assert held.legal_hold_set_by == dpo
    assert DataSubject.objects.held().filter(pk=subject.pk).exists()
    lift_subject_legal_hold(subject=held, actor=dpo)
    assert not DataSubject.objects.get(pk=subject.pk).on_legal_hold
    actions = list(
        AuditEvent.objects.filter(target_id=str(subject.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["subject.legal_hold_set", "subject.legal_hold_lifted"]


@time_machine.travel(TODAY, tick=False)
def test_a_trial_company_becoming_paying_converts_its_trial_and_its_prospect_people(
    dpo: User,
) -> None:
    trial = TrialFactory.create(started_on=dt.date(2026, 1, 1), ended_on=dt.date(2026, 1, 31))
    organisation = trial.organisation
    prospect = ProspectFactory.create(organisation=organisation)
    representative = ProspectFactory.create(
        organisation=organisation, kind=SubjectKind.PROSPECT_REPRESENTATIVE
    )
    change_organisation_status(
        organisation=organisation, status=OrganisationStatus.PAYING, actor=dpo
    )
    organisation.refresh_from_db()
    trial.refresh_from_db()
    assert organisation.status == OrganisationStatus.PAYING
    assert organisation.contract_started_on == dt.date(2026, 3, 10)
    assert trial.converted_on == dt.date(2026, 3, 10)
    assert DataSubject.objects.get(pk=prospect.pk).kind == SubjectKind.CLIENT
    assert DataSubject.objects.get(pk=representative.pk).kind == SubjectKind.CLIENT_REPRESENTATIVE
    assert KindChange.objects.filter(subject=prospect, kind=SubjectKind.CLIENT).exists()
    event = AuditEvent.objects.get(action="organisation.status_changed")
    assert event.details["to"] == "paying"
    assert event.details["people_reclassified"] == 2


def test_a_prospect_cannot_jump_to_former_client(dpo: User) -> None:
    organisation = create_organisation(actor=dpo, name="Acme OÜ", country="EE")
    with pytest.raises(ValidationError) as excinfo:
        change_organisation_status(
            organisation=organisation, status=OrganisationStatus.FORMER, actor=dpo
        )
    assert "status" in errors_of(excinfo)
    assert AuditEvent.objects.filter(action="organisation.created").count() == 1
