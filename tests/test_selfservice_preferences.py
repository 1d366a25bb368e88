"""The preference centre, its receipts, and unsubscribe pages in the
person's language."""

from __future__ import annotations

import json

import jsonschema
import pytest
from django.core import mail
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from consent import iso27560
from consent.emails import send_marketing_email, unsubscribe_token
from consent.models import Channel, ConsentEvent, EventKind, ObjectionReview, SuppressionEntry
from consent.selectors import marketable_filter
from consent.services import grant_consent
from core.audit import subject_actor
from processing.models import Purpose
from subjects.models import DataSubject, SubjectKind
from tests.factories import DataSubjectFactory, ProspectFactory, purpose
from tests.fixture_types import SignInAsSubject

pytestmark = pytest.mark.django_db


def switch(client: Client, target: Purpose, action: str) -> ConsentEvent:
    response = client.post("/p/me/preferences/", {"purpose": target.pk, "action": action})
    assert response.status_code in (200, 302)
    return ConsentEvent.objects.filter(purpose=target).latest("id")


def audience(target: Purpose) -> set[int]:
    return set(
        marketable_filter(DataSubject.objects.all(), purpose=target).values_list("pk", flat=True)
    )


def test_grant_and_withdraw_write_the_ledger_and_the_audience_follows_at_once(
    seeded: None, sign_in_as_subject: SignInAsSubject, marketing: Purpose
) -> None:
    me = DataSubjectFactory.create(kind=SubjectKind.USER)
    client = sign_in_as_subject(me)
    page = client.get("/p/me/preferences/").content.decode()
    assert "Newsletters and offers to anyone who agreed to receive them." in page
    granted = switch(client, marketing, "grant")
    assert granted.kind == EventKind.GRANTED
    assert granted.channel == Channel.SELF_SERVICE
    assert granted.actor_label == subject_actor(me.pk)
    assert "Newsletters and offers" in granted.wording
    assert granted.wording in page
    assert granted.policy_version is not None
    assert me.pk in audience(marketing)
    withdrawn = switch(client, marketing, "withdraw")
    assert withdrawn.kind == EventKind.WITHDRAWN and withdrawn.channel == Channel.SELF_SERVICE
    assert me.pk not in audience(marketing)


def test_a_switch_the_page_does_not_offer_now_records_nothing(
    seeded: None, sign_in_as_subject: SignInAsSubject, marketing: Purpose
) -> None:
    me = DataSubjectFactory.create(kind=SubjectKind.USER)
    client = sign_in_as_subject(me)
    client.post("/p/me/preferences/", {"purpose": marketing.pk, "action": "withdraw"})
    client.post("/p/me/preferences/", {"purpose": purpose("contract").pk, "action": "object"})
    client.post("/p/me/preferences/", {"purpose": "x", "action": "grant"})
    assert not ConsentEvent.objects.exists()


def test_an_objection_to_other_processing_goes_to_the_dpo_and_restricts(
    seeded: None, sign_in_as_subject: SignInAsSubject
) -> None:
    me = DataSubjectFactory.create(kind=SubjectKind.USER)
    client = sign_in_as_subject(me)
    service = purpose("service")
    event = switch(client, service, "object")
    assert event.kind == EventKind.OBJECTED and event.channel == Channel.SELF_SERVICE
    assert ObjectionReview.objects.filter(event=event).exists()
    me.refresh_from_db()
    assert me.restricted_at is not None


