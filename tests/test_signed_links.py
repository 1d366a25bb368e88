"""Every signed link the portal e-mails, audited the same way.

For each kind — request verification, request status (and withdrawal), unsubscribe,
subscription confirmation, answer download — a tampered link is refused, an old link is
refused when the kind expires (or shown to work when it does not, by design), and a replay
records nothing a second time. No link carries an e-mail address or a name: a link is an
opaque, signed reference to a row. A link of one kind opens nothing of another.

By design: the status link does not expire (the requester keeps it for the request's life);
the unsubscribe link does not expire (a two-year-old newsletter must still unsubscribe); a
download link may be used again and again within its `ANSWER_LINK_DAYS`, each download
audited, until it expires or a new link replaces it.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail, signing
from django.db import connection
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from consent.emails import unsubscribe_token
from consent.models import ConsentEvent, EventKind, PendingSubscription
from consent.selectors import consent_state
from consent.services import subscription
from core.models import AuditEvent
from processing.models import Purpose
from subject_requests.choices import Status
from subject_requests.models import SubjectRequest
from subjects.models import DataSubject
from tests import factories as f
from tests.retention_helpers import purge
from tests.test_answers import _completed_with_link

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=TALLINN)
# Each fixture issues its link at NOW and each test opens it at NOW or a moved clock: one clock.
pytestmark = [pytest.mark.django_db, pytest.mark.clock(NOW)]
EMAIL = "mari.maasikas@company.example"
NAME = "Mari Maasikas"


def link_in(message: mail.EmailMessage, pattern: str) -> str:
    match = re.search(pattern, str(message.body))
    assert match, message.body
    return match.group(0)


def token_of(link: str, prefix: str) -> str:
    return link.split(prefix, 1)[1].split("/", 1)[0]


def readable(token: str) -> str:
    """What anyone who sees the link can read in it: the signed payload, decoded."""
    payload = token.split(":", 1)[0]
    raw = signing.b64_decode(payload.lstrip(".").encode())
    return (zlib.decompress(raw) if payload.startswith(".") else raw).decode()


def tampered(token: str) -> str:
    """The same token with one character of its payload changed (its signature kept)."""
    position = 2
    swap = "A" if token[position] != "A" else "B"
    return token[:position] + swap + token[position + 1 :]


def recorded() -> tuple[int, int, int]:
    """What a click can leave behind: audit events, ledger rows, e-mails."""
    return AuditEvent.objects.count(), ConsentEvent.objects.count(), len(mail.outbox)


# --- request verification -------------------------------------------------------------------

VERIFY = r"/privacy/request/verify/[^/\s]+/"
STATUS = r"/privacy/request/status/[^/\s]+/"


@pytest.fixture
def requested(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> tuple[SubjectRequest, str, str]:
    """A request filed on the public form by someone we hold: its verification and status
    links."""
    f.DataSubjectFactory.create(work_email=EMAIL, first_name="Mari", last_name="Maasikas")
    form = {"type": "access", "name": NAME, "email": EMAIL, "description": "", "website": ""}
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/privacy/request/", form).status_code == 302
    verify = next(link_in(m, VERIFY) for m in mail.outbox if re.search(VERIFY, str(m.body)))
    status = next(link_in(m, STATUS) for m in mail.outbox if re.search(STATUS, str(m.body)))
    return SubjectRequest.objects.get(), verify, status


def test_a_tampered_verification_link_verifies_nothing(
    client: Client, requested: tuple[SubjectRequest, str, str]
) -> None:
    request, verify, _status = requested
    token = token_of(verify, "/verify/")
    before = recorded()
    for bad in (tampered(token), signing.dumps({"r": request.pk, "n": "guess"}, salt="other")):
        assert client.post(f"/privacy/request/verify/{bad}/").status_code == 400
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY and recorded() == before


def test_a_verification_link_expires_after_seven_days(
    client: Client, requested: tuple[SubjectRequest, str, str]
) -> None:
    request, verify, _status = requested
    with time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False):
        response = client.post(verify)
    assert response.status_code == 400 and "expired" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY


def test_a_replayed_verification_link_records_nothing(
    client: Client, requested: tuple[SubjectRequest, str, str]
) -> None:
    request, verify, _status = requested
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert client.post(verify).status_code == 302
        before = recorded()
        replay = client.post(verify)
    assert replay.status_code == 400 and "already been used" in replay.content.decode()
    assert recorded() == before
    request.refresh_from_db()
    assert request.status == Status.VERIFIED


def test_a_tampered_status_link_shows_nothing_and_withdraws_nothing(
    client: Client, requested: tuple[SubjectRequest, str, str]
) -> None:
    request, _verify, status = requested
    bad = tampered(token_of(status, "/status/"))
    assert client.get(f"/privacy/request/status/{bad}/").status_code == 404
    assert client.post(f"/privacy/request/status/{bad}/withdraw/").status_code == 404
    forged = signing.dumps({"r": request.pk, "ref": "DSR-2026-999999"}, salt="x")
    assert client.get(f"/privacy/request/status/{forged}/").status_code == 404
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY


def test_the_status_link_works_for_the_requests_life_and_a_replayed_withdrawal_records_nothing(
    client: Client, requested: tuple[SubjectRequest, str, str]
) -> None:
    request, _verify, status = requested
    with time_machine.travel(NOW + dt.timedelta(days=730), tick=False):
        assert client.get(status).status_code == 200  # no expiry, by design
    assert client.post(f"{status}withdraw/").status_code == 302
    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    before = recorded()
    assert client.post(f"{status}withdraw/").status_code == 302  # "already closed"
    assert recorded() == before


def test_request_links_carry_no_email_or_name(requested: tuple[SubjectRequest, str, str]) -> None:
    _request, verify, status = requested
    for link, prefix in ((verify, "/verify/"), (status, "/status/")):
        text = readable(token_of(link, prefix))
        assert EMAIL not in text and "Mari" not in text and "Maasikas" not in text


# --- unsubscribe -----------------------------------------------------------------------------


@pytest.fixture
def subscriber(marketing: Purpose) -> DataSubject:
    person = f.DataSubjectFactory.create(work_email=EMAIL, first_name="Mari", last_name="Maasikas")
    f.ConsentEventFactory.create(subject=person, purpose=marketing, kind="granted")
    return person


def test_a_tampered_unsubscribe_link_records_nothing(
    client: Client, subscriber: DataSubject, marketing: Purpose
) -> None:
    token = unsubscribe_token(subscriber, marketing)
    before = recorded()
    other_kind = signing.dumps({"s": subscriber.pk, "p": marketing.pk}, salt="consent.subscribe")
    for bad in (tampered(token), other_kind):
        assert client.post(f"/p/unsubscribe/{bad}/").status_code == 400
    assert recorded() == before
    assert consent_state(subscriber, marketing).permitted


def test_an_unsubscribe_link_never_expires_and_a_replay_records_nothing(
    client: Client, subscriber: DataSubject, marketing: Purpose
) -> None:
    url = f"/p/unsubscribe/{unsubscribe_token(subscriber, marketing)}/"
    with time_machine.travel(dt.datetime.now(tz=TALLINN) + dt.timedelta(days=730)):
        assert client.post(url).status_code == 200
        before = recorded()
        assert client.post(url).status_code == 200
        assert recorded() == before
    assert ConsentEvent.objects.filter(kind=EventKind.WITHDRAWN).count() == 1
    assert EMAIL not in readable(unsubscribe_token(subscriber, marketing))


# --- subscription confirmation -----------------------------------------------------------------

CONFIRM = r"/p/subscribe/confirm/[^/\s]+/"


@pytest.fixture
def confirm_link(client: Client, marketing: Purpose) -> str:
    response = client.post(
        "/p/subscribe/", {"email": EMAIL, "name": NAME, "purposes": [marketing.pk]}
    )
    assert response.status_code == 302
    return link_in(mail.outbox[-1], CONFIRM)


def test_the_confirmation_link_names_a_pending_row_and_holds_no_email_or_name(
    confirm_link: str,
) -> None:
    text = readable(token_of(confirm_link, "/confirm/"))
    assert EMAIL not in text and "Mari" not in text and "Maasikas" not in text
    assert "marketing" not in text.lower()  # nor the wording or the purposes
    pending = PendingSubscription.objects.get()
    assert (pending.email, pending.name) == (EMAIL, NAME)
    with connection.cursor() as cursor:
        cursor.execute("SELECT email, name FROM consent_pendingsubscription")
        stored = " ".join(str(value) for value in cursor.fetchone())
    assert "mari" not in stored.lower()  # encrypted at rest
    assert AuditEvent.objects.filter(action="consent.subscription_requested").count() == 1


def test_a_tampered_confirmation_link_grants_nothing(client: Client, confirm_link: str) -> None:
    token = token_of(confirm_link, "/confirm/")
    pending = PendingSubscription.objects.get()
    guessed = signing.dumps({"s": pending.pk, "n": "guess"}, salt="consent.subscribe")
    before = recorded()
    for bad in (tampered(token), signing.dumps({"s": pending.pk, "n": pending.nonce}, salt="x")):
        assert client.post(f"/p/subscribe/confirm/{bad}/").status_code == 400
    assert client.post(f"/p/subscribe/confirm/{guessed}/").status_code == 410
    assert recorded() == before


def test_a_confirmation_link_expires_after_seven_days(client: Client, confirm_link: str) -> None:
    with time_machine.travel(NOW + dt.timedelta(days=7, minutes=1), tick=False):
        for response in (client.get(confirm_link), client.post(confirm_link)):
            assert response.status_code == 400 and b"expired" in response.content
    assert not ConsentEvent.objects.exists() and not DataSubject.objects.exists()


def test_a_confirmation_link_works_once_and_a_replay_after_unsubscribing_records_nothing(
    client: Client, confirm_link: str, marketing: Purpose
) -> None:
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert client.post(confirm_link).status_code == 200
    person = DataSubject.objects.get()
    assert (person.work_email, person.first_name, person.last_name) == (EMAIL, "Mari", "Maasikas")
    pending = PendingSubscription.objects.get()
    # The address and name now live in the person's record only.
    assert (pending.email, pending.email_index, pending.name, pending.nonce) == (
        None,
        None,
        None,
        "",
    )
    with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
        unsubscribe = f"/p/unsubscribe/{unsubscribe_token(person, marketing)}/"
        assert client.post(unsubscribe).status_code == 200
        before = recorded()
        replay = client.post(confirm_link)
        shown = client.get(confirm_link)
    assert replay.status_code == 410 and b"used already" in replay.content
    assert shown.status_code == 410
    assert recorded() == before
    assert not consent_state(person, marketing).permitted


def test_the_claim_is_the_conditional_update_not_the_read(
    client: Client, confirm_link: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clicks that both read the pending row before either wrote: one records."""
    token = token_of(confirm_link, "/confirm/")
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        stale = subscription.read_subscription(token)
        subscription.confirm_subscription(token=token)
        before = recorded()
        monkeypatch.setattr(subscription, "read_subscription", lambda _token: stale)
        with pytest.raises(subscription.SubscriptionLinkUsed):
            subscription.confirm_subscription(token=token)
    assert recorded() == before


