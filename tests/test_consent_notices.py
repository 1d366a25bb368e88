"""Art. 14 information notices, policy versions with batched notices, double opt-in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.test import Client
from django.utils import translation
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks, Settings

from consent import services
from consent.models import ConsentEvent, NoticeStatus, PolicyNotice, PolicyVersion
from consent.selectors import marketable_filter
from consent.tasks import send_information_notices, send_policy_notices_task
from core.models import AuditEvent
from subjects.models import DataSubject
from tests.emails import html_part
from tests.factories import DataSubjectFactory, ProspectFactory, purpose
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 6, 10, 3, 30, tzinfo=dt.UTC)  # 06:30 in Tallinn


def test_the_seeded_policy_is_in_force_from_25_may_2018(seeded: None) -> None:
    first = PolicyVersion.objects.get(version="2018-05-25")
    assert first.effective_on == dt.date(2018, 5, 25)
    assert "Privātuma" in first.full_text
    assert PolicyVersion.objects.in_force(on=dt.date(2018, 5, 24)).first() is None


def test_the_art_14_task_informs_people_whose_data_came_from_others_once(seeded: None) -> None:
    from_register = ProspectFactory.create(source="public_register", collected_at=NOW, country="LV")
    from_colleague = DataSubjectFactory.create(source="colleague", collected_at=NOW)
    own = DataSubjectFactory.create(source="subject", collected_at=NOW)
    no_email = DataSubjectFactory.create(source="third_party", collected_at=NOW, work_email=None)
    with time_machine.travel(NOW, tick=False):
        assert send_information_notices.delay().get() == 2
        assert send_information_notices.delay().get() == 0  # a rerun sends nothing
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [from_register.work_email, from_colleague.work_email]
    )
    # Each notice goes in the person's language (guessed from their country) and, being a
    # service e-mail, carries no unsubscribe link.
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    assert "VDAR 14. pants" in by_recipient[from_register.work_email]  # LV: Latvian
    assert "IKÜM art 14" in by_recipient[from_colleague.work_email]  # EE: Estonian
    assert all("/p/unsubscribe/" not in body for body in by_recipient.values())
    for person in (from_register, from_colleague, own, no_email):
        person.refresh_from_db()
    assert from_register.informed_at == NOW and from_colleague.informed_at == NOW
    assert own.informed_at is None and no_email.informed_at is None
    assert AuditEvent.objects.filter(action="subject.informed").count() == 2


@pytest.mark.parametrize(
    ("language", "dpo_line", "automated"),
    [
        ("en", "Our data protection officer: dpo@company.example", "(GDPR Art. 22)"),
        ("et", "Meie andmekaitseametnik: dpo@company.example", "(IKÜM art 22)"),
        ("lv", "Mūsu datu aizsardzības speciālists: dpo@company.example", "(VDAR 22. pants)"),
    ],
)
def test_the_art_14_notice_names_the_dpo_and_says_no_decision_is_automated(
    seeded: None, settings: Any, language: str, dpo_line: str, automated: str
) -> None:
    """GDPR Art. 14(1)(b) and 14(2)(g), in the person's language, in the
    text and the HTML part alike."""
    settings.PRIVACY_DPO_CONTACT = "dpo@company.example"
    DataSubjectFactory.create(source="colleague", collected_at=NOW, preferred_language=language)
    assert services.send_information_notices() == 1
    (message,) = mail.outbox
    html = html_part(message)
    for part in (str(message.body), html):
        assert dpo_line in part and automated in part


def test_notices_follow_a_preferred_language_over_the_country_guess(
    dpo: User, seeded: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    # Located in Estonia, but they told us they read Latvian.
    person = ProspectFactory.create(collected_at=NOW, country="EE", preferred_language="lv")
    with time_machine.travel(NOW, tick=False):
        assert services.send_information_notices() == 1
        with django_capture_on_commit_callbacks(execute=True):
            _publish(dpo, dt.date(2025, 8, 1))
    art_14, policy_notice = mail.outbox
    assert art_14.to == policy_notice.to == [person.work_email]
    assert "VDAR 14. pants" in art_14.body and "IKÜM" not in art_14.body
    assert "avots: Iegūti no publiska reģistra" in art_14.body  # the source, in Latvian too
    assert "Jūsu tiesības" in art_14.body and "1 gads (sākot no:" in art_14.body
    with translation.override("lv"):
        latvian = translation.gettext("Our privacy policy changes on %(date)s")
    assert latvian != "Our privacy policy changes on %(date)s"
    assert policy_notice.subject == latvian % {"date": "01.08.2025"}


def test_the_art_14_notice_tells_each_person_what_article_14_requires(
    seeded: None, settings: Settings
) -> None:
    settings.PRIVACY_CONTACT_EMAIL = "dpo@operator.example"
    # In Singapore: their data is also stored in Australia, as for AU, KH, MY and NZ.
    in_singapore = ProspectFactory.create(collected_at=NOW, country="SG", preferred_language="en")
    in_finland = DataSubjectFactory.create(
        kind="client_representative", source="colleague", collected_at=NOW, country="FI"
    )
    with time_machine.travel(NOW, tick=False):
        assert services.send_information_notices() == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    prospect = by_recipient[in_singapore.work_email].body
    # Art. 14(1)(a): who we are and how to reach us.
    assert "Scoro Software OÜ" in prospect and "dpo@operator.example" in prospect
    # (c): the purposes that apply to a prospect, each with its legal basis.
    assert "- Market the platform to prospects (Legitimate interest — Art. 6(1)(f))" in prospect
    assert "- Direct marketing (Consent — Art. 6(1)(a)) — only if you agree to it" in prospect
    assert "Conclude and perform the contract" not in prospect  # a client's purpose
    # (d): the categories; (e)-(f): processors and the ground of each transfer.
    assert "Identification, Contact, Employment, Communication, Usage" in prospect
    assert "Cloud storage (Australia) → Australia: Standard contractual clauses" in prospect
    assert "E-mail delivery service → United States of America: EU–US Data Privacy" in prospect
    # 14(2)(a): the rule governing their record, with its period; (f): the source.
    assert "Prospect data (trial, demo and marketing contacts): 1 year from" in prospect
    assert "source: Taken from a public register" in prospect
    # 14(2)(c)-(e): the rights, withdrawal, the complaint, and where to ask.
    assert "portability" in prospect and "withdraw it at any time" in prospect
    assert "Estonian Data Protection Inspectorate" in prospect
    assert "http://127.0.0.1:8000/privacy/request/" in prospect
    assert "/p/unsubscribe/" not in prospect  # a service e-mail
    html = html_part(by_recipient[in_singapore.work_email])
    assert 'href="http://127.0.0.1:8000/privacy/request/?lang=en"' in html  # its language
    assert "Cloud storage (Australia)" in html

    representative = by_recipient[in_finland.work_email].body
    assert "Provide the service to representatives and users" in representative
    assert "The client (the person&#x27;s company)" not in representative  # text, not HTML
    assert "The client (the person's company)" in representative
    assert "Cloud storage (Australia)" not in representative  # not located there
    assert "Prospect data" not in representative
    assert "for the duration of the contract" in representative  # no rule applies yet


def test_a_notice_batch_of_200_people_costs_a_bounded_number_of_queries(
    seeded: None, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    kinds = ["prospect", "prospect_representative", "client_representative", "user", "other"]
    countries = ["EE", "LV", "SG", "AU", "FI", "DE", "US", "NZ"]
    for n in range(200):
        DataSubjectFactory.create(
            kind=kinds[n % len(kinds)],
            country=countries[n % len(countries)],
            source="third_party",
            collected_at=NOW,
            organisation=None,
        )
    # 44 today: a few per kind of person and per retention rule, none per person.
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(50):
        assert services.send_information_notices() == 200
    assert len(mail.outbox) == 200


def test_the_dpo_sees_who_is_overdue_for_the_art_14_notice(
    client_for: ClientFor, dpo: User, seeded: None
) -> None:
    collected = dt.datetime(2025, 5, 9, 12, tzinfo=dt.UTC)
    late = DataSubjectFactory.create(source="third_party", collected_at=collected, work_email=None)
    with time_machine.travel(dt.datetime(2025, 6, 9, 12, tzinfo=dt.UTC), tick=False):
        assert late not in services.information_notices_overdue()
    with time_machine.travel(dt.datetime(2025, 6, 10, 12, tzinfo=dt.UTC), tick=False):
        assert list(services.information_notices_overdue()) == [late]
        page = client_for(dpo).get("/consent/notices/")
    assert late.last_name in page.content.decode()


def _publish(dpo: User, effective_on: dt.date, **extra: Any) -> PolicyVersion:
    return services.publish_policy_version(
        actor=dpo,
        version=extra.pop("version", "2025-08"),
        summary="We add a new e-mail provider.",
        full_text="Full text of the new policy.",
        effective_on=effective_on,
        **extra,
    )


def test_a_policy_notice_is_sent_once_per_subject_even_when_the_task_runs_twice(
    dpo: User, seeded: None, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    people = DataSubjectFactory.create_batch(5)
    DataSubjectFactory.create(anonymised_at=NOW)  # never told: anonymised
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            policy = _publish(dpo, dt.date(2025, 8, 1))
        assert len(mail.outbox) == 5
        assert send_policy_notices_task.delay(policy.pk).get() == 0
    assert len(mail.outbox) == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.work_email for p in people)
    assert any(day in mail.outbox[0].subject for day in ("01.08.2025", "1 August 2025"))
    policy.refresh_from_db()
    assert policy.notice_status == NoticeStatus.DONE
    assert (policy.notices_sent, policy.notices_total, policy.progress_percent) == (5, 5, 100)
    assert PolicyNotice.objects.filter(policy_version=policy).count() == 5


def test_a_crash_mid_run_resends_at_most_one_batch(dpo: User, seeded: None) -> None:
    DataSubjectFactory.create_batch(5)
    with time_machine.travel(NOW, tick=False):
        policy = _publish(dpo, dt.date(2025, 8, 1))  # the on-commit task is not run
    calls = {"n": 0}
    from django.core.mail.backends.locmem import EmailBackend

    original = EmailBackend.send_messages

    def crash_on_second_batch(self: EmailBackend, messages: Sequence[EmailMessage]) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise ConnectionError("SMTP relay went away")
        return original(self, messages)

    with (
        mock.patch.object(EmailBackend, "send_messages", crash_on_second_batch),
        pytest.raises(ConnectionError),
    ):
        services.send_policy_notices(policy_version_id=policy.pk, batch_size=2)
    assert PolicyNotice.objects.count() == 2 and len(mail.outbox) == 2
    policy.refresh_from_db()
    assert policy.notices_sent == 2 and policy.notice_status == NoticeStatus.SENDING
    assert services.send_policy_notices(policy_version_id=policy.pk, batch_size=2) == 3
    assert len(mail.outbox) == 5 and PolicyNotice.objects.count() == 5


def test_a_short_notice_needs_confirmation_and_a_past_date_is_refused(
    dpo: User, seeded: None
) -> None:
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(ValidationError) as short:
            _publish(dpo, dt.date(2025, 6, 20))
        assert "less than 30 days" in str(short.value.message_dict["effective_on"])
        with pytest.raises(ValidationError, match="before the change takes effect"):
            _publish(dpo, dt.date(2025, 6, 10))
        assert PolicyVersion.objects.count() == 1
        confirmed = _publish(dpo, dt.date(2025, 6, 20), short_notice_confirmed=True)
    assert confirmed.effective_on == dt.date(2025, 6, 20)
    assert AuditEvent.objects.get(action="consent.policy_published").details["short_notice"]


def test_publishing_through_the_page_shows_the_confirmation_then_progress(
    client_for: ClientFor,
    dpo: User,
    seeded: None,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    DataSubjectFactory.create_batch(2)
    client = client_for(dpo)
    data = {
        "version": "2025-07",
        "effective_on": "2025-06-25",
        "summary": "New processor",
        "full_text": "Text",
    }
    with time_machine.travel(NOW, tick=False):
        first = client.post("/consent/policies/new/", data)
        assert "I confirm the short notice period" in first.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post("/consent/policies/new/", {**data, "short_notice_confirmed": "on"})
    policy = PolicyVersion.objects.get(version="2025-07")
    assert done["Location"] == f"/consent/policies/{policy.pk}/"
    detail = client.get(done["Location"]).content.decode()
    assert "2 of 2 sent" in detail


def test_a_version_adding_a_consent_purpose_asks_for_fresh_consent(
    dpo: User, seeded: None, clock: time_machine.Traveller
) -> None:
    marketing = purpose("direct-marketing")
    subject = DataSubjectFactory.create()
    services.grant_consent(
        subject=subject, purpose=marketing, channel="web_form", actor="data subject",
        wording="Newsletter",
    )  # fmt: skip
    clock.shift(dt.timedelta(days=1))  # the version is published after the consent
    with pytest.raises(ValidationError, match="Only consent-based"):
        _publish(dpo, dt.date(2099, 1, 1), new_consent_purposes=[purpose("prospect-marketing")])
    _publish(dpo, dt.date(2099, 1, 1), new_consent_purposes=[marketing])
    at = dt.datetime(2099, 1, 2, tzinfo=dt.UTC)
    everyone = DataSubject.objects.all()
    assert not marketable_filter(everyone, purpose=marketing, at=at).exists()
    assert marketable_filter(everyone, purpose=marketing).exists()  # until it takes effect


def _confirm_link(message: EmailMessage) -> str:
    match = re.search(r"http://\S+(/p/subscribe/confirm/\S+/)", str(message.body))
    assert match is not None
    return match.group(1)


def test_double_opt_in_records_nothing_until_the_click(client: Client, seeded: None) -> None:
    marketing = purpose("direct-marketing")
    response = client.post(
        "/p/subscribe/",
        {"email": "new.reader@company.example", "name": "Anna Tamm", "purposes": [marketing.pk]},
    )
    assert response.status_code == 302
    assert not DataSubject.objects.exists() and not ConsentEvent.objects.exists()
    link = _confirm_link(mail.outbox[0])
    assert "/p/unsubscribe/" not in mail.outbox[0].body  # a service e-mail
    page = client.get(link)  # a mail scanner fetching the link grants nothing
    assert page.status_code == 200 and not ConsentEvent.objects.exists()
    client.post(link)
    event = ConsentEvent.objects.get()
    assert event.kind == "granted" and event.channel == "web_form"
    assert "Direct marketing" in event.wording
    subject = event.subject
    assert subject.work_email == "new.reader@company.example"
    assert (subject.first_name, subject.last_name) == ("Anna", "Tamm")
    assert subject.preferred_language == "en"  # the language the person subscribed in
    client.post(link)  # a second click records nothing
    assert ConsentEvent.objects.count() == 1


def test_subscription_errors_and_a_bad_confirmation_link(client: Client, seeded: None) -> None:
    response = client.post("/p/subscribe/", {"email": "not-an-email"})
    body = response.content.decode()
    assert "Enter a valid email address" in body and "Choose at least one kind" in body
    assert client.get("/p/subscribe/confirm/forged:token/").status_code == 400
    with time_machine.travel(NOW, tick=False):
        client.post(
            "/p/subscribe/",
            {"email": "late@company.example", "purposes": [purpose("direct-marketing").pk]},
        )
    link = _confirm_link(mail.outbox[0])
    with time_machine.travel(NOW + dt.timedelta(days=8), tick=False):
        expired = client.post(link)
    assert expired.status_code == 400 and b"expired" in expired.content
    assert not ConsentEvent.objects.exists()


def test_a_suppressed_address_cannot_subscribe_itself_silently(
    client: Client, seeded: None
) -> None:
    services.suppress_email(email="gone@company.example", channel="email", actor="data subject")
    client.post(
        "/p/subscribe/",
        {"email": "gone@company.example", "purposes": [purpose("direct-marketing").pk]},
    )
    response = client.post(_confirm_link(mail.outbox[0]))
    assert response.status_code == 409 and b"privacy address" in response.content
    assert not ConsentEvent.objects.exists()
