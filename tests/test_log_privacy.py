"""No personal data in logs, and none printed by the development e-mail
backend."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.core.management import call_command
from django.test import Client
from django.urls import get_resolver
from django.utils import translation
from django.utils.translation import gettext
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from consent.emails import unsubscribe_token
from core.checks import iter_patterns
from core.logscrub import TOKEN_PREFIXES, PersonalDataFilter, scrub
from core.mail import GREETINGS, NAME_MASK, MaskingConsoleBackend
from processing.models import Purpose
from subjects.models import DataSubject
from tests.test_settings import production_env, run_django

pytestmark = pytest.mark.django_db


def configured_handlers() -> list[logging.Handler]:
    """Every handler settings.LOGGING installed (pytest's own capture handlers aside)."""
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return [
        handler
        for logger in loggers
        if isinstance(logger, logging.Logger)
        for handler in logger.handlers
        if not type(handler).__module__.startswith("_pytest")
        and not isinstance(handler, logging.NullHandler)  # writes nothing
    ]


def test_every_log_handler_scrubs_personal_data() -> None:
    handlers = configured_handlers()
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), handler
    # Django's request log and the development server's access log write through them.
    for name in ("django.request", "django.server"):
        assert not logging.getLogger(name).handlers and logging.getLogger(name).propagate


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mail to mari.maasikas@company.example failed", "Mail to [e-mail] failed"),
        ("GET /subjects/?q=Mari+Maasikas&page=2 200", "GET /subjects/?[query removed] 200"),
        ("/requests/?q=mari%40company.example", "/requests/?[query removed]"),
        (
            "Not Found: /privacy/answers/eyJyIjo1fQ:1u2:abc/3/",
            "Not Found: /privacy/answers/[token]/3/",
        ),
        (
            '"POST /p/unsubscribe/eyJzIjoxfQ:sig/ HTTP/1.1" 200',
            '"POST /p/unsubscribe/[token]/ HTTP/1.1" 200',
        ),
        ("/privacy/request/verify/abc:def/", "/privacy/request/verify/[token]/"),
        ("/privacy/request/status/abc:def/withdraw/", "/privacy/request/status/[token]/withdraw/"),
        ("/p/subscribe/confirm/x:y/?utm=a", "/p/subscribe/confirm/[token]/?[query removed]"),
        ("Purge run 12 finished: 340 rows", "Purge run 12 finished: 340 rows"),
    ],
)
def test_the_scrubber_removes_addresses_tokens_and_query_strings(line: str, expected: str) -> None:
    assert scrub(line) == expected