def test_pending_subscriptions_go_when_their_link_has_expired(
    client: Client, confirm_link: str
) -> None:
    pending = PendingSubscription.objects.get()

    purge(NOW.date() + dt.timedelta(days=7))  # the link works until 10:00 that day
    assert PendingSubscription.objects.filter(pk=pending.pk).exists()
    purge(NOW.date() + dt.timedelta(days=8))
    assert not PendingSubscription.objects.filter(pk=pending.pk).exists()


# --- answer downloads --------------------------------------------------------------------------


@pytest.fixture
def download(
    seeded: None, dpo: Any, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> tuple[SubjectRequest, str]:
    return _completed_with_link(dpo, django_capture_on_commit_callbacks)


def document_links(client: Client, link: str) -> list[str]:
    page = client.get(link)
    assert page.status_code == 200
    return re.findall(rf'href="({re.escape(link)}\d+/)"', page.content.decode())


def test_a_tampered_download_link_opens_nothing(
    client: Client, download: tuple[SubjectRequest, str]
) -> None:
    request, link = download
    token = token_of(link, "/answers/")
    [first, *_rest] = document_links(client, link)
    answer_id = first.rstrip("/").rsplit("/", 1)[1]
    forged = signing.dumps({"r": request.pk, "n": request.delivery_nonce}, salt="x")
    before = AuditEvent.objects.filter(action="request.answer_downloaded").count()
    for bad in (tampered(token), forged):
        assert client.get(f"/privacy/answers/{bad}/").status_code == 404
        assert client.get(f"/privacy/answers/{bad}/{answer_id}/").status_code == 404
    assert AuditEvent.objects.filter(action="request.answer_downloaded").count() == before
    assert EMAIL not in readable(token) and "mari" not in readable(token).lower()


def test_a_download_link_is_repeatable_within_its_days_then_expires(
    client: Client, download: tuple[SubjectRequest, str]
) -> None:
    request, link = download
    with time_machine.travel(NOW + dt.timedelta(days=13), tick=False):
        [first, *_rest] = document_links(client, link)
        # By design: the requester may download again (another device, a lost file).
        assert [client.get(first).status_code for _ in range(2)] == [200, 200]
    downloads = AuditEvent.objects.filter(action="request.answer_downloaded", target_id=request.pk)
    assert downloads.count() == 2
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        assert client.get(link).status_code == 410
        assert client.get(first).status_code == 302  # to the page that offers a new link
    assert downloads.count() == 2


def test_a_new_download_link_replaces_the_old_one(
    client: Client,
    download: tuple[SubjectRequest, str],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    _request, link = download
    with time_machine.travel(NOW + dt.timedelta(days=15), tick=False):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"{link}new-link/").status_code == 200
        new = link_in(mail.outbox[0], r"/privacy/answers/[^/\s]+/")
        assert client.get(new).status_code == 200
        assert client.get(link).status_code == 404


# --- one kind never opens another --------------------------------------------------------------

PAGES: dict[str, Callable[[str], str]] = {
    "verify": lambda t: f"/privacy/request/verify/{t}/",
    "status": lambda t: f"/privacy/request/status/{t}/",
    "unsubscribe": lambda t: f"/p/unsubscribe/{t}/",
    "confirm": lambda t: f"/p/subscribe/confirm/{t}/",
    "answers": lambda t: f"/privacy/answers/{t}/",
}


def test_a_link_of_one_kind_opens_no_page_of_another(
    client: Client,
    requested: tuple[SubjectRequest, str, str],
    confirm_link: str,
    marketing: Purpose,
) -> None:
    request, verify, status = requested
    person = DataSubject.objects.get(work_email_index__isnull=False)
    tokens = {
        "verify": token_of(verify, "/verify/"),
        "status": token_of(status, "/status/"),
        "unsubscribe": unsubscribe_token(person, marketing),
        "confirm": token_of(confirm_link, "/confirm/"),
    }
    before = recorded()
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        for kind, token in tokens.items():
            for page, url in PAGES.items():
                if page != kind:
                    # The verification page's GET is a bare button for any token (mail
                    # scanners fetch links); its POST is what reads the token.
                    responses = [client.post(url(token))]
                    if page != "verify":
                        responses.append(client.get(url(token)))
                    for response in responses:
                        assert response.status_code in {400, 404, 410}, (kind, page)
            # …while each still works on its own page.
            assert client.get(PAGES[kind](token)).status_code == 200, kind
    assert recorded() == before
    request.refresh_from_db()
    assert request.status == Status.AWAITING_IDENTITY
