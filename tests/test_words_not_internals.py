"""Every screen and command speaks in the domain's words: no
Python dict or repr, no `app.model` label, no comma-joined ids, no language code; one date and
time format on the staff pages, in Tallinn time; plural forms through ngettext."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, RequestFactory

from core.display import staff_date, staff_datetime
from retention.alarms import purge_panel
from retention.models import PurgeRun, RetentionRule
from retention.services.purge import run_purge
from retention.services.rules import rule_values, save_rule
from tests import factories as f
from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TALLINN = ZoneInfo("Europe/Tallinn")
NOW = dt.datetime(2025, 6, 1, 3, 0, tzinfo=TALLINN)
LONG_AGO = dt.datetime(2020, 1, 5, 12, tzinfo=TALLINN)
REPR = re.compile(r"\{'|\{\}|<[A-Z]\w+: |\bsubjects\.\w+\b")


@pytest.fixture
def purged(seeded: None) -> PurgeRun:
    with time_machine.travel(NOW, tick=False):
        for _ in range(3):
            f.ProspectFactory.create(collected_at=LONG_AGO)
        return run_purge(as_of=dt.date(2025, 6, 1), dry_run=False, actor="test")


def test_a_run_page_names_rules_tables_and_people_in_words(
    purged: PurgeRun, dpo: User, client_for: ClientFor
) -> None:
    page = client_for(dpo).get(f"/retention/runs/{purged.pk}/").content.decode()
    assert "Prospect data: 1 year" in page
    assert "Data subjects: " in page
    assert "3 people" in page
    assert not REPR.search(page)
    assert not re.search(r",\d+,\d+,", page)


def test_the_purge_command_says_each_rule_in_words(purged: PurgeRun) -> None:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("purge", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "Prospect data: 1 year: 0 records due" in text
    assert "Invoice data" in text and "In all: 0 records" in text
    assert "{" not in text and "prospects-1y" not in text


def test_a_bad_day_for_the_purge_command_is_one_line_and_exit_status_2() -> None:
    done = subprocess.run(
        [sys.executable, "manage.py", "purge", "--as-of", "2027-13-01"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "manage.py purge: error: argument --as-of: must be a real day as YYYY-MM-DD, "
        "not '2027-13-01'"
    ]


def test_rule_history_and_the_audit_log_show_labelled_values_not_dicts(
    seeded: None, admin_user: User, dpo: User, client_for: ClientFor
) -> None:
    rule = RetentionRule.objects.get(code="claims-10y")
    values = rule_values(rule) | {
        "period_years": 9,
        "name": "Claims: 9 years",
        "legal_reference": "LOA",
    }
    save_rule(rule=rule, values=values, actor=admin_user, reason="Shorter")
    client = client_for(dpo)
    history = client.get(f"/retention/rules/{rule.pk}/").content.decode()
    assert "Fields: Legal reference, Name, Period years" in history
    assert "Reason: Shorter" in history
    assert not REPR.search(history)
    audit = client.get("/audit/").content.decode()
    shown = re.sub(r"<[^>]*>", " ", audit)  # what the reader sees: a filter's codes are values
    assert "Retention rule #" in shown and "retention.retentionrule" not in shown
    assert not REPR.search(shown)


def test_the_request_page_names_the_language(dpo: User, client_for: ClientFor) -> None:
    request = f.SubjectRequestFactory.create(language="et")
    page = client_for(dpo).get(f"/requests/{request.pk}/").content.decode()
    assert re.search(r"Language</dt>\s*<dd>Eesti</dd>", page)


def test_the_home_page_shows_the_last_purge_in_tallinn_time_and_in_the_singular(
    seeded: None, dpo: User
) -> None:
    # 23:30 UTC on 31 May is 02:30 on 1 June in Tallinn.
    run = f.PurgeRunFactory.create(
        status="succeeded",
        total=1,
        finished_at=dt.datetime(2025, 5, 31, 23, 30, tzinfo=dt.UTC),
    )
    request = RequestFactory().get("/")
    request.user = dpo
    panel = purge_panel(request)
    assert panel is not None
    assert panel["lines"][0]["text"] == "Last purge: 01.06.2025 02:30, 1 record"
    assert run.pk


def test_one_date_format_for_every_staff_page() -> None:
    assert staff_date(dt.date(2025, 6, 1)) == "01.06.2025"
    assert staff_datetime(dt.datetime(2025, 5, 31, 23, 30, tzinfo=dt.UTC)) == "01.06.2025 02:30"
    public: tuple[str, ...] = ("public/", "consent/public/", "subject_requests/public/")
    public += ("emails/", "letters/")
    public += ("reports/", "subject_requests/emails/", "selfservice/")
    offenders = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        relative = path.relative_to(Path(settings.BASE_DIR, "templates")).as_posix()
        if relative.startswith(public):
            continue
        for fmt in re.findall(r'\|date:"([^"]*)"', path.read_text()):
            if re.search(r"[dDjmMnNyYFb]", fmt):  # a day, a month or a year: use staff_date
                offenders.append(f"{relative}: {fmt}")
    assert offenders == []


def test_counts_agree_with_their_noun(seeded: None, dpo: User, client: Client) -> None:
    client.force_login(dpo)
    with time_machine.travel(NOW, tick=False):
        f.ProspectFactory.create(collected_at=LONG_AGO)
        page = client.get("/retention/").content.decode()
    assert "1</strong> records" not in page and "<strong>1</strong> record due" in page


@pytest.mark.parametrize(("language", "forms"), [("et", 2), ("lv", 3)])
def test_every_plural_entry_has_the_forms_its_language_counts(language: str, forms: int) -> None:
    """Estonian has two plural forms, Latvian three (the catalogues' Plural-Forms headers):
    an entry with another number of forms breaks the count it translates."""
    catalogue = Path(settings.BASE_DIR, "locale", language, "LC_MESSAGES", "django.po")
    text = catalogue.read_text()
    assert f"Plural-Forms: nplurals={forms};" in text
    wrong = []
    for block in text.split("\n\n"):
        plural = re.search(r"^msgid_plural ", block, re.M)
        if plural and len(re.findall(r"^msgstr\[\d\]", block, re.M)) != forms:
            wrong.append(block.split("msgid_plural")[0].strip().splitlines()[-1])
    assert wrong == []


def test_the_catalogues_compile(tmp_path: Path) -> None:
    for language in ("et", "lv"):
        catalogue = Path(settings.BASE_DIR, "locale", language, "LC_MESSAGES", "django.po")
        done = subprocess.run(
            ["msgfmt", "--check-format", "-o", str(tmp_path / f"{language}.mo"), str(catalogue)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr


# The staff's own e-mail among the e-mails: it writes the staff pages' format.
STAFF_MAIL = {"emails/requests/reminder.html", "emails/requests/reminder.txt"}


def test_letters_and_pages_for_people_write_dates_in_their_language() -> None:
    """What a data subject reads — public and self-service pages, letters, e-mails — writes a
    day in one format per language (`person_date`: core.display.format_date), never with the
    date filter's own format (an ISO date, a staff page's d.m.Y)."""
    base = Path(settings.BASE_DIR, "templates")
    offenders = []
    folders = ("public", "consent/public", "subject_requests/public", "selfservice", "emails")
    for folder in (*folders, "letters", "reports"):
        for path in (base / folder).rglob("*"):
            name = str(path.relative_to(base))
            if path.is_file() and name not in STAFF_MAIL:
                text = path.read_text()
                offenders += [f"{name}: {fmt}" for fmt in re.findall(r"\|date:(\S+)", text)]
                offenders += [f"{name}: staff_date" for _ in re.findall(r"staff_date", text)]
    assert offenders == []
