"""The request pages: public form, verification and status pages; the queue, a request's
page and its decisions; the register; who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks, Settings

from core.models import AuditEvent
from subject_requests import services
from subject_requests.models import Status, SubjectRequest
from tests.factories import DataSubjectFactory, SubjectRequestFactory, reference_of
from tests.fixture_types import ClientFor
from tests.responses import streamed

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
FORM = "/privacy/request/"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "type": "access",
        "name": "Mari Maasikas",
        "email": "mari@company.example",
        "description": "What do you hold?",
        "website": "",
    }
    data.update(overrides)
    return data


def verify_link(message: mail.EmailMessage) -> str:
    match = re.search(r"/privacy/request/verify/[^/\s]+/", str(message.body))
    assert match
    return match.group(0)


def status_link(message: mail.EmailMessage) -> str:
    match = re.search(r"/privacy/request/status/[^/\s]+/", str(message.body))
    assert match
    return match.group(0)


# --- public -----------------------------------------------------------------------------------


def test_the_public_form_explains_each_right_in_plain_words(client: Client) -> None:
    response = client.get(FORM)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Objection to direct marketing" in page
    assert "This always takes effect (Art. 21(2))." in page
    assert page.count('type="radio" name="type"') == 9


def test_a_data_subject_is_never_led_to_the_staff_login_and_finds_their_own_pages(
    client: Client, staff: User
) -> None:
    """On every public page the logo leads to the person's own pages (their data and
    preferences), not to the staff login; the request form offers those pages too. Staff
    pages keep the logo leading home."""
    form = client.get("/privacy/request/").content.decode()
    brand = re.search(r'<a class="brand" href="([^"]+)"', form)
    assert brand is not None and brand.group(1) == "/p/me/"
    assert 'href="/p/me/"' in form.split('class="brand"', 1)[1]  # in the page, not only the logo
    start = client.get("/p/me/").content.decode()
    assert re.search(r'<a class="brand" href="/p/me/"', start)
    assert 'href="/privacy/request/"' in start
    client.force_login(staff)
    home = client.get("/").content.decode()
    assert re.search(r'<a class="brand" href="/"', home)


def test_the_public_form_is_translated_when_the_language_is_chosen(client: Client) -> None:
    response = client.get(FORM, HTTP_ACCEPT_LANGUAGE="et")
    assert response.status_code == 200
    assert 'lang="et"' in response.content.decode()


def test_filing_a_request_sends_the_acknowledgement_and_the_link(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(FORM, form_data())
    assert response.status_code == 302
    assert response["Location"] == "/privacy/request/sent/"
    request = SubjectRequest.objects.get()
    assert request.channel == "web"
    assert len(mail.outbox) == 2


def test_the_form_shows_clear_errors_and_stores_nothing(client: Client) -> None:
    response = client.post(FORM, form_data(type="", email="not-an-email", name=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the right your request is about." in page
    assert "Enter a valid e-mail address" in page
    assert "Tell us your name." in page
    assert not SubjectRequest.objects.exists()


def test_a_filled_honeypot_looks_like_success_but_stores_nothing(client: Client) -> None:
    response = client.post(FORM, form_data(website="http://spam.example"))
    assert response.status_code == 302
    assert not SubjectRequest.objects.exists()
    assert not mail.outbox


def test_the_form_is_rate_limited_per_email(client: Client) -> None:
    for _ in range(3):
        assert client.post(FORM, form_data()).status_code == 302
    response = client.post(FORM, form_data())
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert SubjectRequest.objects.count() == 3


def test_the_form_is_rate_limited_per_ip(client: Client, settings: Settings) -> None:
    settings.REQUESTS_PUBLIC_RATE_LIMITS = {"ip": (2, 3600)}
    assert client.post(FORM, form_data(email="a@example.org")).status_code == 302
    assert client.post(FORM, form_data(email="b@example.org")).status_code == 302
    assert client.post(FORM, form_data(email="c@example.org")).status_code == 429
    assert SubjectRequest.objects.count() == 2


def test_the_verification_link_asks_for_a_click_then_verifies_and_shows_the_status(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    DataSubjectFactory.create(work_email="mari@company.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(FORM, form_data())
    link = verify_link(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    assert client.get(link).status_code == 200
    assert SubjectRequest.objects.get().status == Status.AWAITING_IDENTITY  # GET changes nothing
    response = client.post(link, follow=True)
    assert response.status_code == 200
    assert "Verified" in response.content.decode()
    again = client.post(link)
    assert again.status_code == 400
    assert "already been used" in again.content.decode()


def test_an_expired_link_says_so(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with (
        time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=TALLINN), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(FORM, form_data())
    link = verify_link(next(m for m in mail.outbox if m.subject.startswith("Confirm")))
    with time_machine.travel(dt.datetime(2026, 3, 10, 9, 0, tzinfo=TALLINN), tick=False):
        response = client.post(link)
    assert response.status_code == 400
    assert "expired" in response.content.decode()


def test_the_requester_sees_the_due_date_and_can_withdraw_after_confirming(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with (
        time_machine.travel(dt.datetime(2026, 1, 31, 9, 0, tzinfo=TALLINN), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(FORM, form_data())
    link = status_link(next(m for m in mail.outbox if m.subject.startswith("We received")))
    with time_machine.travel(dt.datetime(2026, 2, 1, 9, 0, tzinfo=TALLINN), tick=False):
        page = client.get(link).content.decode()
        # The month ends on Saturday 28 February: the requester reads the legal day.
        assert "2 March 2026" in page
        confirm = client.get(link + "withdraw/")
        assert "Yes, withdraw my request" in confirm.content.decode()
        assert SubjectRequest.objects.get().is_open
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(link + "withdraw/")
    request = SubjectRequest.objects.get()
    assert request.status == Status.WITHDRAWN
    assert "withdrawn" in mail.outbox[0].body


def test_a_forged_status_link_is_a_404_not_a_500(client: Client) -> None:
    assert client.get("/privacy/request/status/forged/").status_code == 404
    assert client.post("/privacy/request/status/forged/withdraw/").status_code == 404


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "queue", "enter", "register"),
    [
        ("dpo", 200, 200, 200),
        ("staff", 200, 200, 403),
        ("auditor", 403, 403, 200),
        ("admin_user", 403, 403, 403),
        ("outsider", 403, 403, 403),
    ],
)
def test_the_matrix_decides_who_sees_the_queue_the_entry_form_and_the_register(
    request: pytest.FixtureRequest,
    client_for: ClientFor,
    persona: str,
    queue: int,
    enter: int,
    register: int,
) -> None:
    client = client_for(request.getfixturevalue(persona))
    assert client.get("/requests/").status_code == queue
    assert client.get("/requests/new/").status_code == enter
    assert client.get("/requests/register/").status_code == register


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    response = client.get("/requests/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_may_enter_a_request_but_not_extend_reject_or_complete_it(
    client_for: ClientFor, staff: User
) -> None:
    client = client_for(staff)
    response = client.post(
        "/requests/new/",
        {
            "type": "erasure",
            "channel": "phone",
            "received_at": f"{timezone.localtime() - dt.timedelta(days=3):%Y-%m-%dT%H:%M}",
            "name": "Jaan Tamm",
            "email": "",
            "description": "Called to ask for erasure",
            "language": "et",
        },
    )
    request = SubjectRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/requests/{request.pk}/"
    for action in ("extend", "reject", "complete", "verify", "assign"):
        assert client.post(f"/requests/{request.pk}/{action}/", {"reason": "x"}).status_code == 403
    request.refresh_from_db()
    assert request.status == Status.RECEIVED and request.extended_at is None


def test_the_entry_form_refuses_a_future_receipt_with_a_clear_message(
    client_for: ClientFor, staff: User
) -> None:
    response = client_for(staff).post(
        "/requests/new/",
        {
            "type": "access",
            "channel": "email",
            "received_at": "2999-01-01T10:00",
            "name": "X",
            "language": "en",
        },
    )
    assert response.status_code == 400
    assert "cannot be received in the future" in response.content.decode()


# --- queue ------------------------------------------------------------------------------------


def test_the_queue_lists_open_requests_by_due_date_with_coloured_days(
    client_for: ClientFor, dpo: User
) -> None:
    now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=TALLINN)
    with time_machine.travel(now, tick=False):
        late = SubjectRequestFactory.create(received_at=now - dt.timedelta(days=40))
        soon = SubjectRequestFactory.create(received_at=now - dt.timedelta(days=28))
        fresh = SubjectRequestFactory.create(received_at=now)
        SubjectRequestFactory.create(received_at=now, status=Status.COMPLETED)
        page = client_for(dpo).get("/requests/").content.decode()
    order = [page.index(reference_of(r)) for r in (late, soon, fresh)]
    assert order == sorted(order)
    assert "days-overdue" in page and "days-bad" in page and "days-ok" in page
    assert "3 requests" in page


def test_the_queue_shows_an_empty_state(client_for: ClientFor, dpo: User) -> None:
    assert "No open requests." in client_for(dpo).get("/requests/").content.decode()


def test_the_queue_filters_by_status_type_channel_assignee_and_deadline(
    client_for: ClientFor, dpo: User, staff: User
) -> None:
    now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=TALLINN)
    with time_machine.travel(now, tick=False):
        overdue = SubjectRequestFactory.create(
            received_at=now - dt.timedelta(days=40), type="erasure"
        )
        soon = SubjectRequestFactory.create(
            received_at=now - dt.timedelta(days=27), channel="email", assignee=staff
        )
        awaiting = SubjectRequestFactory.create(status=Status.AWAITING_IDENTITY)
        client = client_for(dpo)

        def refs(query: str) -> set[str]:
            page = client.get(f"/requests/?{query}").content.decode()
            return set(re.findall(r"DSR-\d{4}-\d{6}", page))

        assert refs("overdue=on") == {overdue.reference}
        assert refs("due_soon=on") == {soon.reference}
        assert refs("type=erasure") == {overdue.reference}
        assert refs("channel=email") == {soon.reference}
        assert refs(f"assignee={staff.pk}") == {soon.reference}
        assert refs("assignee=none") == {overdue.reference, awaiting.reference}
        assert refs("status=awaiting_identity") == {awaiting.reference}


def test_the_queue_finds_a_request_by_reference_number_or_exact_email(
    client_for: ClientFor, dpo: User
) -> None:
    wanted = SubjectRequestFactory.create(requester_email="Find.Me@Example.org")
    SubjectRequestFactory.create()
    client = client_for(dpo)
    for query in (
        reference_of(wanted),
        reference_of(wanted).lower(),
        str(wanted.pk),
        "find.me@example.org",
    ):
        page = client.get("/requests/", {"q": query}).content.decode()
        assert set(re.findall(r"DSR-\d{4}-\d{6}", page)) == {wanted.reference}, query


def test_bulk_assign_from_the_queue(client_for: ClientFor, dpo: User, staff: User) -> None:
    requests = SubjectRequestFactory.create_batch(3)
    response = client_for(dpo).post(
        "/requests/assign/",
        {"requests": [r.pk for r in requests[:2]], "assignee": staff.pk, "next": "/requests/"},
        follow=True,
    )
    assert "2 open request(s) assigned to staff." in response.content.decode()
    assert SubjectRequest.objects.filter(assignee=staff).count() == 2


def test_bulk_assign_without_a_selection_says_so(client_for: ClientFor, dpo: User) -> None:
    response = client_for(dpo).post("/requests/assign/", {"assignee": ""}, follow=True)
    assert "Select at least one request." in response.content.decode()


@pytest.mark.parametrize("count", [10, 1000])
def test_the_queues_first_and_last_page_take_a_constant_number_of_queries(
    client_for: ClientFor,
    dpo: User,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    count: int,
) -> None:
    now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=TALLINN)
    SubjectRequest.objects.bulk_create(
        [
            SubjectRequest(
                reference=f"DSR-2026-{n:06d}",
                type="access",
                channel="web",
                requester_name=f"Person {n}",
                requester_email=f"p{n}@example.org",
                received_at=now - dt.timedelta(hours=n),
                due_at=now + dt.timedelta(days=n % 40 + 2),
                target_at=now + dt.timedelta(days=n % 40),
                assignee=dpo if n % 2 else None,
            )
            for n in range(count)
        ],
        batch_size=500,
    )
    client = client_for(dpo)
    client.get("/requests/")  # warm the session
    for page in ("1", "last"):
        with django_assert_max_num_queries(10):
            response = client.get("/requests/", {"page": page})
        assert response.status_code == 200
        assert (
            response.content.decode().count('name="requests"') == min(count, 50) or page == "last"
        )


# --- the request page -------------------------------------------------------------------------


def test_the_request_page_shows_the_requester_deadline_subject_and_timeline_and_is_logged(
    client_for: ClientFor, dpo: User, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    subject = DataSubjectFactory.create(work_email="mari@company.example")
    request = services.submit_request(
        type="access", name="Mari Maasikas", email="mari@company.example", description="Hi"
    )
    request = services.verify_manually(
        request=request, asked="a", shown="b", subject_email="mari@company.example", actor=dpo
    )
    client = client_for(dpo)
    client.get("/requests/")
    # Session, user, roles, the request with its subjects, answers, actions, system tasks and
    # timeline, the audit entry: a constant number, however long the timeline.
    with django_assert_max_num_queries(12):
        response = client.get(f"/requests/{request.pk}/")
    page = response.content.decode()
    assert "Mari Maasikas" in page
    assert str(subject) in page
    assert "Verified by the DPO" in page
    assert "Build: Access report (Art. 15)" in page  # the answer card offers the document
    assert "Extend deadline" in page
    assert AuditEvent.objects.filter(action="request.viewed", target_id=str(request.pk)).exists()


def test_staff_see_the_page_without_the_dpo_buttons(client_for: ClientFor, staff: User) -> None:
    request = SubjectRequestFactory.create()
    page = client_for(staff).get(f"/requests/{request.pk}/").content.decode()
    assert "Extend deadline" not in page
    assert "are for the DPO" in page


def test_a_missing_request_is_a_404(client_for: ClientFor, dpo: User) -> None:
    assert client_for(dpo).get("/requests/999999/").status_code == 404
    assert client_for(dpo).get("/requests/999999/reject/").status_code == 404


def test_rejecting_asks_for_confirmation_then_requires_a_reason(
    client_for: ClientFor, dpo: User
) -> None:
    request = SubjectRequestFactory.create()
    client = client_for(dpo)
    confirm = client.get(f"/requests/{request.pk}/reject/")
    assert "This cannot be undone." in confirm.content.decode()
    request.refresh_from_db()
    assert request.status == Status.RECEIVED
    refused = client.post(f"/requests/{request.pk}/reject/", {"reason": ""})
    assert refused.status_code == 400
    assert "A reason is required" in refused.content.decode()
    done = client.post(f"/requests/{request.pk}/reject/", {"reason": "Not our data"})
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.status == Status.REJECTED


def test_an_illegal_step_from_the_page_shows_the_services_refusal(
    client_for: ClientFor, dpo: User
) -> None:
    request = SubjectRequestFactory.create(status=Status.COMPLETED)
    response = client_for(dpo).post(f"/requests/{request.pk}/start/", follow=True)
    assert "cannot become in progress" in response.content.decode()


def test_notes_stay_internal_and_messages_are_emailed_and_kept(
    client_for: ClientFor,
    staff: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    request = SubjectRequestFactory.create()
    client = client_for(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/requests/{request.pk}/note/", {"text": "Checked the CRM"})
        client.post(f"/requests/{request.pk}/message/", {"text": "Which account?"})
    assert len(mail.outbox) == 1
    assert "Which account?" in mail.outbox[0].body
    assert "Checked the CRM" not in mail.outbox[0].body
    page = client.get(f"/requests/{request.pk}/").content.decode()
    assert "Checked the CRM" in page and "Which account?" in page


def test_documents_are_stored_encrypted_and_each_download_is_logged(
    client_for: ClientFor, staff: User
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from subject_requests.models import TimelineEntry

    request = SubjectRequestFactory.create()
    client = client_for(staff)
    upload = SimpleUploadedFile("id.pdf", b"%PDF-secret-id", content_type="application/pdf")
    client.post(f"/requests/{request.pk}/document/", {"file": upload, "note": "ID copy"})
    entry = TimelineEntry.objects.get(request=request, kind="document")
    response = client.get(f"/requests/{request.pk}/documents/{entry.pk}/")
    assert response.content == b"%PDF-secret-id"
    assert AuditEvent.objects.filter(action="request.document_viewed").count() == 1


# --- register ---------------------------------------------------------------------------------


def test_the_register_exports_every_request_without_personal_data_and_neutralises_cells(
    client_for: ClientFor, auditor: User, dpo: User
) -> None:
    from tests.factories import UserFactory

    evil = UserFactory.create(username="=HYPERLINK(1)")
    SubjectRequestFactory.create(requester_name="Secret Name", assignee=evil)
    SubjectRequestFactory.create(status=Status.REJECTED, closed_at=dt.datetime.now(tz=TALLINN))
    response = client_for(auditor).get("/requests/register/", {"format": "csv"})
    assert response.status_code == 200
    body = streamed(response).decode()
    assert body.startswith("\ufeff")  # a byte-order mark, so Excel reads the UTF-8
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    assert rows[0] == [
        "reference",
        "type",
        "channel",
        "received",
        "due",
        "extended",
        "paused days",
        "status",
        "closed",
        "assignee",
        "outcome",
    ]
    assert len(rows) == 3
    assert "Secret Name" not in body
    assert "'=HYPERLINK(1)" in body
    assert rows[2][-1] == "Rejected"
    assert AuditEvent.objects.filter(action="request.register_exported").exists()


def test_the_register_refuses_a_start_after_the_end(client_for: ClientFor, dpo: User) -> None:
    response = client_for(dpo).get(
        "/requests/register/",
        {"format": "csv", "received_from": "2026-02-01", "received_to": "2026-01-01"},
    )
    assert "The start date is after the end date." in response.content.decode()


def test_the_dpo_home_shows_the_request_counts(
    client_for: ClientFor, dpo: User, staff: User
) -> None:
    now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=TALLINN)
    with time_machine.travel(now, tick=False):
        SubjectRequestFactory.create(received_at=now - dt.timedelta(days=40))
        SubjectRequestFactory.create(received_at=now - dt.timedelta(days=28))
        SubjectRequestFactory.create(status=Status.AWAITING_IDENTITY)
        page = client_for(dpo).get("/").content.decode()
        assert "1 overdue" in page
        assert "1 due within 7 days" in page
        assert "1 awaiting identity" in page
        assert "Data-subject requests" not in client_for(staff).get("/").content.decode()


def test_each_count_on_the_dpo_home_opens_the_list_it_counts(
    client_for: ClientFor, dpo: User
) -> None:
    """The paused count used to open the whole queue; a transmission to another company
    waiting for a DPO's decision was not counted at all."""
    now = dt.datetime(2026, 3, 20, 9, 0, tzinfo=TALLINN)
    with time_machine.travel(now, tick=False):
        SubjectRequestFactory.create(received_at=now - dt.timedelta(days=40))
        SubjectRequestFactory.create(paused_since=now - dt.timedelta(days=2))
        SubjectRequestFactory.create(status=Status.AWAITING_IDENTITY, paused_since=now)
        SubjectRequestFactory.create(
            type="portability",
            receiver_name="Other Company OÜ",
            receiver_email="data@other.example",
            transmission="asked",
        )
        client = client_for(dpo)
        home = client.get("/").content.decode()
        lines = re.findall(r'<li><a href="(/requests/[^"]*)">(\d+) ([^<]+)</a></li>', home)
        counted = {words: (int(n), href.replace("&amp;", "&")) for href, n, words in lines}
        assert counted["paused"][0] == 2
        assert counted["transmissions to another company to decide"][0] == 1
        for words, (n, href) in counted.items():
            listed = client.get(href).content.decode().count('name="requests" value=')
            assert listed == n, f"{words}: {n} on the home page, {listed} in {href}"


def test_the_subject_page_section_lists_the_persons_requests_for_the_dpo_only(
    rf: RequestFactory, dpo: User, staff: User
) -> None:
    from django.template.loader import render_to_string

    from subject_requests.sections import requests_section
    from subjects import sections

    assert any(provider is requests_section for _, provider in sections._providers)
    subject = DataSubjectFactory.create()
    request = SubjectRequestFactory.create()
    request.subjects.add(subject)
    http = rf.get("/")
    http.user = dpo
    section = requests_section(http, subject)
    assert section is not None
    html = render_to_string(section["template"], {"section": section})
    assert reference_of(request) in html
    http.user = staff
    assert requests_section(http, subject) is None