def test_every_signed_link_prefix_is_scrubbed() -> None:
    routes = [route for route, _p, _a in iter_patterns(get_resolver().url_patterns)]
    prefixes = {"/" + route.split("<str:token>")[0] for route in routes if "<str:token>" in route}
    assert prefixes == set(TOKEN_PREFIXES)


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the configured handlers write, as they write it (after their filters)."""
    buffer = io.StringIO()
    streams = [
        (handler, handler.setStream(buffer))
        for handler in configured_handlers()
        if isinstance(handler, logging.StreamHandler)
    ]
    yield buffer
    for handler, stream in streams:
        handler.setStream(stream)


def personal_values() -> set[str]:
    values: set[str] = set()
    for person in DataSubject.objects.all():
        values |= {
            value
            for value in (person.work_email, person.work_phone, person.first_name, person.last_name)
            if value and len(value) >= 4
        }
    return values


def test_the_seeded_flows_log_no_email_phone_or_name(
    settings: Settings,
    seeded: None,
    marketing: Purpose,
    dpo: User,
    admin_user: User,
    log_output: io.StringIO,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    settings.DEBUG = True  # the demo commands refuse production
    settings.DEMO_PASSWORD = "demo-password-123"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", "--subjects", "60", verbosity=0, stdout=StringIO())
        call_command("demo_users", verbosity=0, stdout=StringIO())
        call_command("demo_activity", "--if-empty", stdout=StringIO())
    settings.DEBUG = False
    person = next(
        p for p in DataSubject.objects.active() if p.work_email and p.work_phone and p.last_name
    )
    assert person.work_email
    public = Client(raise_request_exception=False)
    # The public flows: a request and its links, a subscription, an unsubscribe, bad links.
    form = {
        "type": "access",
        "name": f"{person.first_name} {person.last_name}",
        "email": person.work_email,
        "description": f"My phone is {person.work_phone}",
        "website": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):  # the fourth is refused by the rate limit (a logged 429)
            public.post("/privacy/request/", form)
    for message in mail.outbox:
        for link in re.findall(r"/privacy/request/(?:verify|status)/[^/\s]+/", str(message.body)):
            public.post(link)
            public.get(f"{link}?email={person.work_email}")
    public.post(
        "/p/subscribe/",
        {"email": person.work_email, "name": person.last_name, "purposes": [marketing.pk]},
    )
    public.post(f"/p/unsubscribe/{unsubscribe_token(person, marketing)}/")
    public.get(f"/privacy/answers/forged:{person.last_name}/")  # a logged 404
    public.get(f"/p/subscribe/confirm/forged/?email={person.work_email}")
    # Staff search for the person, by name, e-mail and phone.
    staff = Client(raise_request_exception=False)
    staff.force_login(dpo)
    for query in (person.last_name, person.work_email, person.work_phone):
        staff.get("/subjects/", {"q": query})
        staff.get("/requests/", {"q": query})
        staff.get("/consent/log/", {"q": query})
        staff.get("/nowhere/", {"q": query})  # a logged 404 with the query in its URL
    admin = Client(raise_request_exception=False)
    admin.force_login(admin_user)
    admin.get("/admin/subjects/datasubject/", {"q": person.last_name})
    # The web server's access log, as runserver writes it.
    logging.getLogger("django.server").info(
        '"%s" %s %s', f"GET /subjects/?q={person.work_email} HTTP/1.1", "200", "512"
    )
    try:
        raise ValueError(f"cannot reach {person.work_email}")
    except ValueError:
        logging.getLogger("subjects").exception("A failure that names an address")

    # What the development server prints of every e-mail those flows sent.
    assert mail.outbox
    MaskingConsoleBackend(stream=log_output).send_messages(mail.outbox)

    written = log_output.getvalue()
    assert "Too Many Requests: /privacy/request/" in written  # the capture saw the flows
    assert "Not Found: /privacy/answers/[token]/" in written
    assert "?[query removed]" in written and "[e-mail]" in written
    leaked = sorted(value for value in personal_values() if value.lower() in written.lower())
    assert leaked == []


def test_the_console_email_backend_prints_no_address(marketing: Purpose) -> None:
    stream = io.StringIO()
    backend = MaskingConsoleBackend(stream=stream)
    message = EmailMultiAlternatives(
        subject="Your request about mari@company.example",
        body="Dear Mari, we wrote to mari@company.example. Follow https://portal/p/x/ to go on.",
        from_email="privacy@privacyops.example",
        to=["mari@company.example"],
        cc=["boss@company.example"],
        bcc=["archive@company.example"],
        reply_to=["privacy@privacyops.example"],
    )
    message.attach_alternative("<p>mari@company.example</p>", "text/html")
    message.attach("report.pdf", b"%PDF mari@company.example", "application/pdf")
    backend.send_messages([message])
    printed = stream.getvalue()
    for address in ("mari@company.example", "boss@company.example", "archive@company.example"):
        assert address not in printed
    assert "To: [e-mail]" in printed and "https://portal/p/x/" in printed
    assert "[attachment: report.pdf, 25 bytes]" in printed
    assert message.to == ["mari@company.example"]  # the message itself is untouched


@pytest.mark.parametrize("language", ["en", "et", "lv"])
def test_the_console_email_backend_prints_no_name_in_a_greeting(language: str) -> None:
    with translation.override(language):
        texts = [gettext(greeting) % {"name": "Mari Maasikas"} for greeting in GREETINGS]
    message = EmailMultiAlternatives(body="\n".join([*texts, "Kind regards"]), to=["m@x.example"])
    message.attach_alternative("".join(f"<p>{text}</p>" for text in texts), "text/html")
    stream = io.StringIO()
    MaskingConsoleBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "Maasikas" not in printed and "Mari" not in printed
    assert printed.count(NAME_MASK) == 2 * len(GREETINGS)
    assert "Kind regards" in printed


def test_development_uses_the_masking_console_backend() -> None:
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    for env, expected in (
        ({"EMAIL_URL": "consolemail://"}, "core.mail.MaskingConsoleBackend"),
        ({"EMAIL_URL": "smtp://mail.example:25"}, "django.core.mail.backends.smtp.EmailBackend"),
    ):
        result = run_django(production_env() | env, "shell", "--no-imports", "-c", code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().splitlines()[-1] == expected


def test_celery_workers_log_through_the_scrubbing_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    from celery.app.log import Logging

    from privacyops.celery import app

    monkeypatch.setattr(Logging, "_setup", False)  # as in a fresh worker process
    app.log.setup_logging_subsystem(loglevel="INFO")
    handlers = configured_handlers()
    assert handlers
    for handler in handlers:
        assert any(isinstance(f, PersonalDataFilter) for f in handler.filters), handler
    assert logging.getLogger("celery.task").propagate
