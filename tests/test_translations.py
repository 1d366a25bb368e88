"""The pages and e-mails for data subjects speak Estonian and Latvian as well as English.

Staff pages stay in English (core.permissions forces it), so only the strings a data subject
can see are translated. The catalogue tests fail when a public template or public module gains
a string that has no Estonian or Latvian translation, or when the committed .mo files are older
than the .po files they are compiled from (run `manage.py compilemessages`).
"""

from __future__ import annotations

import ast
import datetime as dt
import gettext as gnu_gettext
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from subject_requests.models import SubjectRequest

pytestmark = pytest.mark.django_db

BASE = Path(settings.BASE_DIR)
LANGUAGES = ("et", "lv")
PLURAL_FORMS = {
    "et": "nplurals=2; plural=(n != 1);",
    "lv": "nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n != 0 ? 1 : 2);",
}

# Templates a data subject sees: the public pages, every e-mail, and what they extend.
PUBLIC_TEMPLATE_DIRS = (
    "templates/public/",
    "templates/consent/public/",
    "templates/subject_requests/public/",
    "templates/emails/",
    # The answer documents and letters (PDF) a requester receives.
    "templates/reports/",
    "templates/letters/",
    # The self-service pages.
    "templates/selfservice/",
)
PUBLIC_TEMPLATE_FILES = (
    "templates/base.html",
    "templates/404.html",
    "templates/includes/field.html",
)
# Python modules whose every string reaches a data subject.
PUBLIC_MODULES = (
    "consent/public_views.py",
    "consent/emails.py",
    "consent/services/subscription.py",
    "selfservice/request_pages.py",
    "subject_requests/services/identity.py",
    "subject_requests/choices.py",
    "subject_requests/letters.py",
    "reports/sections.py",
    "reports/section_types.py",
    "reports/request_sections.py",
    "reports/collect.py",
    "reports/values.py",
    "reports/platform.py",
    "subject_requests/letter_actions.py",
    # GDPR Art. 20(2): the receiver's fields of the public form and the refusals they meet.
    "subject_requests/transmission_forms.py",
    "subject_requests/services/transmission.py",
    "subjects/erasure_preview.py",
    "retention/periods.py",
    "subject_requests/templatetags/reports.py",
    # The register's and the people's words that documents for people show.
    # The catalogues name the register's models by the module they had before the systems
    # register joined them; the next makemessages names the new one.
    "processing/models.py",
    "processing/models/register.py",
    "processing/seed.py",
    "subjects/models/people.py",
    "subjects/models/records.py",
    "subjects/seed.py",
    "consent/selectors.py",
    "consent/seed.py",
    "subject_requests/seed.py",
    "consent/wording.py",
    "selfservice/views.py",
    "selfservice/views_inside.py",
    "selfservice/forms.py",
    "selfservice/preferences.py",
    "selfservice/receipt.py",
)


# Words a data subject reads that live in a module of staff words (a retention rule's reason
# to keep records after an erasure): marked with this context, they are public wherever they are.
PUBLIC_CONTEXT = "data subject"


def is_public_source(path: str) -> bool:
    return (
        path.startswith(PUBLIC_TEMPLATE_DIRS)
        or path in PUBLIC_TEMPLATE_FILES
        or path in PUBLIC_MODULES
    )


def public_templates() -> list[Path]:
    found = [p for d in PUBLIC_TEMPLATE_DIRS for p in sorted((BASE / d).rglob("*")) if p.is_file()]
    return found + [BASE / f for f in PUBLIC_TEMPLATE_FILES]


# --- a small .po reader ----------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    locations: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)

    @property
    def key(self) -> tuple[str | None, str]:
        return self.msgctxt, self.msgid


def _unquote(text: str) -> str:
    value = ast.literal_eval(text.strip())
    assert isinstance(value, str)
    return value


