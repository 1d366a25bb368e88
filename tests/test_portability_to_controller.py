"""GDPR Art. 20(2): a portability package sent straight to another company.

The requester names the company and its address on the public form (or staff enter them from
a letter); a DPO confirms the transmission on its own page, or declines it with reasons
(Art. 20(4), 12(4)); completing a confirmed request e-mails the company a signed, expiring,
logged link to the package alone, and the requester's letter says where it went, when, and
until when the link works. Every test runs on the suite's frozen clock (Friday 20 November
2026, 10:00 in Tallinn, unless PRIVACYOPS_TEST_CLOCK moves it); the days the letters state
are read from it: `SENT` today, `EXPIRES` the links' end.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail, signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import dateformat, timezone, translation
from playwright.sync_api import Page, expect
from pytest_django import DjangoCaptureOnCommitCallbacks

from core.crypto import blind_index
from core.models import AuditEvent
from subject_requests import delivery, services
from subject_requests.choices import AnswerKind, Outcome, Status, Transmission
from subject_requests.models import Answer, SubjectRequest, TimelineEntry
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.reports_helpers import pdf_text

pytestmark = pytest.mark.django_db

FORM = "/privacy/request/"


def _days() -> tuple[dt.date, dt.date]:
    from core.timeutil import legal_today

    today = legal_today()
    return today, today + dt.timedelta(days=delivery.link_days())


def long_day(day: dt.date) -> str:
    with translation.override("en"):  # Django's month names: not the machine's locale
        return dateformat.format(day, "j F Y")  # 20 November 2026


EMAIL = "mari@company.example"
RECEIVER = "Uus Teenus OÜ"
RECEIVER_EMAIL = "privacy@uusteenus.example"
TRANSFER = r"/privacy/transfer/[^/\s?]+/"
ANSWERS = r"/privacy/answers/[^/\s?]+/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def form_data(**overrides: str | None) -> dict[str, str]:
    data: dict[str, str | None] = {
        "type": "portability",
        "name": "Mari Maasikas",
        "email": EMAIL,
        "description": "Please move my data to my new provider.",
        "website": "",
        "transmit": "on",
        "receiver_name": RECEIVER,
        "receiver_email": RECEIVER_EMAIL,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}  # None: left out


def asking_request(dpo: User, *, receiver: bool = True) -> SubjectRequest:
    """A verified portability request from a stored person, naming a receiving company."""
    person = f.DataSubjectFactory.create(work_email=EMAIL, first_name="Mari")
    request = services.submit_request(
        type="portability",
        name="Mari Maasikas",
        email=EMAIL,
        description="",
        receiver=services.Receiver(name=RECEIVER, email=RECEIVER_EMAIL) if receiver else None,
    )
    return services.verify_manually(
        request=request, asked="a", shown="b", subject_email=person.work_email, actor=dpo
    )


def with_reviewed_package(dpo: User, request: SubjectRequest, capture: Any) -> Answer:
    with capture(execute=True):
        answer = services.request_answer(request=request, actor=dpo)
    answer.refresh_from_db()
    assert answer.kind == AnswerKind.PORTABILITY and answer.content is not None
    return services.review_answer(answer=answer, actor=dpo)


def complete(dpo: User, request: SubjectRequest, capture: Any) -> None:
    mail.outbox.clear()
    with capture(execute=True):
        services.complete_request(request=request, outcome="Your data, as JSON and CSV", actor=dpo)


def message_to(address: str) -> mail.EmailMessage:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    return message


def link_in(message: mail.EmailMessage, pattern: str) -> str:
    match = re.search(pattern, str(message.body))
    assert match, message.body
    return match.group(0)


def events(action: str, request: SubjectRequest) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, target_id=str(request.pk)))


# --- the public form ---------------------------------------------------------------------------


def test_the_form_offers_the_choice_for_portability(client: Client) -> None:
    page = client.get(FORM).content.decode()
    assert 'data-show-when="type=portability"' in page
    assert "Send my data directly to another company instead of to me" in page
    assert 'name="receiver_name"' in page and 'name="receiver_email"' in page


@pytest.mark.parametrize(
    ("overrides", "field", "error"),
    [
        ({"receiver_name": ""}, "receiver_name", "Tell us the company&#x27;s name."),
        (
            {"receiver_email": ""},
            "receiver_email",
            "Tell us the company&#x27;s e-mail address for receiving data.",
        ),
        (
            {"receiver_email": "not an address"},
            "receiver_email",
            "Enter the company&#x27;s e-mail address, such as privacy@company.com.",
        ),
        (
            {"receiver_email": "privacy@localhost"},
            "receiver_email",
            "Enter the company&#x27;s e-mail address, such as privacy@company.com.",
        ),
        (
            {"receiver_email": "privacy@[10.0.0.1]"},
            "receiver_email",
            "Enter the company&#x27;s e-mail address, such as privacy@company.com.",
        ),
        ({"receiver_email": EMAIL.upper()}, "receiver_email", "This is your own address"),
        ({"type": "access"}, "transmit", "Only data for a data-portability request"),
        ({"transmit": None}, "transmit", "Tick the box to have the data sent to this company"),
    ],
)
def test_the_form_refuses_a_receiver_it_cannot_send_to_and_keeps_what_was_typed(
    client: Client, overrides: dict[str, str], field: str, error: str
) -> None:
    response = client.post(FORM, form_data(**overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert error in page
    assert re.search(rf'<input [^>]*name="{field}"[^>]*aria-invalid="true"', page), field
    # Nothing typed is lost: the form comes back filled in.
    assert 'value="Mari Maasikas"' in page and "Please move my data" in page
    if overrides.get("receiver_name") != "":
        assert f'value="{RECEIVER}"' in page
    assert not SubjectRequest.objects.exists()
    assert not mail.outbox


def test_a_valid_receiver_is_stored_asked_and_confirmed_back_to_the_requester(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, form_data(receiver_name=f"  {RECEIVER} "))
    assert response.status_code == 302
    request = SubjectRequest.objects.get()
    assert (request.receiver_name, request.receiver_email) == (RECEIVER, RECEIVER_EMAIL)
    assert request.transmission == Transmission.ASKED
    acknowledgement = next(m for m in mail.outbox if "We received your request" in str(m.body))
    assert f"send your data directly to {RECEIVER} at {RECEIVER_EMAIL}" in str(acknowledgement.body)
    assert TimelineEntry.objects.filter(request=request, kind="transmission").exists()
    (asked,) = events("request.transmission_asked", request)
    assert asked.details["receiver_index"] == blind_index(RECEIVER_EMAIL)
    # The audit log names neither the company nor its address.
    everything = " ".join(str(e.details) for e in AuditEvent.objects.all())
    assert RECEIVER_EMAIL not in everything and RECEIVER not in everything


def test_without_the_box_no_receiver_is_stored(client: Client) -> None:
    data = form_data(transmit=None, receiver_name="", receiver_email="")
    assert client.post(FORM, data).status_code == 302
    request = SubjectRequest.objects.get()
    assert request.transmission == "" and request.receiver_email is None


def test_the_service_refuses_a_receiver_for_another_right(seeded: None) -> None:
    with pytest.raises(services.RequestError, match="data-portability"):
        services.submit_request(
            type="access",
            name="Mari",
            email=EMAIL,
            description="",
            receiver=services.Receiver(name=RECEIVER, email=RECEIVER_EMAIL),
        )
    with pytest.raises(services.RequestError, match=re.escape("such as privacy@company.com")):
        services.submit_request(
            type="portability",
            name="Mari",
            email=EMAIL,
            description="",
            receiver=services.Receiver(name=RECEIVER, email="privacy@localhost"),
        )
    assert not SubjectRequest.objects.exists()


def test_staff_enter_a_receiver_from_a_letter(client_for: ClientFor, staff: User) -> None:
    client = client_for(staff)
    page = client.get("/requests/new/").content.decode()
    assert 'name="receiver_email"' in page and 'data-show-when="type=portability"' in page
    entry = {
        "type": "portability",
        "channel": "letter",
        "received_at": f"{timezone.localtime() - dt.timedelta(days=1):%Y-%m-%dT%H:%M}",
        "name": "Mari Maasikas",
        "email": EMAIL,
        "description": "",
        "language": "et",
        "transmit": "on",
        "receiver_name": RECEIVER,
        "receiver_email": "privacy@",
    }
    refused = client.post("/requests/new/", entry)
    assert refused.status_code == 400 and "such as privacy@company.com" in refused.content.decode()
    assert not SubjectRequest.objects.exists()
    assert client.post("/requests/new/", {**entry, "receiver_email": RECEIVER_EMAIL}).status_code
    request = SubjectRequest.objects.get()
    assert request.receiver_email == RECEIVER_EMAIL and request.transmission == Transmission.ASKED


# --- the DPO confirms: the package goes to the company ------------------------------------------


def test_the_dpo_confirms_and_the_company_downloads_exactly_the_package(
    seeded: None,
    dpo: User,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    capture = django_capture_on_commit_callbacks
    request = asking_request(dpo)
    package = with_reviewed_package(dpo, request, capture)
    # Undecided, the request does not complete.
    with pytest.raises(services.RequestError, match="confirm that, or decline it"):
        services.complete_request(request=request, outcome="Done", actor=dpo)

    client = client_for(dpo)
    detail = client.get(f"/requests/{request.pk}/").content.decode()
    assert RECEIVER in detail and RECEIVER_EMAIL in detail
    assert f'href="/requests/{request.pk}/transmission/"' in detail
    page = client.get(f"/requests/{request.pk}/transmission/").content.decode()
    assert f'data-testid="receiver-name">{RECEIVER}<' in page
    assert f'data-testid="receiver-email">{RECEIVER_EMAIL}<' in page
    # The confirmation is a step of its own: the DPO ticks that they checked the company.
    unchecked = client.post(f"/requests/{request.pk}/transmission/confirm/", {})
    assert unchecked.status_code == 400
    assert "Tick the box to confirm you checked the company." in unchecked.content.decode()
    confirmed = client.post(f"/requests/{request.pk}/transmission/confirm/", {"checked": "on"})
    assert confirmed.status_code == 302
    request.refresh_from_db()
    assert request.transmission == Transmission.CONFIRMED
    (event,) = events("request.transmission_confirmed", request)
    assert event.actor_id == dpo.pk and event.details["receiver_index"] == blind_index(
        RECEIVER_EMAIL
    )

    completing = client.get(f"/requests/{request.pk}/complete/").content.decode()
    assert f"The package goes to {RECEIVER} at {RECEIVER_EMAIL}, as confirmed" in completing

    complete(dpo, request, capture)
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert request.transmitted_at is not None and request.delivery_nonce == ""
    sent_on, expires = _days()
    status = Client().get(f"/privacy/request/status/{services.status_token(request)}/")
    assert re.search(
        rf'data-testid="receiver">{RECEIVER}, {RECEIVER_EMAIL} · sent on {long_day(sent_on)}<',
        status.content.decode(),
    )

    # The company's e-mail: in English, the controller's contact and the reference, a link.
    to_company = message_to(RECEIVER_EMAIL)
    subject = str(to_company.subject)
    assert request.reference and request.reference in subject
    for personal in ("Mari", "Maasikas", EMAIL, RECEIVER, RECEIVER_EMAIL):
        assert personal not in subject
    body = str(to_company.body)
    assert body.startswith(f"To {RECEIVER},") and "GDPR Art. 20(2)" in body
    assert f"expires on {long_day(expires)}" in body and "privacy" in body
    assert "Mari" not in body and EMAIL not in body
    link = link_in(to_company, TRANSFER)

    # The requester is told where it went, when, and until when; no link of their own.
    letter = message_to(EMAIL)
    text = str(letter.body)
    assert (
        f"we sent your data to {RECEIVER} at {RECEIVER_EMAIL} on {long_day(sent_on)}" in text
        and f"expires on {long_day(expires)}" in text
    )
    assert not re.search(ANSWERS, text) and not re.search(TRANSFER, text)

    # The company's page lists the package alone (not the requester's letter).
    company = Client()
    listing = company.get(link)
    assert listing.status_code == 200
    hrefs = re.findall(rf'href="({re.escape(link)}\d+/)"', listing.content.decode())
    assert hrefs == [f"{link}{package.pk}/"]
    letter_pdf = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    assert company.get(f"{link}{letter_pdf.pk}/").status_code == 404
    download = company.get(hrefs[0])
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert download.content == bytes(package.content or b"")
    assert "data.json" in zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    (downloaded,) = events("request.package_downloaded_by_receiver", request)
    assert downloaded.actor_label == "receiving company"
    assert downloaded.details["answer"] == package.pk
    assert downloaded.details["receiver_index"] == blind_index(RECEIVER_EMAIL)
    assert not events("request.answer_downloaded", request)
    sent = TimelineEntry.objects.get(request=request, letter="transmission")
    assert sent.delivery_status == "sent" and sent.emailed_at is not None


def test_the_letter_names_the_company_the_address_the_day_and_the_links_end(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    request = asking_request(dpo)
    with_reviewed_package(dpo, request, capture)
    services.confirm_transmission(request=request, actor=dpo)
    complete(dpo, request, capture)
    letter = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    assert letter.outcome == Outcome.COMPLETED
    text = pdf_text(bytes(letter.content or b""))
    sent_on, expires = _days()
    assert (
        f"we sent your data to {RECEIVER} at {RECEIVER_EMAIL} on {long_day(sent_on)} "
        "(GDPR Art. 20(2))" in text
    )
    assert f"which expires on {long_day(expires)}" in text
    assert "We have not sent the package to you" in text
    assert "Download them with the personal link" not in text
    # The letter e-mailed is this one.
    assert message_to(EMAIL).attachments[0][0] == letter.file_name


def test_the_letter_is_in_the_requesters_language(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    capture = django_capture_on_commit_callbacks
    request = asking_request(dpo)
    SubjectRequest.objects.filter(pk=request.pk).update(language="et")
    request.refresh_from_db()
    with_reviewed_package(dpo, request, capture)
    services.confirm_transmission(request=request, actor=dpo)
    complete(dpo, request, capture)
    text = str(message_to(EMAIL).body)
    sent_on, expires = _days()
    assert RECEIVER in text and f"{sent_on:%d.%m.%Y}" in text and f"{expires:%d.%m.%Y}" in text
    assert "we sent your data" not in text
    # The company's e-mail stays in English.
    assert str(message_to(RECEIVER_EMAIL).body).startswith(f"To {RECEIVER},")


# --- the DPO declines: the package goes to the requester ---------------------------------------


def test_a_declined_transmission_sends_the_package_to_the_requester_and_the_letter_says_why(
    seeded: None,
    dpo: User,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    capture = django_capture_on_commit_callbacks
    request = asking_request(dpo)
    with_reviewed_package(dpo, request, capture)
    client = client_for(dpo)
    empty = client.post(f"/requests/{request.pk}/transmission/decline/", {"reason": ""})
    assert empty.status_code == 400
    assert "Give your reasons: the requester reads them." in empty.content.decode()
    reason = "Their address bounced and they could not confirm another: not feasible."
    assert (
        client.post(f"/requests/{request.pk}/transmission/decline/", {"reason": reason})
    ).status_code == 302
    request.refresh_from_db()
    assert request.transmission == Transmission.DECLINED
    assert request.transmission_reason == reason
    assert events("request.transmission_declined", request)

    complete(dpo, request, capture)
    assert [m.to for m in mail.outbox] == [[EMAIL]]  # nothing to the company
    text = str(mail.outbox[0].body)
    assert f"You asked us to send your data directly to {RECEIVER} ({RECEIVER_EMAIL})" in text
    assert reason in text and "give the package to that company yourself" in text
    link = link_in(mail.outbox[0], ANSWERS)
    assert Client().get(link).status_code == 200
    letter = Answer.objects.get(request=request, kind=AnswerKind.LETTER)
    assert letter.outcome == Outcome.PARTLY_REFUSED
    pdf = pdf_text(bytes(letter.content or b""))
    assert "We have not done so" in pdf and "not feasible" in pdf
    request.refresh_from_db()
    assert request.transmitted_at is None and request.receiver_nonce == ""


def test_a_requester_matched_to_nobody_is_told_nothing_was_sent(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    request = services.verify_manually(
        request=services.submit_request(
            type="portability",
            name="Mari",
            email="stranger@elsewhere.example",
            description="",
            receiver=services.Receiver(name=RECEIVER, email=RECEIVER_EMAIL),
        ),
        asked="a",
        shown="b",
        actor=dpo,
    )
    services.confirm_transmission(request=request, actor=dpo)
    services.start_work(request=request, actor=dpo)
    complete(dpo, request, django_capture_on_commit_callbacks)
    assert [m.to for m in mail.outbox] == [["stranger@elsewhere.example"]]
    assert f"we sent nothing to {RECEIVER}" in str(mail.outbox[0].body)
    request.refresh_from_db()
    assert request.transmitted_at is None and request.receiver_nonce == ""


def test_three_years_after_closing_the_company_and_the_reasons_are_cleared(seeded: None) -> None:
    from subject_requests.retention import ClosedRequests

    request = f.SubjectRequestFactory.create(
        type="portability",
        status=Status.COMPLETED,
        closed_at=dt.datetime(2023, 1, 2, tzinfo=dt.UTC),
        receiver_name=RECEIVER,
        receiver_email=RECEIVER_EMAIL,
        transmission=Transmission.DECLINED,
        transmission_reason="Not feasible",
        receiver_nonce="nonce",
    )
    ClosedRequests().apply([request.pk], action="anonymise", now=timezone.now())
    request.refresh_from_db()
    assert (request.receiver_name, request.receiver_email) == (None, None)
    assert request.transmission_reason == "" and request.receiver_nonce == ""
    assert request.transmission == Transmission.DECLINED  # the outcome stays, as the status


# --- the company's link ------------------------------------------------------------------------


@pytest.fixture
def sent(
    seeded: None, dpo: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> tuple[SubjectRequest, str]:
    request = asking_request(dpo)
    with_reviewed_package(dpo, request, django_capture_on_commit_callbacks)
    services.confirm_transmission(request=request, actor=dpo)
    complete(dpo, request, django_capture_on_commit_callbacks)
    return request, link_in(message_to(RECEIVER_EMAIL), TRANSFER)


def _tampered(token: str) -> str:
    swap = "A" if token[2] != "A" else "B"
    return token[:2] + swap + token[3:]


def test_a_tampered_or_foreign_link_opens_nothing(sent: tuple[SubjectRequest, str]) -> None:
    request, link = sent
    token = link.split("/transfer/", 1)[1].rstrip("/")
    package = Answer.objects.get(request=request, kind=AnswerKind.PORTABILITY)
    client = Client()
    before = AuditEvent.objects.count()
    forged = signing.dumps({"r": request.pk, "n": "guess"}, salt=delivery.RECEIVER.salt)
    requester = signing.dumps(
        {"r": request.pk, "n": request.receiver_nonce}, salt=delivery.REQUESTER.salt
    )
    for bad in (_tampered(token), forged, requester):
        assert client.get(f"/privacy/transfer/{bad}/").status_code == 404
        response = client.get(f"/privacy/transfer/{bad}/{package.pk}/")
        assert response.status_code == 404 and response.content[:2] != b"PK"
    # The company's token opens none of the requester's pages either.
    assert client.get(f"/privacy/answers/{token}/").status_code == 404
    assert AuditEvent.objects.count() == before


def test_an_expired_link_opens_nothing_and_a_new_one_goes_to_the_confirmed_address(
    sent: tuple[SubjectRequest, str],
    clock: Any,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    request, link = sent
    package = Answer.objects.get(request=request, kind=AnswerKind.PORTABILITY)
    client = Client()
    clock.shift(dt.timedelta(days=13, hours=23))
    assert client.get(link).status_code == 200
    clock.shift(dt.timedelta(hours=2))
    expired = client.get(link)
    assert expired.status_code == 410 and "This link has expired" in expired.content.decode()
    download = client.get(f"{link}{package.pk}/")
    assert download.status_code == 302 and download.content[:2] != b"PK"
    assert not events("request.package_downloaded_by_receiver", request)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        renewed = client.post(f"{link}new-link/")
    assert renewed.status_code == 200
    (message,) = mail.outbox
    assert message.to == [RECEIVER_EMAIL]
    new_link = link_in(message, TRANSFER)
    assert new_link != link and client.get(new_link).status_code == 200
    assert client.get(link).status_code == 404  # replaced: no longer valid
    assert events("request.transmission_link_renewed", request)


def test_the_dpo_sends_the_company_a_new_link_when_its_e_mail_bounced(
    sent: tuple[SubjectRequest, str],
    dpo: User,
    staff: User,
    client_for: ClientFor,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    request, link = sent
    resend = f"/requests/{request.pk}/transmission/resend/"
    assert client_for(staff).post(resend).status_code == 403
    client = client_for(dpo)
    assert (
        'data-testid="resend-transmission"'
        in client.get(f"/requests/{request.pk}/transmission/").content.decode()
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(resend).status_code == 302
    (message,) = mail.outbox
    assert message.to == [RECEIVER_EMAIL]
    assert link_in(message, TRANSFER) != link and Client().get(link).status_code == 404
    (renewed,) = events("request.transmission_link_renewed", request)
    assert renewed.actor_id == dpo.pk


# --- who may decide ----------------------------------------------------------------------------


def test_staff_cannot_confirm_or_decline(
    seeded: None, dpo: User, staff: User, client_for: ClientFor
) -> None:
    request = asking_request(dpo)
    client = client_for(staff)
    detail = client.get(f"/requests/{request.pk}/").content.decode()
    assert RECEIVER_EMAIL in detail and "/transmission/" not in detail
    assert client.get(f"/requests/{request.pk}/transmission/").status_code == 403
    confirm = client.post(f"/requests/{request.pk}/transmission/confirm/", {"checked": "on"})
    decline = client.post(f"/requests/{request.pk}/transmission/decline/", {"reason": "No"})
    assert confirm.status_code == 403 and decline.status_code == 403
    with pytest.raises(PermissionDenied):
        services.confirm_transmission(request=request, actor=staff)
    request.refresh_from_db()
    assert request.transmission == Transmission.ASKED
    assert not events("request.transmission_confirmed", request)


def test_nobody_confirms_before_the_identity_is_checked_nor_after_the_answer(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    request = services.submit_request(
        type="portability",
        name="Mari",
        email=EMAIL,
        description="",
        receiver=services.Receiver(name=RECEIVER, email=RECEIVER_EMAIL),
    )
    with pytest.raises(services.RequestError, match="Check the requester's identity first"):
        services.confirm_transmission(request=request, actor=dpo)
    page = client_for(dpo).get(f"/requests/{request.pk}/transmission/").content.decode()
    assert 'data-testid="transmission-refusal"' in page and "confirm-transmission" not in page
    SubjectRequest.objects.filter(pk=request.pk).update(status=Status.COMPLETED)
    with pytest.raises(services.RequestError, match="can no longer change"):
        services.decline_transmission(request=request, reason="x", actor=dpo)
    plain = asking_request(dpo, receiver=False)
    assert client_for(dpo).get(f"/requests/{plain.pk}/transmission/").status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_company_is_asked_for_only_with_portability(page: Page) -> None:
    page.goto(FORM)
    receiver = page.get_by_test_id("receiver")
    expect(receiver).to_be_hidden()
    page.get_by_label(re.compile("Data portability")).check()
    expect(receiver).to_be_visible()
    page.get_by_label(re.compile("Send my data directly to another company")).check()
    page.get_by_label("The company's name").fill(RECEIVER)
    page.get_by_label("The company's e-mail address for receiving data").fill(RECEIVER_EMAIL)
    # Another right after all: the company's fields go away, and are not sent.
    page.get_by_label(re.compile("Access to my data")).check()
    expect(receiver).to_be_hidden()
    page.get_by_label("Your name", exact=True).fill("Mari Maasikas")
    page.get_by_label("Your e-mail address").fill(EMAIL)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    access = SubjectRequest.objects.get()
    assert access.type == "access" and access.transmission == "" and not access.receiver_email

    page.goto(FORM)
    page.get_by_label(re.compile("Data portability")).check()
    page.get_by_label(re.compile("Send my data directly to another company")).check()
    page.get_by_label("The company's name").fill(RECEIVER)
    page.get_by_label("The company's e-mail address for receiving data").fill("privacy@")
    page.get_by_label("Your name", exact=True).fill("Mari Maasikas")
    page.get_by_label("Your e-mail address").fill(EMAIL)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("such as privacy@company.com")).to_be_visible()
    expect(receiver).to_be_visible()  # the error shows where the company's fields are
    page.get_by_label("The company's e-mail address for receiving data").fill(RECEIVER_EMAIL)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    portability = SubjectRequest.objects.exclude(pk=access.pk).get()
    assert (portability.receiver_name, portability.receiver_email) == (RECEIVER, RECEIVER_EMAIL)
