"""One-click unsubscribe (RFC 8058) and the one door for marketing e-mail."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.test import Client
from django.utils import translation
from pytest_django import DjangoCaptureOnCommitCallbacks

from consent.emails import NotMarketable, send_marketing_email, unsubscribe_token
from consent.models import Channel, ConsentEvent, EventKind, SuppressionEntry
from consent.services import grant_consent
from processing.models import Purpose
from subjects.models import DataSubject
from tests.emails import html_part
from tests.factories import DataSubjectFactory, ProspectFactory, purpose

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(marketing: Purpose) -> DataSubject:
    subject = DataSubjectFactory.create(
        work_email="reader@company.example", preferred_language="en"
    )
    grant_consent(
        subject=subject, purpose=marketing, channel="web_form", actor="data subject",
        wording="Newsletter",
    )  # fmt: skip
    return subject


def _link(message: EmailMessage) -> str:
    match = re.search(r"http://\S+/p/unsubscribe/\S+/(?:\?lang=\w+)?", str(message.body))
    assert match is not None
    return match.group(0)


def test_marketing_email_carries_the_link_and_the_rfc_8058_headers(
    subscriber: DataSubject, marketing: Purpose
) -> None:
    send_marketing_email(
        subject=subscriber, purpose=marketing, subject_line="News", body="Spring release"
    )
    message = mail.outbox[0]
    link = _link(message)
    assert message.to == ["reader@company.example"]
    assert message.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in html_part(message)
    assert "Spring release" in message.body


def test_marketing_email_is_written_in_the_persons_preferred_language(
    subscriber: DataSubject, marketing: Purpose
) -> None:
    # Located in Estonia, but the person said they prefer Latvian: the footer is Latvian.
    subscriber.preferred_language = "lv"
    subscriber.save()
    send_marketing_email(subject=subscriber, purpose=marketing, subject_line="Ziņas", body="x")
    with translation.override("lv"):
        latvian = translation.gettext("Unsubscribe")
    assert latvian != "Unsubscribe"
    assert f"{latvian}: http://" in mail.outbox[0].body


def test_marketing_email_is_refused_to_someone_not_marketable(marketing: Purpose) -> None:
    stranger = DataSubjectFactory.create()
    with pytest.raises(NotMarketable):
        send_marketing_email(subject=stranger, purpose=marketing, subject_line="x", body="y")
    assert mail.outbox == []


def test_unsubscribe_get_shows_one_button_and_records_nothing(
    client: Client, subscriber: DataSubject, marketing: Purpose
) -> None:
    response = client.get(f"/p/unsubscribe/{unsubscribe_token(subscriber, marketing)}/")
    assert response.status_code == 200
    main = response.content.split(b'<main id="main"')[1]
    assert main.count(b"<button") == 1 and b">Unsubscribe</button>" in main
    assert b"Newsletters and offers to anyone who agreed to receive them." in response.content
    assert not ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).exists()


def test_unsubscribe_post_without_csrf_token_records_a_withdrawal_once(
    subscriber: DataSubject, marketing: Purpose
) -> None:
    client = Client(enforce_csrf_checks=True)  # a mail client's one-click POST
    url = f"/p/unsubscribe/{unsubscribe_token(subscriber, marketing)}/"
    first = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert first.status_code == 200
    assert b"You are unsubscribed" in first.content
    withdrawal = ConsentEvent.objects.get(kind=EventKind.WITHDRAWN)
    assert withdrawal.channel == Channel.UNSUBSCRIBE_LINK
    assert withdrawal.actor_label == "unsubscribe-link"
    second = client.post(url)
    assert second.status_code == 200
    assert ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).count() == 1
    with pytest.raises(NotMarketable):
        send_marketing_email(subject=subscriber, purpose=marketing, subject_line="x", body="y")


def test_unsubscribe_from_prospect_marketing_is_an_objection_and_suppresses(
    client: Client, seeded: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    prospects = purpose("prospect-marketing")
    prospect = ProspectFactory.create()
    url = f"/p/unsubscribe/{unsubscribe_token(prospect, prospects)}/"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 200
    assert ConsentEvent.objects.get().kind == EventKind.OBJECTED
    assert SuppressionEntry.objects.count() == 1
    prospect.refresh_from_db()
    assert prospect.anonymised_at is not None
    assert client.post(url).status_code == 200  # the erased person's link still answers
    assert ConsentEvent.objects.count() == 1


@pytest.mark.parametrize("token", ["garbage", "eyJzIjoxLCJwIjoxfQ:tampered:sig"])
def test_a_tampered_or_unknown_token_gets_a_friendly_400(
    client: Client, subscriber: DataSubject, marketing: Purpose, token: str
) -> None:
    for response in (
        client.get(f"/p/unsubscribe/{token}/"),
        client.post(f"/p/unsubscribe/{token}/"),
    ):
        assert response.status_code == 400
        assert b"This link does not work" in response.content
    genuine = unsubscribe_token(subscriber, marketing)
    forged = genuine[:-2] + ("AA" if not genuine.endswith("AA") else "BB")
    assert client.post(f"/p/unsubscribe/{forged}/").status_code == 400
    assert not ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).exists()