def read_po(path: Path) -> list[Entry]:
    entries: list[Entry] = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        entry = Entry()
        current: str | None = None
        for line in block.splitlines():
            if line.startswith("#:"):
                entry.locations += [loc.rsplit(":", 1)[0] for loc in line[2:].split()]
            elif line.startswith("#,"):
                entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                assert current is not None, f"{path}: continuation without a keyword"
                _append(entry, current, _unquote(line))
            else:
                keyword, _, rest = line.partition(" ")
                current = keyword
                _append(entry, current, _unquote(rest), start=True)
        entries.append(entry)
    return entries


def _append(entry: Entry, keyword: str, text: str, *, start: bool = False) -> None:
    if keyword == "msgid":
        entry.msgid = text if start else entry.msgid + text
    elif keyword == "msgid_plural":
        entry.msgid_plural = text if start else (entry.msgid_plural or "") + text
    elif keyword == "msgctxt":
        entry.msgctxt = text if start else (entry.msgctxt or "") + text
    elif keyword == "msgstr":
        entry.msgstr[0] = text if start else entry.msgstr[0] + text
    elif match := re.fullmatch(r"msgstr\[(\d)\]", keyword):
        index = int(match.group(1))
        entry.msgstr[index] = text if start else entry.msgstr[index] + text
    else:
        raise AssertionError(f"unknown keyword {keyword!r}")


def catalogue(language: str) -> list[Entry]:
    return read_po(BASE / "locale" / language / "LC_MESSAGES" / "django.po")


PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%%|\{\w*\}")


