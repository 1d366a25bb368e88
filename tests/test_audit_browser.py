"""The audit browser: grouped reads, filters in words, targets as links,
CSV export, "who looked at this person" from the same data, and no names for the Auditor."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client

from core.audit import record_event, record_grouped_read
from core.models import AuditEvent
from subjects.models import DataSubject
from subjects.selectors import subject_audit_trail
from tests.factories import DataSubjectFactory, SubjectRequestFactory
from tests.fixture_types import ClientFor
from tests.visible_words import visible_text

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")


def test_a_list_page_of_people_is_one_grouped_event_with_the_ids(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    people = DataSubjectFactory.create_batch(3)
    client_for(dpo).get("/subjects/")
    (event,) = AuditEvent.objects.filter(action="subjects.listed")
    assert sorted(event.details["ids"]) == sorted(p.pk for p in people)
    assert event.details["count"] == 3


def test_the_request_queue_is_one_grouped_event(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    SubjectRequestFactory.create_batch(4)
    client_for(dpo).get("/requests/")
    (event,) = AuditEvent.objects.filter(action="request.listed")
    assert event.details["count"] == 4


def test_who_looked_at_a_person_includes_the_lists_that_showed_them(
    seeded: None, dpo: User, staff: User
) -> None:
    mari, other = DataSubjectFactory.create_batch(2)
    record_grouped_read(
        action="subjects.listed", actor=staff, target_type="subjects.datasubject",
        target_ids=[mari.pk, 999],
    )  # fmt: skip
    record_grouped_read(
        action="subjects.listed", actor=staff, target_type="subjects.datasubject",
        target_ids=[other.pk],
    )  # fmt: skip
    record_event(action="subject.viewed", actor=dpo, target=mari)
    trail = subject_audit_trail(mari)
    assert trail.paginator.count == 2
    assert [e.action for e in trail] == ["subject.viewed", "subjects.listed"]
    # 9 is not 999: ids are matched whole.
    assert subject_audit_trail(DataSubject(pk=9)).paginator.count == 0


def _events(client: Client, **params: str) -> str:
    return str(client.get("/audit/", params).content.decode())


def test_the_filters_by_actor_action_words_target_person_and_dates(
    seeded: None, dpo: User, staff: User, client_for: ClientFor
) -> None:
    mari = DataSubjectFactory.create(first_name="Mari", last_name="Tamm")
    jaan = DataSubjectFactory.create(first_name="Jaan", last_name="Kask")
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=TALLINN), tick=False):
        record_event(action="subject.viewed", actor=staff, target=mari)
    with time_machine.travel(dt.datetime(2026, 3, 5, 10, tzinfo=TALLINN), tick=False):
        record_event(action="subject.updated", actor=dpo, target=jaan)
        record_grouped_read(
            action="subjects.listed", actor=dpo, target_type="subjects.datasubject",
            target_ids=[mari.pk],
        )  # fmt: skip
    client = client_for(dpo)
    viewed, updated, listed = "Opened a person's record", "Corrected a person", "Listed people"
    by_actor = visible_text(_events(client, actor=str(staff.pk)))
    assert viewed in by_actor and updated not in by_actor
    by_words = visible_text(_events(client, action="corrected"))
    assert updated in by_words and viewed not in by_words
    by_code = visible_text(_events(client, action="subject.updated"))
    assert updated in by_code and viewed not in by_code
    by_person = visible_text(_events(client, person="Tamm"))
    assert viewed in by_person and listed in by_person
    assert updated not in by_person
    by_target = _events(client, target_type="subjects.datasubject", target_id=str(jaan.pk))
    assert updated in visible_text(by_target) and viewed not in visible_text(by_target)
    by_dates = visible_text(_events(client, since="2026-03-01", until="2026-03-02"))
    assert viewed in by_dates and updated not in by_dates
    assert "1 records" in by_person  # a grouped read says how many, not which
    link = f'href="/subjects/{mari.pk}/"'
    assert link in _events(client, person="Tamm")  # the DPO may open the person


def test_the_action_filter_finds_codes_the_portal_does_not_name_by_their_code_or_words(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    from core.audit_browser import actions_matching

    # An admin edit's code is said in words made from the model; an unknown code as it is.
    record_event(action="retention.retentionrule.change", actor=dpo, target_id=1)
    record_event(action="legacy.thing_done", actor=dpo, target_id=2)
    record_event(action="subject.viewed", actor=dpo, target_id=3)
    assert "retention.retentionrule.change" in actions_matching("retention rule")
    assert actions_matching("THING_DONE") == ["legacy.thing_done"]
    client = client_for(dpo)
    by_words = visible_text(_events(client, action="retention rule"))
    assert "Retention rule" in by_words and "Opened a person's record" not in by_words
    by_code = visible_text(_events(client, action="thing_done"))
    assert "Legacy: thing done" in by_code and "Opened a person's record" not in by_code
    assert "No events match." in visible_text(_events(client, action="nothing-like-it"))


def test_the_auditor_gets_no_person_search_no_names_and_no_links_to_people(
    seeded: None, dpo: User, auditor: User, client_for: ClientFor
) -> None:
    mari = DataSubjectFactory.create(first_name="Zebulon", last_name="Tamm")
    record_event(action="subject.viewed", actor=dpo, target=mari)
    html = _events(client_for(auditor))
    assert "Zebulon" not in html
    assert 'name="person"' not in html
    assert f"Person #{mari.pk}" in html
    assert f'href="/subjects/{mari.pk}/"' not in html
    # A person filter typed into the address is ignored, not searched.
    assert f"Person #{mari.pk}" in _events(client_for(auditor), person="Zebulon")


def test_the_csv_export_follows_the_filters_and_is_audited(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    person = DataSubjectFactory.create()
    record_event(action="subject.viewed", actor=dpo, target=person)
    record_event(
        action="breach.recorded", actor=dpo, target_type="subject_requests.breach", target_id=1
    )
    response = client_for(dpo).get("/audit/export.csv", {"action": "breach"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")  # type: ignore[attr-defined]
    lines = body.strip().splitlines()
    assert lines[0].startswith("when,who,what")
    assert len(lines) == 2 and "Recorded a personal-data breach" in lines[1]
    assert AuditEvent.objects.filter(action="audit.exported").exists()


def test_the_browser_pages(seeded: None, dpo: User, client_for: ClientFor) -> None:
    for n in range(60):
        record_event(
            action="subject.viewed", actor=dpo, target_type="subjects.datasubject", target_id=n
        )
    html = _events(client_for(dpo))
    assert "Page 1 of 2" in html


def test_the_last_page_link_reaches_the_last_page(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    for n in range(120):
        record_event(action="subject.viewed", actor=dpo, target_id=n)
    client = client_for(dpo)
    html = _events(client, action="subject.viewed")
    assert "Page 1 of 3" in html
    assert "page=3" in html  # the link names the page: "last" was read as page 1
    assert "Page 3 of 3" in _events(client, action="subject.viewed", page="3")


def test_a_filter_matching_more_than_the_cap_pages_through_the_first_and_says_so(
    seeded: None, dpo: User, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The count stops at the cap: a million matches are not counted for one page of 50.
    monkeypatch.setattr("core.views.AUDIT_COUNT_CAP", 100)
    for n in range(130):
        record_event(action="subject.viewed", actor=dpo, target_id=n)
    client = client_for(dpo)
    text = visible_text(_events(client, action="subject.viewed"))
    assert "Page 1 of more than 2" in text
    assert "More than 100 entries match: these pages show the first 100." in text
    assert "last" not in text.split("Page 1 of")[1].split("More than")[0]
    # Below the cap the count is exact and nothing more is said.
    monkeypatch.setattr("core.views.AUDIT_COUNT_CAP", 1000)
    text = visible_text(_events(client, action="subject.viewed"))
    assert "Page 1 of 3" in text
    assert "More than" not in text
