"""Every screen and command speaks in the domain's words: no
Python dict or repr, no `app.model` label, no comma-joined ids, no language code; one date and
time format on the staff pages, in Tallinn time; plural forms through ngettext."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from importlib import import_module
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, RequestFactory

from core.audit import record_event
from core.display import staff_date, staff_datetime
from retention.alarms import purge_panel
from retention.models import PurgeRun, RetentionRule
from retention.services.purge import run_purge
from retention.services.rules import rule_values, save_rule
from tests import factories as f
from tests.fixture_types import ClientFor
from tests.visible_words import internal_names, visible_text

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


def test_the_check_reads_what_the_reader_sees() -> None:
    html = (
        "<title>Person</title><style>.first_name{}</style><script>let work_email;</script>"
        '<p>Mari <input value="first_name" placeholder="e.g. work_email"> mari_tamm@example.com'
        "</p><p>{'kind': 'prospect_representative'} subjects.prospect</p>"
    )
    found = internal_names(html)
    names = [finding.partition(" in ")[0] for finding in found]
    assert names == ["'work_email'", '"{\'"', "'prospect_representative'", "'subjects.prospect'"]
    assert found[0] == "'work_email' in “e.g. work_email”"
    assert "let" not in visible_text(html) and "Mari" in visible_text(html)


def test_the_audit_log_says_grounds_fields_statuses_targets_and_nested_details_in_words(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    person = f.DataSubjectFactory.create()
    request = f.SubjectRequestFactory.create()
    record_event(
        action="subject.restricted", actor=dpo, target=person,
        details={"ground": "accuracy_contested"},
    )  # fmt: skip
    record_event(
        action="subject.updated", actor=dpo, target=person,
        details={"fields": ["first_name", "work_email"]},
    )  # fmt: skip
    record_event(
        action="request.status_changed", actor=dpo, target=request,
        details={"old": "awaiting_identity", "new": "in_progress"},
    )  # fmt: skip
    record_event(
        action="consent.subject_viewed", actor=dpo, target=person,
        details={"page": "consent.ledger"},
    )  # fmt: skip
    record_event(
        action="django_celery_beat.periodictask.changed", actor=dpo,
        target_type="django_celery_beat.periodictask", target_id=4,
        details={"via": "admin", "now": {"enabled": False, "one_off": False, "tags": ["a", "b"]}},
    )  # fmt: skip
    record_event(action="auth.logged_in", actor=dpo, target=dpo)
    page = client_for(dpo).get("/audit/").content.decode()
    text = visible_text(page)
    assert internal_names(page) == []
    assert "ground: Accuracy contested, while it is checked" in text
    assert "fields: first name, work e-mail" in text
    assert "old: Awaiting identity; new: In progress" in text
    assert "page: Consent ledger" in text
    assert "now: (enabled: no, one off: no, tags: a, b)" in text
    assert f"User #{dpo.pk}" in text and "Periodic task: Changed in the admin" in text
    assert "Changed a request's status" in text and "request.status_changed" not in text


def test_a_request_timeline_names_the_corrected_fields_and_the_ground_of_a_restriction(
    seeded: None, dpo: User, client_for: ClientFor
) -> None:
    from subject_requests.services import changes
    from tests.test_change_rights import request_for

    person = f.DataSubjectFactory.create(work_email="kadri@acme.example")
    rectification = request_for(person, dpo, "rectification")
    changes.rectify(
        request=rectification, subject=person, actor=dpo,
        fields={"first_name": "Kadrī", "work_email": "kadri.kask@acme.example"},
    )  # fmt: skip
    person.refresh_from_db()
    restriction = request_for(person, dpo, "restriction")
    changes.restrict(request=restriction, subject=person, ground="accuracy_contested", actor=dpo)
    client = client_for(dpo)
    corrected = client.get(f"/requests/{rectification.pk}/").content.decode()
    assert "Rectified: first name, work e-mail" in visible_text(corrected)
    restricted = client.get(f"/requests/{restriction.pk}/").content.decode()
    assert "(Art. 18(1)): Accuracy contested, while it is checked" in visible_text(restricted)
    assert internal_names(corrected) == internal_names(restricted) == []


def test_a_persons_form_shows_their_organisation_by_name_unless_a_namesake_needs_the_code(
    dpo: User, client_for: ClientFor
) -> None:
    organisation = f.OrganisationFactory.create(name="Acme AS", registry_code="10000002")
    person = f.DataSubjectFactory.create(organisation=organisation)
    client = client_for(dpo)
    form = client.get(f"/subjects/{person.pk}/edit/").content.decode()
    assert 'value="Acme AS"' in form and "10000002" not in form
    f.OrganisationFactory.create(name="ACME AS", registry_code="10000003")
    form = client.get(f"/subjects/{person.pk}/edit/").content.decode()
    assert 'value="10000002"' in form


def test_the_subscription_rule_gives_the_links_life_in_days_not_by_the_codes_constant(
    seeded: None,
) -> None:
    migration = import_module("consent.migrations.0010_subscription_rule_in_words")
    rule = RetentionRule.objects.get(code=migration.CODE)
    assert rule.legal_reference.endswith("confirmation link works (7 days)")
    RetentionRule.objects.filter(pk=rule.pk).update(legal_reference=migration.BY_THE_CODE)
    migration.in_words(django_apps, None)
    rule.refresh_from_db()
    assert rule.legal_reference.endswith("confirmation link works (7 days)")


def test_the_admin_names_record_types_anchors_kinds_and_statuses_in_words(
    seeded: None, admin_user: User, client_for: ClientFor
) -> None:
    rule = RetentionRule.objects.get(record_type="subjects.prospect")
    from processing.models import Purpose, System
    from subjects.models import KindChange

    person = f.ProspectFactory.create()
    change = KindChange.objects.create(
        subject=person, kind="prospect_representative", changed_on=dt.date(2026, 1, 5)
    )
    client = client_for(admin_user)
    pages = [
        "/admin/retention/retentionrule/",
        f"/admin/retention/retentionrule/{rule.pk}/change/",
        f"/admin/subjects/kindchange/{change.pk}/change/",
        f"/admin/processing/purpose/{Purpose.objects.get(code='service').pk}/change/",
        f"/admin/processing/system/{System.objects.order_by('pk')[0].pk}/change/",
    ]
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        assert internal_names(page.content.decode()) == [], path
    assert "Prospect data" in visible_text(client.get(pages[0]).content.decode())