# --- the pages, rendered -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "heading", "right", "submit"),
    [
        ("et", "Kasutage oma andmekaitseõigusi", "Vastuväide otseturundusele", "Saada taotlus"),
        (
            "lv",
            "Īstenojiet savas datu aizsardzības tiesības",
            "Iebildums pret tiešo mārketingu",
            "Nosūtīt pieprasījumu",
        ),
    ],
)
def test_the_public_request_form_speaks_the_browsers_language(
    client: Client, language: str, heading: str, right: str, submit: str
) -> None:
    response = client.get("/privacy/request/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{language}">' in page
    assert f"<h1>{heading}</h1>" in page
    assert right in page and submit in page
    for english in ("Exercise your data-protection rights", "Objection to direct marketing"):
        assert english not in page
    assert "Send request" not in page


@pytest.mark.parametrize(
    ("language", "heading", "unsubscribe_word"),
    [
        ("et", "Tellige meie e-kirjad", "tellimusest loobumise"),
        ("lv", "Abonējiet mūsu e-pastus", "Atteikt abonēšanu"),
    ],
)
def test_the_public_subscribe_page_speaks_the_browsers_language(
    client: Client, seeded: None, language: str, heading: str, unsubscribe_word: str
) -> None:
    response = client.get("/p/subscribe/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    page = response.content.decode()
    assert f"<h1>{heading}</h1>" in page
    # The consent wording the person agrees to is in their language too.
    assert unsubscribe_word in page
    assert "Subscribe to our e-mail" not in page
    assert "I agree to receive marketing" not in page


def test_the_public_pages_still_speak_english_by_default(client: Client, seeded: None) -> None:
    assert (
        b"<h1>Exercise your data-protection rights</h1>" in client.get("/privacy/request/").content
    )
    assert b"<h1>Subscribe to our e-mail</h1>" in client.get("/p/subscribe/").content


# --- the e-mails ------------------------------------------------------------------------------


def test_the_request_acknowledgement_is_written_in_latvian() -> None:
    from subject_requests.letters import letter_context
    from tests.factories import SubjectRequestFactory

    request = SubjectRequestFactory.create(
        language="lv", requester_name="Anna Bērziņa", type="erasure"
    )
    with translation.override("lv"):
        context = letter_context(request)
        subject = render_to_string("emails/requests/acknowledgement_subject.txt", context)
        text = render_to_string("emails/requests/acknowledgement.txt", context)
        html = render_to_string("emails/requests/acknowledgement.html", context)
    assert subject.strip() == f"Mēs saņēmām jūsu pieprasījumu {request.reference}"
    for body in (text, html):
        assert "Labdien, Anna Bērziņa!" in body
        assert "Manu datu dzēšana" in body  # the right, from the model's choices
        assert f"Pieprasījuma numurs: {request.reference}" in body
        assert "Dear " not in body and "We received" not in body


def test_the_subscription_confirmation_is_sent_in_the_language_of_the_page(
    client: Client, seeded: None
) -> None:
    from tests.factories import purpose

    response = client.post(
        "/p/subscribe/",
        {"email": "liene@uznemums.example", "purposes": [purpose("direct-marketing").pk]},
        HTTP_ACCEPT_LANGUAGE="lv",
    )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert message.subject == "Lūdzu, apstipriniet abonēšanu"
    assert "Kāds – cerams, ka jūs – ir lūdzis sūtīt mūsu e-pastus uz šo adresi:" in message.body
    assert "Piekrītu saņemt no jums mārketinga e-pastus" in message.body
    assert "Someone, hopefully you" not in message.body


# --- the catalogues ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_entry_is_translated(language: str) -> None:
    entries = catalogue(language)
    header = entries[0]
    assert header.msgid == "" and "fuzzy" not in header.flags
    assert f"Language: {language}\n" in header.msgstr[0]
    assert f"Plural-Forms: {PLURAL_FORMS[language]}\n" in header.msgstr[0]
    nplurals = 2 if language == "et" else 3
    public = [
        e
        for e in entries[1:]
        if e.msgctxt == PUBLIC_CONTEXT or any(is_public_source(loc) for loc in e.locations)
    ]
    assert len(public) > 120
    problems = []
    for entry in public:
        where = f"{entry.msgid[:60]!r} ({entry.locations[0]})"
        forms_ = [entry.msgstr.get(i, "") for i in range(nplurals if entry.msgid_plural else 1)]
        if not all(form.strip() for form in forms_):
            problems.append(f"untranslated: {where}")
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"fuzzy: {where}")
        source = entry.msgid_plural or entry.msgid
        for form in forms_:
            if sorted(PLACEHOLDER.findall(form)) != sorted(PLACEHOLDER.findall(source)):
                problems.append(f"placeholders differ: {where}: {form!r}")
    assert not problems, f"{language}:\n" + "\n".join(problems)


def _template_messages(path: Path) -> list[tuple[str | None, str]]:
    """The (context, msgid) pairs makemessages would extract from one template."""
    found = []
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    call = re.compile(
        r"\b(gettext|ngettext|pgettext|npgettext)\("
        r"((?:u?(?:'(?:[^'\\\n]|\\.)*'|\"(?:[^\"\\\n]|\\.)*\")(?:, )?)+)"
    )
    for match in call.finditer(code):
        args = ast.literal_eval("[" + match.group(2) + "]")
        if match.group(1).startswith("p") or match.group(1).startswith("np"):
            found.append((args[0], args[1]))
        else:
            found.append((None, args[0]))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_in_a_public_template_is_in_the_catalogue(language: str) -> None:
    """Catches a public string added after the last makemessages run."""
    translated = {e.key for e in catalogue(language) if e.msgstr and all(e.msgstr.values())}
    missing = [
        f"{path.relative_to(BASE)}: {msgid!r}"
        for path in public_templates()
        for context, msgid in _template_messages(path)
        if (context, msgid) not in translated
    ]
    assert not missing, f"run makemessages and translate ({language}):\n" + "\n".join(missing)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_matches_the_po_file(language: str) -> None:
    mo = BASE / "locale" / language / "LC_MESSAGES" / "django.mo"
    with mo.open("rb") as handle:
        # The parsed catalogue is a private attribute that typeshed does not declare.
        compiled: dict[Any, str] = vars(gnu_gettext.GNUTranslations(handle))["_catalog"]
    stale = []
    for entry in catalogue(language)[1:]:
        if not entry.msgstr or not all(entry.msgstr.values()) or "fuzzy" in entry.flags:
            continue
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            if compiled.get(msgid) != entry.msgstr[0]:
                stale.append(entry.msgid[:60])
        elif any(compiled.get((msgid, i)) != text for i, text in entry.msgstr.items()):
            stale.append(entry.msgid[:60])
    assert not stale, "run manage.py compilemessages:\n" + "\n".join(stale)


# --- the Python strings of the public forms and models -----------------------------------------


def _differs(english: Any, language: str) -> bool:
    with translation.override("en"):
        source = str(english)
    with translation.override(language):
        return str(english) != source


def _form_texts(form_class: type[forms.Form]) -> list[Any]:
    texts = []
    for form_field in form_class.base_fields.values():
        texts += (
            [form_field.label, form_field.help_text] if form_field.help_text else [form_field.label]
        )
        defaults: dict[str, Any] = {}
        for cls in reversed(type(form_field).__mro__):
            defaults.update(getattr(cls, "default_error_messages", {}))
        # Only the messages the form declares itself: Django translates its own.
        texts += [m for k, m in form_field.error_messages.items() if defaults.get(k) is not m]
    return texts


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_forms_and_the_rights_are_translated(language: str) -> None:
    from consent.forms import SubscribeForm
    from selfservice.forms import PublicRequestForm
    from selfservice.request_pages import STATUS_EXPLANATIONS
    from subject_requests.choices import TYPE_EXPLANATIONS, RequestType, Status

    texts = [
        *_form_texts(PublicRequestForm),
        *_form_texts(SubscribeForm),
        *(label for _, label in RequestType.choices),
        *TYPE_EXPLANATIONS.values(),
        *(label for _, label in Status.choices),
        *STATUS_EXPLANATIONS.values(),
    ]
    assert len(texts) > 40
    untranslated = [str(text) for text in texts if not _differs(text, language)]
    assert not untranslated, f"{language}: " + "; ".join(untranslated)


# --- dates: digits, not month names -------------------------------------------------------------
# The dates sit inside sentences ("līdz %(due)s", "kätte %(received)s"): a month name would need
# a case ending the date filter cannot give. The format is a catalogue entry (context "date
# format"): English keeps "j F Y" (24 November 2026), Estonian and Latvian write digits.

MONTH_NAMES = {"et": ("novemb", "detsemb"), "lv": ("novembr", "decembr")}


def _request_at_tallinn_times() -> SubjectRequest:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from tests.factories import SubjectRequestFactory

    tallinn = ZoneInfo("Europe/Tallinn")
    return SubjectRequestFactory.create(
        status="verified",
        language="lv",
        received_at=dt.datetime(2026, 11, 24, 10, 0, tzinfo=tallinn),
        due_at=dt.datetime(2026, 12, 28, 12, 0, tzinfo=tallinn),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_status_page_writes_its_dates_in_digits(client: Client, language: str) -> None:
    from subject_requests.services import status_token

    request = _request_at_tallinn_times()
    response = client.get(
        f"/privacy/request/status/{status_token(request)}/", HTTP_ACCEPT_LANGUAGE=language
    )
    page = response.content.decode()
    assert response.status_code == 200 and f'<html lang="{language}">' in page
    assert "24.11.2026" in page and 'data-testid="due">28.12.2026' in page
    assert not any(month in page.lower() for month in MONTH_NAMES[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_acknowledgement_writes_its_dates_in_digits(language: str) -> None:
    from subject_requests.letters import letter_context

    request = _request_at_tallinn_times()
    with translation.override(language):
        context = letter_context(request)
        bodies = [
            render_to_string("emails/requests/acknowledgement.txt", context),
            render_to_string("emails/requests/acknowledgement.html", context),
        ]
    expected = {
        "et": ("Saime teie taotluse kätte 24.11.2026", "Vastame hiljemalt 28.12.2026."),
        "lv": ("Mēs saņēmām jūsu pieprasījumu 24.11.2026", "Mēs atbildēsim līdz 28.12.2026."),
    }[language]
    for body in bodies:
        assert all(sentence in body for sentence in expected), body
        assert not any(month in body.lower() for month in MONTH_NAMES[language])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_date_format_of_the_letters_uses_no_month_name(language: str) -> None:
    from core.display import DATE_FORMATS, format_date

    # F, M, N, E and b are the date filter's month names; D and l are the weekday's.
    assert not set(DATE_FORMATS[language]) & set("FMNEbDl"), DATE_FORMATS[language]
    assert format_date(dt.date(2026, 11, 24), language) == "24.11.2026"


def test_english_letters_write_the_months_name() -> None:
    from core.display import format_date

    assert format_date(dt.date(2029, 12, 6), "en") == "6 December 2029"
    assert format_date(dt.datetime(2029, 12, 5, 22, 30, tzinfo=dt.UTC), "en") == (
        "6 December 2029"  # half past midnight in Tallinn
    )


# --- refusals a requester can read -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("et", "Teile vastamiseks on vaja e-posti aadressi."),
        ("lv", "Lai mēs varētu jums atbildēt, nepieciešama e-pasta adrese."),
    ],
)
def test_the_intake_refusals_speak_the_requesters_language(language: str, expected: str) -> None:
    from subject_requests import services

    base = {"type": "access", "name": "Anna", "email": "anna@example.org", "description": ""}
    refused: list[dict[str, Any]] = [
        {**base, "email": " "},
        {**base, "type": "nonsense"},
        {**base, "name": " "},
        {**base, "via_agent": True, "agent_name": ""},
    ]
    messages = []
    for arguments in refused:
        with translation.override(language), pytest.raises(services.RequestError) as error:
            services.submit_request(language=language, **arguments)
        messages.append(str(error.value))
    assert messages[0] == expected
    english = ("An e-mail address", "Choose which", "The requester's", "Name the agent")
    assert not any(m.startswith(e) for m, e in zip(messages, english, strict=True)), messages


def test_a_withdrawal_that_comes_too_late_is_refused_in_latvian(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two clicks: the second passes the page's "still open?" check, the service refuses."""
    from selfservice import request_pages as public_views
    from subject_requests.models import Status, SubjectRequest
    from subject_requests.services import status_token

    stale = _request_at_tallinn_times()
    SubjectRequest.objects.filter(pk=stale.pk).update(status=Status.COMPLETED)
    monkeypatch.setattr(public_views, "_status_request", lambda token: stale)
    response = client.post(
        f"/privacy/request/status/{status_token(stale)}/withdraw/",
        HTTP_ACCEPT_LANGUAGE="lv",
        follow=True,
    )
    page = response.content.decode()
    assert (
        "Pieprasījuma statusu „izpildīts” nevar mainīt uz „atsaukts pēc pieprasītāja lūguma”."
        in page
    )
    assert "cannot become" not in page


# --- the error page -----------------------------------------------------------------------------


def test_the_error_page_speaks_all_three_languages_without_the_template_machinery() -> None:
    from django.test import RequestFactory
    from django.views.defaults import server_error

    source = (BASE / "templates" / "500.html").read_text(encoding="utf-8")
    assert "{%" not in source and "{{" not in source
    response = server_error(RequestFactory().get("/"))
    page = response.content.decode()
    assert response.status_code == 500
    for language, sentence in (
        ("en", "Nothing you submitted was saved half-way"),
        ("et", "Teie saadetud andmeid ei salvestatud poolikult"),
        ("lv", "Nekas no jūsu iesniegtā netika saglabāts pa pusei"),
    ):
        assert re.search(rf'<p lang="{language}">[^<]*{sentence}', page), language