def test_a_prospects_objection_to_marketing_is_absolute_and_shows_the_receipt_once(
    seeded: None,
    sign_in_as_subject: SignInAsSubject,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    me = ProspectFactory.create()
    client = sign_in_as_subject(me)
    prospects = purpose("prospect-marketing")
    assert me.pk in audience(prospects)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/p/me/preferences/", {"purpose": prospects.pk, "action": "object"})
    event = ConsentEvent.objects.get(purpose=prospects)
    assert event.kind == EventKind.OBJECTED and event.channel == Channel.SELF_SERVICE
    assert SuppressionEntry.objects.exists()
    me.refresh_from_db()
    assert me.anonymised_at is not None
    assert me.pk not in audience(prospects)
    assert response.status_code == 200
    assert f"consent-event-{event.pk}" in response.content.decode()
    assert client.get("/p/me/data/").status_code == 302  # the session ended with the data


def test_the_receipt_matches_the_ledger_event(
    seeded: None, sign_in_as_subject: SignInAsSubject, marketing: Purpose
) -> None:
    me = DataSubjectFactory.create(kind=SubjectKind.USER)
    client = sign_in_as_subject(me)
    event = switch(client, marketing, "grant")
    page = client.get(f"/p/me/receipts/{event.pk}/").content.decode()
    assert "Newsletters and offers" in page
    record = json.loads(client.get(f"/p/me/receipts/{event.pk}/download/").content)
    jsonschema.Draft202012Validator(iso27560.record_schema()).validate(record)
    assert record["identifier"] == f"consent-event-{event.pk}"
    assert record["dataSubject"] == f"po:subject:{me.pk}"
    assert record["consentStatus"] == "dpv:ConsentGiven"
    assert record["processing"]["purpose"]["identifier"] == marketing.code
    assert record["indicatedAtTime"] == event.occurred_at.isoformat(timespec="seconds")
    assert record["method"] == Channel.SELF_SERVICE
    assert record["indicatedBy"] == "dpv:DataSubject"
    assert event.policy_version is not None
    assert record["notice"] == {
        "@id": f"po:policy:{event.policy_version.version}",
        "identifier": event.policy_version.version,
        "version": event.policy_version.version,
        "validFrom": event.policy_version.effective_on.isoformat(),
        "wording": event.wording,
    }
    assert event.wording in page and event.policy_version.version in page
    withdrawal = switch(client, marketing, "withdraw")
    second = json.loads(client.get(f"/p/me/receipts/{withdrawal.pk}/download/").content)
    assert second["consentStatus"] == "dpv:ConsentWithdrawn"
    assert [s["eventType"] for s in second["statusHistory"]] == ["granted", "withdrawn"]


def test_a_receipt_of_another_person_is_not_found(
    seeded: None, sign_in_as_subject: SignInAsSubject, marketing: Purpose
) -> None:
    other = DataSubjectFactory.create()
    theirs = grant_consent(
        subject=other, purpose=marketing, channel="web_form", actor="data subject", wording="x"
    )
    client = sign_in_as_subject(DataSubjectFactory.create())
    assert client.get(f"/p/me/receipts/{theirs.pk}/").status_code == 404
    assert client.get(f"/p/me/receipts/{theirs.pk}/download/").status_code == 404


@pytest.mark.parametrize(
    ("language", "heading", "wording"),
    [
        ("lv", "Atteikt abonēšanu", "Jaunumi un piedāvājumi"),
        ("et", "Loobu tellimusest", "Uudiskirjad ja pakkumised"),
        ("en", "Unsubscribe", "Newsletters and offers"),
    ],
)
def test_the_unsubscribe_page_speaks_the_persons_language_and_names_the_public_wording(
    seeded: None, marketing: Purpose, language: str, heading: str, wording: str
) -> None:
    person = DataSubjectFactory.create(preferred_language=language)
    grant_consent(
        subject=person, purpose=marketing, channel="web_form", actor="data subject", wording="x"
    )
    page = Client().get(f"/p/unsubscribe/{unsubscribe_token(person, marketing)}/")
    text = page.content.decode()
    assert f'lang="{language}"' in text
    assert heading in text and wording in text
    assert "/p/me/" in text
    assert "Direct marketing" not in text.split('<main id="main"')[1]


def test_the_marketing_email_names_the_purpose_in_the_persons_language_and_links_preferences(
    seeded: None, marketing: Purpose
) -> None:
    person = DataSubjectFactory.create(preferred_language="lv")
    grant_consent(
        subject=person, purpose=marketing, channel="web_form", actor="data subject", wording="x"
    )
    send_marketing_email(subject=person, purpose=marketing, subject_line="Ziņas", body="x")
    body = str(mail.outbox[-1].body)
    assert "Jaunumi un piedāvājumi" in body
    assert "/p/me/" in body


def test_the_catalogues_carry_the_seeded_public_wording_of_every_purpose_one_can_stop(
    seeded: None,
) -> None:
    from consent.wording import SEEDED_PUBLIC_WORDING

    stoppable = [p for p in Purpose.objects.all() if p.person_can_withdraw_or_object]
    assert stoppable
    assert {p.description for p in stoppable} <= set(SEEDED_PUBLIC_WORDING)
