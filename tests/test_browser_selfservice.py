"""A data subject's journey on a phone (375 px wide) in Chromium — ask for a
sign-in link, open it from the e-mail, download their copy, withdraw a consent, object to
marketing and see it on the receipt — with axe-core finding nothing on any page on the way."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, ViewportSize, expect
from pytest_django.live_server_helper import LiveServer

from consent.models import Channel, ConsentEvent, EventKind
from consent.selectors import marketable_filter
from consent.services import grant_consent
from core.audit import subject_actor
from core.models import AuditEvent
from subjects.models import DataSubject, SubjectKind
from tests.accessibility import Walk, audit, axe_script
from tests.factories import DataSubjectFactory, purpose

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE: ViewportSize = {"width": 375, "height": 740}
SHOTS = "/tmp/i14-self"


def fits_the_phone(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling on a phone."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def look(page: Page, walk: Walk, name: str) -> None:
    page.wait_for_load_state()
    fits_the_phone(page)
    audit(page, walk, page.url)
    page.screenshot(path=f"{SHOTS}-{name}.png", full_page=True)


def test_a_prospect_signs_in_downloads_withdraws_objects_and_sees_the_receipt_on_a_phone(
    browser: Browser, live_server: LiveServer
) -> None:
    from core.seeding import seed_all

    seed_all()
    axe_script()
    person: DataSubject = DataSubjectFactory.create(
        kind=SubjectKind.PROSPECT_REPRESENTATIVE, work_email="mari.maasikas@lead.example",
        first_name="Mari", last_name="Maasikas", preferred_language="en",
    )  # fmt: skip
    marketing = purpose("direct-marketing")
    grant_consent(
        subject=person, purpose=marketing, channel="web_form", actor="data subject",
        wording="Monthly newsletter",
    )  # fmt: skip
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-GB",
        viewport=PHONE,
        accept_downloads=True,
        bypass_csp=True,  # axe-core is injected as an inline script; CSP: test_browser_csp
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    walk = Walk("data subject")

    page.goto("/p/me/")
    look(page, walk, "1-start")
    page.get_by_label("Your work e-mail address").fill("mari.maasikas@lead.example")
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    look(page, walk, "2-sent")

    link = re.search(r"http://\S+(/p/me/link/\S+/)", str(mail.outbox[-1].body))
    assert link is not None
    page.goto(link.group(1))
    look(page, walk, "3-open")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/p/me/data/")
    expect(page.get_by_text("mari.maasikas@lead.example").first).to_be_visible()

    page.get_by_role("button", name="Prepare my copy").click()
    page.get_by_role("link", name="Your data (PDF)").wait_for()  # built, the page reloaded
    look(page, walk, "4-data")
    with page.expect_download() as report:
        page.get_by_role("link", name="Your data (PDF)").click()
    assert report.value.suggested_filename.endswith(".pdf")
    with open(report.value.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"

    page.get_by_role("link", name="Check and update").click()
    look(page, walk, "5-correct")

    page.get_by_role("link", name="Preferences").click()
    look(page, walk, "6-preferences")
    newsletter = page.locator("section.preference", has_text="Newsletters and offers")
    newsletter.get_by_role("button", name="Withdraw my consent").click()
    page.wait_for_url("**/p/me/receipts/*/")
    expect(page.get_by_text("Withdrawn").first).to_be_visible()
    look(page, walk, "7-receipt-withdrawal")
    assert not marketable_filter(
        DataSubject.objects.filter(pk=person.pk), purpose=marketing
    ).exists()

    page.get_by_role("link", name="Back to your preferences").click()
    prospects = page.locator("section.preference", has_text="Market the platform to trial")
    prospects.get_by_role("button", name="Object").click()
    expect(page.get_by_role("heading", name="Consent receipt")).to_be_visible()
    expect(page.get_by_text("Objected").first).to_be_visible()
    expect(page.get_by_text("Market the platform to trial and demo clients").first).to_be_visible()
    look(page, walk, "8-receipt-objection")

    objection = ConsentEvent.objects.get(purpose=purpose("prospect-marketing"))
    assert objection.kind == EventKind.OBJECTED and objection.channel == Channel.SELF_SERVICE
    assert objection.actor_label == subject_actor(person.pk)
    assert f"consent-event-{objection.pk}" in page.content()
    assert AuditEvent.objects.filter(action="selfservice.copy_downloaded").count() == 1
    context.close()

    assert not walk.violations, "\n".join(walk.violations)
