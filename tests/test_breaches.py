"""The breach register (GDPR Art. 33, 34): the 72-hour clock, the late reason, phases, the
decision on the people and their letters, the draft, and the audit of each step."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from breaches import services
from breaches.clock import clock_at, notification_deadline
from breaches.letters import (
    notification_draft_html,
    people_letter_html,
    send_people_letters,
)
from breaches.models import AffectedPerson, Breach
from breaches.selectors import people_for_selection
from core.models import AuditEvent
from processing.models import DataCategory
from tests.factories import DataSubjectFactory, OrganisationFactory
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
# Friday 4 December 2026, 16:30 in Tallinn: the 72 hours run over the weekend.
FRIDAY = dt.datetime(2026, 12, 4, 16, 30, tzinfo=TALLINN)


def _values(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "Laptop stolen",
        "aware_at": FRIDAY,
        "occurred_at": None,
        "nature": "confidentiality",
        "description": "An unencrypted export of contacts was on a stolen laptop.",
        "subject_kinds": ["client", "user"],
        "approx_people": 120,
        "approx_records": 300,
        "consequences": "Phishing e-mails to the people listed.",
        "measures": "Passwords reset; the police informed.",
        "contact_point": "dpo@privacyops.example",
    }
    values.update(overrides)
    return values


def _breach(actor: User, **overrides: object) -> Breach:
    with time_machine.travel(FRIDAY + dt.timedelta(minutes=5), tick=False):
        return services.record_breach(
            values=_values(**overrides),
            categories=DataCategory.objects.filter(code__in=["contact", "identification"]),
            actor=actor,
        )


def test_the_deadline_is_72_hours_later_across_a_weekend() -> None:
    assert notification_deadline(FRIDAY) == dt.datetime(2026, 12, 7, 16, 30, tzinfo=TALLINN)


def test_the_deadline_counts_elapsed_hours_across_the_change_of_clocks() -> None:
    # Saturday 24 October 2026, 12:00 EEST; clocks go back on Sunday: 72 hours end at 11:00 EET.
    aware = dt.datetime(2026, 10, 24, 12, 0, tzinfo=TALLINN)
    assert notification_deadline(aware).astimezone(TALLINN) == dt.datetime(
        2026, 10, 27, 11, 0, tzinfo=TALLINN
    )


def test_the_clock_is_running_until_the_last_second_then_overdue() -> None:
    deadline = notification_deadline(FRIDAY)
    at_deadline = clock_at(FRIDAY, now=deadline)
    assert not at_deadline.overdue
    assert at_deadline.hours_left == 0
    late = clock_at(FRIDAY, now=deadline + dt.timedelta(minutes=1))
    assert late.overdue
    assert late.hours_late == 1
    assert clock_at(FRIDAY, now=FRIDAY + dt.timedelta(hours=30, minutes=10)).hours_left == 41


def test_a_breach_is_recorded_and_audited(seeded: None, dpo: User) -> None:
    breach = _breach(dpo)
    assert breach.clock_running
    event = AuditEvent.objects.get(action="breach.recorded")
    assert event.target_id == str(breach.pk)
    assert event.details["deadline"] == "2026-12-07T14:30:00+00:00"


def test_awareness_in_the_future_is_refused(seeded: None, dpo: User) -> None:
    with pytest.raises(ValidationError):
        _breach(dpo, aware_at=FRIDAY + dt.timedelta(days=1))


def test_a_late_notification_requires_its_reason(seeded: None, dpo: User) -> None:
    breach = _breach(dpo)
    late = FRIDAY + dt.timedelta(hours=72, minutes=1)
    with time_machine.travel(late + dt.timedelta(hours=1), tick=False):
        with pytest.raises(ValidationError) as refused:
            services.record_notification(
                breach=breach, notified_at=late, reference="AKI-1", late_reason="", actor=dpo
            )
        assert "late_reason" in refused.value.message_dict
        services.record_notification(
            breach=breach,
            notified_at=late,
            reference="AKI-1",
            late_reason="The scope was known only on Monday.",
            actor=dpo,
        )
    breach.refresh_from_db()
    assert breach.notified_late and not breach.clock_running
    assert AuditEvent.objects.get(action="breach.notified").details["late"] is True


def test_a_notification_within_72_hours_needs_no_reason(seeded: None, dpo: User) -> None:
    breach = _breach(dpo)
    on_time = FRIDAY + dt.timedelta(hours=72)
    with time_machine.travel(on_time, tick=False):
        services.record_notification(
            breach=breach, notified_at=on_time, reference="", late_reason="", actor=dpo
        )
    breach.refresh_from_db()
    assert not breach.notified_late


def test_a_breach_not_notified_is_kept_with_its_reason(seeded: None, dpo: User) -> None:
    breach = _breach(dpo)
    with pytest.raises(ValidationError):
        services.decide_authority(breach=breach, decision="not_required", reason="", actor=dpo)
    services.decide_authority(
        breach=breach, decision="not_required", reason="Encrypted device.", actor=dpo
    )
    assert list(Breach.objects.clock_running()) == []
    assert Breach.objects.filter(pk=breach.pk).exists()


def test_follow_ups_are_numbered_in_phases(seeded: None, dpo: User) -> None:
    breach = _breach(dpo)
    first = services.add_follow_up(
        breach=breach, information="Scope confirmed.", sent_to_authority_at=None, actor=dpo
    )
    second = services.add_follow_up(
        breach=breach, information="Root cause.", sent_to_authority_at=None, actor=dpo
    )
    assert (first.phase, second.phase) == (1, 2)
    assert "Root cause." in notification_draft_html(breach)


def test_the_draft_has_the_content_of_article_33_3(seeded: None, dpo: User) -> None:
    html = notification_draft_html(_breach(dpo))
    for text in [
        "(a) Nature of the breach",
        "120",
        "300",
        "dpo@privacyops.example",
        "Phishing e-mails",
        "Passwords reset",
        "07.12.2026 16:30",
    ]:
        assert text in html


def test_people_are_selected_by_organisation_and_filter(seeded: None, dpo: User) -> None:
    acme = OrganisationFactory.create()
    mine = DataSubjectFactory.create_batch(3, organisation=acme, kind="user")
    DataSubjectFactory.create(kind="user", country="LV")
    breach = _breach(dpo)
    added = services.add_affected_people(
        breach=breach,
        people=people_for_selection(organisation=acme),
        selection=f"organisation {acme.pk}",
        actor=dpo,
    )
    assert added == 3
    again = services.add_affected_people(
        breach=breach, people=people_for_selection(kind="user"), selection="kind user", actor=dpo
    )
    assert again == 1
    assert AffectedPerson.objects.filter(breach=breach).count() == 4
    assert {p.subject_id for p in AffectedPerson.objects.filter(breach=breach)} >= {
        m.pk for m in mine
    }
    event = AuditEvent.objects.filter(action="breach.people_added").first()
    assert event is not None and event.details == {"selection": "kind user", "added": 1}


def test_people_kept_after_asking_for_erasure_are_affected_the_erased_are_not(
    seeded: None, dpo: User
) -> None:
    """Everyone whose data is still stored counts (Art. 33(3)(a), 34),
    someone kept for a claim after asking for erasure too; an anonymised person holds no data."""
    acme = OrganisationFactory.create()
    kept = DataSubjectFactory.create(organisation=acme, erasure_requested_at=timezone.now())
    erased = DataSubjectFactory.create(organisation=acme, anonymised_at=timezone.now())
    in_use = DataSubjectFactory.create(organisation=acme)
    breach = _breach(dpo)
    added = services.add_affected_people(
        breach=breach, people=people_for_selection(organisation=acme), selection="acme", actor=dpo
    )
    assert added == 2
    affected = set(
        AffectedPerson.objects.filter(breach=breach).values_list("subject_id", flat=True)
    )
    assert affected == {kept.pk, in_use.pk} and erased.pk not in affected


def test_the_letter_goes_to_each_person_in_their_language(seeded: None, dpo: User) -> None:
    breach = _breach(dpo)
    estonian = DataSubjectFactory.create(preferred_language="et", work_email="mari@example.ee")
    latvian = DataSubjectFactory.create(preferred_language="lv", work_email="janis@example.lv")
    services.add_affected_people(
        breach=breach,
        people=people_for_selection().filter(pk__in=[estonian.pk, latvian.pk]),
        selection="filter",
        actor=dpo,
    )
    services.decide_people(breach=breach, decision="inform", reason="High risk.", actor=dpo)
    assert send_people_letters(breach.pk) == 2
    assert send_people_letters(breach.pk) == 0  # a rerun sends nothing twice
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["mari@example.ee"].startswith("Teid puudutav isikuandmetega")
    assert subjects["janis@example.lv"].startswith("Personas datu aizsardzības pārkāpums")
    assert all(m.attachments for m in mail.outbox)
    assert "Dear" in people_letter_html(breach, language="en", name="A B")


def test_the_people_decision_needs_its_reason(seeded: None, dpo: User) -> None:
    with pytest.raises(ValidationError):
        services.decide_people(breach=_breach(dpo), decision="inform", reason=" ", actor=dpo)


def test_the_clock_shows_on_every_dpo_page_while_running(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    breach = _breach(dpo)
    with time_machine.travel(FRIDAY + dt.timedelta(hours=30, minutes=10), tick=False):
        page = client_for(dpo).get("/subjects/").content.decode()
    assert f"Breach {breach.reference}: 41 hours left" in page
    deadline = timezone.localtime(FRIDAY + dt.timedelta(hours=72))
    assert f"(until {deadline:%d.%m.%Y %H:%M})" in page  # the staff pages' one format
    with time_machine.travel(FRIDAY + dt.timedelta(hours=80), tick=False):
        page = client_for(dpo).get("/").content.decode()
    assert "ended 8 hours ago" in page


def test_the_pages_record_and_refuse_with_messages(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    categories = DataCategory.objects.filter(code="contact").values_list("pk", flat=True)
    form = {
        **{k: v for k, v in _values().items() if k not in {"aware_at", "occurred_at"}},
        "aware_at": "2026-12-04T16:30",
        "categories": list(categories),
    }
    with time_machine.travel(FRIDAY + dt.timedelta(hours=1), tick=False):
        client: Client = client_for(dpo)
        response = client.post("/breaches/new/", form)
        assert response.status_code == 302
        breach = Breach.objects.get()
        assert client.get(response["Location"]).status_code == 200
        assert client.get(f"/breaches/{breach.pk}/notification-draft.pdf").content[:4] == b"%PDF"
    with time_machine.travel(FRIDAY + dt.timedelta(hours=90), tick=False):
        client = client_for(dpo)
        refused = client.post(f"/breaches/{breach.pk}/notify/", {"notified_at": "2026-12-08T09:00"})
    assert refused.status_code == 400
    assert "Art. 33(1) requires the reasons for the delay" in refused.content.decode()


def test_the_auditor_reads_the_register_but_sees_no_names(
    seeded: None, dpo: User, auditor: User, client_for: ClientFor
) -> None:
    breach = _breach(dpo)
    person = DataSubjectFactory.create(first_name="Zebulon")
    services.add_affected_people(
        breach=breach, people=people_for_selection().filter(pk=person.pk), selection="x", actor=dpo
    )
    client = client_for(auditor)
    page = client.get(f"/breaches/{breach.pk}/")
    assert page.status_code == 200
    assert "Zebulon" not in page.content.decode()
    assert client.post(f"/breaches/{breach.pk}/close/").status_code == 403
