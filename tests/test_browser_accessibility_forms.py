"""axe-core on the pages only a form reaches: the walk of
`test_browser_accessibility.py` follows links, so a page a POST answers with — a confirmation
step, a secret shown once, a form re-displayed with its errors — is audited here.

Each page is fetched as its user would reach it (a POST through the test client, the session
logged in with its second factor), then written into a browser page on the live server, so
its styles and scripts load from the portal as they would after the real POST, and audited.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.test import Client
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from processing.models import Connector, Purpose
from retention.models import RetentionRule
from subjects.models import SubjectKind
from tests.accessibility import Walk, audit
from tests.factories import DataSubjectFactory, SystemFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def posted(
    user: User | None,
    path: str,
    data: dict[str, object],
    *,
    follow: bool = False,
    status: int = 200,
) -> str:
    client = Client()
    if user is not None:
        client.force_login(user)  # with the second factor, as after a real login
    response = client.post(path, data, follow=follow)
    assert response.status_code == status, (path, response.status_code)
    return response.content.decode()


def rule_form(rule: RetentionRule, **changes: object) -> dict[str, object]:
    return {
        "name": rule.name, "anchor": rule.anchor, "period_years": rule.period_years,
        "period_months": rule.period_months, "period_days": rule.period_days,
        "action": rule.action, "legal_reference": rule.legal_reference,
        "description": rule.description, "active": "on", **changes,
    }  # fmt: skip


def test_axe_finds_no_violation_on_pages_a_form_answers_with(
    browser: Browser,
    live_server: LiveServer,
    staff: User,
    dpo: User,
    admin_user: User,
    marketing: Purpose,
) -> None:
    prospect = DataSubjectFactory.create(
        kind=SubjectKind.PROSPECT, work_email="mari@company.example", first_name="Mari"
    )
    system = SystemFactory.create(
        name="Billing webhook",
        owner=admin_user,
        connector=Connector.WEBHOOK,
        webhook_url="https://billing.example/privacyops",
    )
    rule = RetentionRule.objects.get(code="claims-10y")
    shorter = rule_form(
        rule,
        period_years=9,
        name="Claims: 9 years after falling due",
        legal_reference=rule.legal_reference.replace("10 years", "9 years"),
        reason="The limitation period is 9 years",
    )
    objection = {"all_marketing": "on", "channel": "phone", "occurred_at": "2025-06-09T10:00"}
    expires = (dt.date.today() + dt.timedelta(days=90)).isoformat()
    pages = {
        "objection logged, confirm": posted(
            staff, f"/consent/log/{prospect.pk}/", {**objection, "step": "review"}
        ),
        "objection logged, errors": posted(
            staff,
            f"/consent/log/{prospect.pk}/",
            {"channel": "email", "occurred_at": "2999-01-01T10:00", "step": "review"},
        ),
        "address suppressed, confirm": posted(
            staff,
            "/consent/log/suppress/",
            {
                "email": "nobody@else.example",
                "channel": "email",
                "suppressed_on": "2025-06-01",
                "step": "review",
            },
        ),
        "API key created, secret shown once": posted(
            admin_user,
            "/settings/api-keys/",
            {"name": "Platform", "scopes": ["subjects:read"], "expires_on": expires},
        ),
        "API key form, errors": posted(admin_user, "/settings/api-keys/", {"name": ""}),
        "webhook secret shown once": posted(
            admin_user, f"/processing/systems/{system.pk}/secret/", {}
        ),
        "recovery codes renewed": posted(dpo, "/account/2fa/", {"step": "renew"}),
        "retention rule form, errors": posted(
            admin_user, f"/retention/rules/{rule.pk}/edit/", rule_form(rule, period_years=9)
        ),
        # Forms re-displayed with their errors: every error and help text carries the id
        # its input's description names (`audit` checks every reference).
        "breach form, errors": posted(dpo, "/breaches/new/", {"title": "Laptop left on a train"}),
        "person form, errors": posted(dpo, "/subjects/new/", {"kind": "user"}),
        "system form, errors": posted(admin_user, "/processing/systems/new/", {"name": ""}),
        "request form (public), errors": posted(
            None, "/privacy/request/", {"type": "access", "email": "not an address"}, status=400
        ),
        "self-service sign-in (public), errors": posted(
            None, "/p/me/", {"email": "nope"}, status=400
        ),
        "retention rule changed, its history": posted(
            admin_user, f"/retention/rules/{rule.pk}/edit/", shorter, follow=True
        ),
    }
    # Each page is what it claims to be, not an error page that happens to pass.
    assert "Confirm" in pages["objection logged, confirm"]
    assert "Tick at least one purpose" in pages["objection logged, errors"]
    assert "Confirm and suppress" in pages["address suppressed, confirm"]
    assert "subjects:read" in pages["API key created, secret shown once"]
    assert "Billing webhook" in pages["webhook secret shown once"]
    assert "Your recovery codes" in pages["recovery codes renewed"]
    assert "This field is required" in pages["API key form, errors"]
    assert 'class="errorlist' in pages["retention rule form, errors"]
    assert "The limitation period is 9 years" in pages["retention rule changed, its history"]
    for name, html in pages.items():
        if name.endswith("errors"):
            assert 'aria-invalid="true"' in html and "_error" in html, name

    context = browser.new_context(base_url=live_server.url, locale="en-GB", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    walk = Walk("form answers")
    for name, html in pages.items():
        page.goto("/login/")  # the live server's origin, so the page's styles load from it
        page.set_content(html, wait_until="load")
        audit(page, walk, name)
        walk.audited.append(name)
    context.close()
    assert len(walk.audited) == len(pages)
    assert not walk.violations, "\n".join(walk.violations)
