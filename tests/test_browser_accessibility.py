"""Axe-core finds no violation on any page of any role, nor on the public
pages.

One browser, a context per role, the demo portal (`seed_demo`, `demo_activity`, as `make run`
shows it; made once for each of the two tests, which share the walks): every page type each
role can reach is audited once, detail pages with a real object (see `tests/accessibility.py`
for how the pages are found); the public pages by a visitor, and by no staff walk again.
Every walk of a test runs to its end, and a failure names the visitor, the page, the rule and
the element of every violation, of each walk that found one.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client, override_settings
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from consent.emails import unsubscribe_token
from consent.services import object_to_processing
from subject_requests.delivery import issue_link
from subject_requests.models import SubjectRequest
from subject_requests.services.identity import status_token
from subjects.models import DataSubject
from tests.accessibility import (
    Walk,
    axe_script,
    links_of,
    pages_without_arguments,
    public_page_names,
    walk_pages,
)
from tests.conftest import sign_in_page
from tests.factories import PurgeRunFactory, purpose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_portal(dpo: User, staff: User, admin_user: User, auditor: User) -> dict[str, User]:
    call_command("seed_demo", "--subjects", "40", "--if-empty", verbosity=0, stdout=StringIO())
    with override_settings(DEBUG=True):  # the command refuses to run in production
        call_command("demo_activity", "--if-empty", stdout=StringIO())
    # What the demo lacks for a page type to exist: a purge run, an objection under review.
    PurgeRunFactory.create()
    objector = DataSubject.objects.filter(kind="user", work_email__isnull=False).first()
    assert objector is not None
    object_to_processing(
        subject=objector, purpose=purpose("service"), channel="email", actor="data subject"
    )
    return {"DPO": dpo, "Staff": staff, "Admin": admin_user, "Auditor": auditor}


def public_links() -> list[str]:
    """The pages a data subject opens from an e-mail: their request's status, their answers,
    an unsubscribe link."""
    request = SubjectRequest.objects.order_by("id").first()
    person = DataSubject.objects.filter(work_email__isnull=False).order_by("id").first()
    assert request is not None and person is not None, "the demo portal has no request"
    answers = issue_link(request)
    request.save(update_fields=["delivery_nonce"])
    return [
        f"/privacy/request/status/{status_token(request)}/",
        f"/privacy/answers/{answers}/",
        f"/p/unsubscribe/{unsubscribe_token(person, purpose('direct-marketing'))}/",
    ]


def harvest(client: Client) -> list[str]:
    """The links of every request's page: each request offers the actions of its right and
    status (erasure, rectification, letters, answers), so the walk starts from all of them
    rather than from the first request it meets. Fetched without the browser, it is cheap."""
    links: list[str] = []
    for pk in SubjectRequest.objects.values_list("pk", flat=True):
        response = client.get(f"/requests/{pk}/")
        if response.status_code == 200:
            links += links_of(response.content.decode())
    return links


# The pages each walk must have reached, with real objects behind the detail pages.
MUST_REACH = {
    "visitor": {"requests_public:form", "requests_public:status", "consent_public:unsubscribe"},
    "DPO": {
        "subject_requests:detail",
        "subjects:detail",
        "subjects:retention",
        "retention:rule_detail",
        "retention:run_detail",
        "consent:objection",
    },
}
# The walks of a group share one demo portal (its making and the flush after it cost ~4-7 s a
# test); the two groups are two tests, of ~75 and ~95 s on PostgreSQL, which spread over the
# suite's workers.
GROUPS = [["DPO", "Auditor"], ["Admin", "Staff", "visitor"]]


def walk_as(who: str, browser: Browser, live_server: LiveServer, user: User | None) -> Walk:
    """One visitor's walk, in a browser context of their own: `user`'s, or nobody's."""
    origin = live_server.url.split("://", 1)[1]
    starts = ["/", *pages_without_arguments()]
    # `audit` injects axe-core as an inline script where the context has not, which the
    # portal's CSP (rightly) refuses.
    context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    if user is None:
        starts += public_links()
        walk = walk_pages(page, Client(), Walk(who), origin=origin, starts=starts)
    else:
        client = sign_in_page(page, user, live_server.url)
        starts += harvest(client)
        walk = walk_pages(
            page, client, Walk(who), origin=origin, starts=starts, skip=public_page_names()
        )
    context.close()
    return walk


def problems(walk: Walk) -> str | None:
    """What the walk found wrong, for the failure's message, if anything."""
    missed = MUST_REACH.get(walk.who, set()) - walk.names
    if missed or not walk.audited:
        return f"{walk.who} did not reach {sorted(missed) or 'any page'}: {walk.audited}"
    if walk.violations:
        return (
            f"{walk.who}: {len(walk.violations)} violations on {len(walk.audited)} pages:\n"
            + "\n".join(walk.violations)
        )
    return None


@pytest.mark.parametrize("visitors", GROUPS, ids=", ".join)
def test_axe_finds_no_violation_on_any_page_of_any_role_or_the_public_pages(
    visitors: list[str], browser: Browser, live_server: LiveServer, demo_portal: dict[str, User]
) -> None:
    axe_script()
    walks = [walk_as(who, browser, live_server, demo_portal.get(who)) for who in visitors]
    found = [problem for walk in walks if (problem := problems(walk))]
    assert not found, "\n\n".join(found)
