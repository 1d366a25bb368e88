"""A period a page states comes from the rule that sets it, never typed into a template.

A retention period is a row an Admin can change (`retention.models.RetentionRule`), a legal
deadline or a link's life a constant in code: a template that types "7 days" or "three years"
goes on saying it after the rule changed, and the page then disagrees with what the code does.
Templates render such periods from the rule or constant (`{% period_in_force … %}`, a
`Period` in the context). This test reads every template's visible text — its words outside
variables, comments and tag code — and fails on a number followed by a unit of time, in
English, Estonian or Latvian.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from privacyops.beat import SCHEDULE
from retention.models import RetentionRule
from subject_requests.models import DUE_SOON_DAYS
from subjects.models import Source
from tests import factories as f
from tests.fixture_types import ClientFor

TEMPLATES = Path(settings.BASE_DIR) / "templates"

NUMBERS = (
    r"\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|"
    r"fifteen|twenty|thirty|sixty|ninety|"
    # Estonian and Latvian: templates are written in English, but a copy pasted from a
    # translation would hide here.
    r"üks|kaks|kolm|neli|viis|kuus|seitse|kaheksa|üheksa|kümme|"
    r"viens|viena|divi|divas|trīs|četri|četras|pieci|piecas|seši|sešas|septiņi|septiņas|desmit"
)
UNITS = (
    r"days?|weeks?|months?|years?|"
    r"päev|päeva|päevad|päevade|nädal|nädala|nädalat|kuu|kuud|kuude|aasta|aastat|aastate|"
    r"diena|dienas|dienu|dienām|nedēļa|nedēļas|nedēļu|mēnesis|mēneši|mēnešu|mēnešiem|"
    r"gads|gadi|gadu|gadiem"
)
PERIOD = re.compile(
    rf"\b(?:{NUMBERS})(?:[\s-]+(?:further|more|calendar|working|full|whole))?[\s-]+(?:{UNITS})\b",
    re.IGNORECASE,
)

COMMENT = re.compile(r"{#.*?#}|{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", re.DOTALL)
VARIABLE = re.compile(r"{{.*?}}", re.DOTALL)
TAG = re.compile(r"{%.*?%}", re.DOTALL)
STRING = re.compile(r"\"([^\"]*)\"|'([^']*)'")

# Text that names a number and a unit of time without stating a rule's period. Each entry:
# the template, the words found, and why they are not a rule.
NOT_RULES: dict[tuple[str, str], str] = {
    ("retention/rule_detail.html", "a day"): "“the purge as of a day”: any day, not a length",
    ("subject_requests/detail.html", "a working day"): (
        "“ends on Saturday …, not a working day”: the kind of day a period ends on"
    ),
}


def visible_text(source: str) -> str:
    """The template's words: comments and variables dropped, a tag reduced to its string
    literals (the words of `{% translate "…" %}`, not its code)."""
    source = COMMENT.sub(" ", source)
    source = VARIABLE.sub(" ", source)
    return TAG.sub(lambda tag: " ".join(a or b for a, b in STRING.findall(tag.group())), source)


def periods_in(source: str) -> list[str]:
    return [" ".join(match.group().split()) for match in PERIOD.finditer(visible_text(source))]


def stated_periods() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEMPLATES.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".txt", ".xml", ".md"}:
            name = str(path.relative_to(TEMPLATES))
            found += [(name, words) for words in periods_in(path.read_text(encoding="utf-8"))]
    return found


def test_no_template_states_a_period_of_its_own() -> None:
    typed = [found for found in stated_periods() if found not in NOT_RULES]
    assert not typed, (
        f"Render these from the retention rule in force or the constant that sets them: {typed}"
    )


def test_every_exception_is_still_in_its_template() -> None:
    # A stale entry would let the same words back in elsewhere unnoticed.
    assert set(NOT_RULES) <= set(stated_periods())


@pytest.mark.parametrize(
    "source",
    [
        '{% translate "Click it within 7 days." %}',
        "We keep the record for three years.",
        "{% blocktranslate %}extend this by two further months{% endblocktranslate %}",
        "Teate saadame 30 päeva jooksul.",
        "Saite ir derīga 7 dienas.",
        "within a month of collection",
        "a 75-day trial",
    ],
)
def test_a_typed_period_is_found(source: str) -> None:
    assert periods_in(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% blocktranslate with days=link_period %}within {{ days }}{% endblocktranslate %}",
        "{% blocktranslate count days=n %}{{ days }} day{% plural %}{{ days }} days"
        "{% endblocktranslate %}",
        "{# kept 3 years: the rule says so #}",
        "{{ 7|add:days }} Paused days",
        '{% translate "Median days to answer" %}',
    ],
)
def test_a_period_from_the_code_is_not(source: str) -> None:
    assert not periods_in(source)


# --- the pages say what the rules say ----------------------------------------------------------


@pytest.mark.django_db
def test_the_request_form_states_the_period_an_admin_set_in_the_rule(
    client: Client, seeded: None
) -> None:
    RetentionRule.objects.filter(record_type="subject_requests.request").update(period_years=5)
    page = client.get("/privacy/request/").content.decode()
    assert "we keep its record for 5 years, then remove" in page
    assert "We answer within 1 month of receiving your request" in page


@pytest.mark.django_db
def test_the_subscribe_page_states_the_links_life_and_the_rules_period(
    client: Client, seeded: None
) -> None:
    RetentionRule.objects.filter(record_type="consent.pending_subscription").update(period_days=10)
    page = client.get("/p/subscribe/").content.decode()
    assert "it works for 7 days" in page and "we keep your request for 10 days" in page
    RetentionRule.objects.filter(record_type="consent.pending_subscription").update(active=False)
    page = client.get("/p/subscribe/").content.decode()
    assert "it works for 7 days" in page and "we keep your request" not in page


def test_the_reminders_description_states_the_due_soon_window_of_the_code() -> None:
    assert f"due within {DUE_SOON_DAYS} days" in SCHEDULE["daily-request-reminders"]["why"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("source", "shown"),
    [
        (Source.COLLEAGUE, "not yet"),
        (Source.PUBLIC_REGISTER, "not yet"),
        (Source.SUBJECT, "not needed: given by the person"),
        (Source.AUTOMATIC, "not needed: given by the person"),
    ],
)
def test_the_person_page_asks_for_an_art_14_notice_as_the_notice_run_does(
    client_for: ClientFor, dpo: User, source: str, shown: str
) -> None:
    person = f.DataSubjectFactory.create(source=source, informed_at=None)
    assert person.needs_information_notice == (shown == "not yet")
    page = client_for(dpo).get(person.get_absolute_url()).content.decode()
    informed = page.split("Informed (Art. 14)", 1)[1].split("</dd>", 1)[0]
    assert shown in informed
