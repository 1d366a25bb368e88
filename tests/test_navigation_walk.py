"""Every page a role may open is reachable by clicking, no page offers a link its viewer
may not open, every page has a plain, specific title, and no page shows the code's own names
(an identifier, an `app.model` label, a printed dict) where the domain has words.

Each role walks the portal from the home page over a demo population, following every link
to a staff page (breadth first, each path once). The walk must reach every page of the
permission matrix that the role may open and that needs no id (the ones with an id are
reached from their lists), and it must never meet a link to a page that answers 403.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterator
from html import unescape
from html.parser import HTMLParser
from io import StringIO
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.exceptions import Resolver404

from core.permissions import MATRIX, Role, declared_permission, has_permission
from tests.accessibility import title_problem
from tests.visible_words import internal_names, visible_text

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.S)

# Pages reached otherwise than by a link: the login flow's second step, and forms that only
# answer a POST from the page they belong to.
NOT_LINKED = {"two_factor_verify", "consent:suppress", "subject_requests:bulk_assign"}
# Offered only for a kind of record that no rule governs: a seeded portal has none
# (tests/test_rule_form.py checks the offer when one is missing).
NOT_LINKED |= {"retention:rule_create"}
# Offered only while the nightly purge is paused (tests/test_purge_pause.py follows it).
NOT_LINKED |= {"retention:purge_resume"}
# The DPO's dashboard is their home page ("/"); `/dashboard/` is the same page by name.
NOT_LINKED |= {"dashboard"}
# The API's reference is for programmers: it names the fields as the API spells them.
SPEAKS_CODE = {"api_docs"}
MAX_PAGES = 400
# Pages of one view (a person's page, a request's) differ by their row: a few of each show
# the links each kind of row offers; walking all forty people adds time, not findings.
PAGES_PER_VIEW = 3


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def _patterns(
    patterns: list[URLPattern | URLResolver],
    prefix: str = "",
    ns: str = "",
    apps: tuple[str, ...] = (),
) -> Iterator[tuple[str, str, str | None]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                pattern.namespace or ns,
                apps + ((pattern.app_name,) if pattern.app_name else ()),
            )
        else:
            name = f"{ns}:{pattern.name}" if ns else str(pattern.name)
            yield prefix + str(pattern.pattern), name, declared_permission(pattern.callback, apps)


def pages_without_an_id(role: Role) -> set[str]:
    """The staff pages the role may open that need no id."""
    expected = set()
    for route, name, key in _patterns(get_resolver().url_patterns):
        if "<" in route or key is None or MATRIX[key].public or name in NOT_LINKED:
            continue
        if key == "admin.site":
            continue
        if route.startswith("api/") and name != "api_docs":
            continue  # the API's endpoints answer programs, not people; its docs are a page
        if role in MATRIX[key].roles:
            expected.add(name)
    if role in MATRIX["admin.site"].roles:
        expected.add("admin:index")
    return expected


def staff_links(html: str, user: User) -> Iterator[tuple[str, bool]]:
    """Each link of a page to a staff page of the portal, and whether `user` may open it."""
    parser = _Links()
    parser.feed(html)
    for href in parser.hrefs:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        try:
            target = resolve(parts.path)
        except Resolver404:
            continue
        key = declared_permission(target.func, target.app_names)
        if key is None or MATRIX[key].public or target.view_name == "logout":
            continue
        if key == "admin.site" and target.view_name != "admin:index":
            continue  # the admin's own pages are Django's; the walk checks the way in
        yield href, has_permission(user, key)


def walk(client: Client, user: User) -> tuple[set[str], list[str]]:
    """(the url names reached, the problems met: links that answer 403 or that the matrix
    refuses, pages whose title is not a plain, specific one, and pages that show the code's
    own names — an identifier, an `app.model` label, a printed dict — for the domain's words)."""
    seen: set[str] = set()
    reached: set[str] = set()
    problems: list[str] = []
    per_view: Counter[str] = Counter()
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        path = queue.popleft()
        if path in seen:
            continue
        seen.add(path)
        try:
            match = resolve(urlsplit(path).path)
        except Resolver404:
            continue
        if per_view[match.view_name] >= PAGES_PER_VIEW:
            continue
        per_view[match.view_name] += 1
        response = client.get(path)
        if response.status_code == 403:
            problems.append(path)
            continue
        assert response.status_code < 500, path
        reached.add(match.view_name)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        title = TITLE.search(response.content.decode())
        problem = title_problem(unescape(title.group(1)) if title else "")
        if problem and not match.view_name.startswith("admin:"):  # Django's own titles
            problems.append(f"{path}: the title {problem}")
        if match.view_name not in SPEAKS_CODE:
            problems += [f"{path}: {name}" for name in internal_names(response.content.decode())]
        for href, allowed in staff_links(response.content.decode(), user):
            if not allowed:
                problems.append(f"{path} → {href}")
                continue
            # The pages of a list are reached through the first; a query string is a filter.
            queue.append(urlsplit(href).path)
    return reached, problems


@pytest.fixture
def demo(seeded: None, settings: Any) -> None:
    call_command("seed_demo", "--subjects", "40", stdout=StringIO(), stderr=StringIO())
    settings.DEBUG = True  # the demo logins and activity refuse to run elsewhere
    call_command("demo_users", "-v0", stdout=StringIO())
    call_command("demo_activity", stdout=StringIO(), stderr=StringIO())
    settings.DEBUG = False


@pytest.mark.parametrize("username", ["dpo", "staff", "admin", "auditor"])
def test_every_page_a_role_may_open_is_reachable_and_no_link_is_refused(
    demo: None, username: str, client: Client
) -> None:
    user = User.objects.get(username=username)
    client.force_login(user)
    (role,) = [role for role in Role if user.groups.filter(name=role.value).exists()]
    reached, problems = walk(client, user)
    assert not problems, "\n".join(problems)
    assert pages_without_an_id(role) - reached == set()


def test_the_audit_log_says_every_kind_of_event_of_the_demo_in_words(
    demo: None, client: Client
) -> None:
    """The walk sees the log's first page; each kind of event has details of its own shape,
    so each is opened by its own filter, after a walk has added the reads it records."""
    from core.models import AuditEvent

    dpo = User.objects.get(username="dpo")
    client.force_login(dpo)
    walk(client, dpo)
    problems = []
    codes = sorted(set(AuditEvent.objects.values_list("action", flat=True)))
    for code in codes:
        page = client.get("/audit/", {"action": code}).content.decode()
        problems += [f"{code}: {name}" for name in internal_names(page)]
        if code in visible_text(page):
            problems.append(f"{code}: the event's code is shown")
    assert len(codes) > 20
    assert not problems, "\n".join(problems)


def test_the_auditor_finds_the_retention_rules_in_the_navigation(
    auditor: User, client: Client
) -> None:
    client.force_login(auditor)
    page = client.get("/").content.decode()
    assert 'href="/retention/rules/"' in page


def test_a_rule_page_with_a_larger_purge_pending_offers_its_extra_records_only_to_who_may_see_them(
    seeded: None, dpo: User, admin_user: User, auditor: User, staff: User
) -> None:
    """A pending change that enlarges the purge links its extra records (the purge preview's
    permission): the DPO and the Admin follow the link, the Auditor is not offered it."""
    from dateutil.relativedelta import relativedelta

    from core.timeutil import legal_today
    from retention.models import RetentionRule
    from tests.factories import ClaimFactory
    from tests.retention_helpers import propose_nine_year_claims

    rule = RetentionRule.objects.get(code="claims-10y")
    # Fell due 9½ years ago: kept under 10 years, purged under 9.
    ClaimFactory.create(fell_due_on=legal_today() - relativedelta(years=9, months=6))
    change = propose_nine_year_claims(admin_user)
    extra = f"/retention/changes/{change.pk}/extra/"
    for user in (dpo, admin_user, auditor):
        client = Client()
        client.force_login(user)
        page = client.get(f"/retention/rules/{rule.pk}/")
        assert page.status_code == 200, user
        links = list(staff_links(page.content.decode(), user))
        assert [href for href, allowed in links if not allowed] == [], user
        offered = any(href == extra for href, _ in links)
        assert offered == (user is not auditor), user
        if offered:
            assert client.get(extra).status_code == 200
