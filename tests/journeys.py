"""Steps of a request's journey in Chromium, as the requester, the DPO and a system's owner live
them (tests/test_browser_journeys.py): each in their own browser, as in life."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail import EmailMessage
from playwright.sync_api import Browser, Page, expect

from subject_requests.models import SubjectRequest
from tests.conftest import SECOND_FACTOR_ROLES, current_totp, persona_authenticator
from tests.reports_helpers import pdf_text

PASSWORD = "correct horse battery"


def new_page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def log_in(page: Page, user: User) -> Page:
    needs_code = user.groups.filter(name__in=SECOND_FACTOR_ROLES).exists()
    device = persona_authenticator(user) if needs_code else None
    page.goto("/login/")
    page.get_by_label("Username").fill(user.get_username())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    if device is not None:
        page.wait_for_url("**/account/2fa/verify/**")
        page.get_by_label("Code").fill(current_totp(device))
        page.get_by_role("button", name="Verify").click()
    page.wait_for_url("**/")
    return page


@dataclass
class People:
    """The three browsers of a journey, and the suite's frozen clock (the server's too)."""

    requester: Page
    dpo: Page
    owner: Page
    clock: time_machine.Traveller

    def later(self, minutes: int = 10) -> None:
        """Time passes between two people's steps, as it does in life (on a clock that stood
        still, a report and the answer it predates would share one instant)."""
        self.clock.shift(dt.timedelta(minutes=minutes))


def people(
    browser: Browser, base_url: str, *, dpo: User, owner: User, clock: time_machine.Traveller
) -> Iterator[People]:
    pages = People(
        requester=new_page(browser, base_url),
        dpo=log_in(new_page(browser, base_url), dpo),
        owner=log_in(new_page(browser, base_url), owner),
        clock=clock,
    )
    yield pages
    for page in (pages.requester, pages.dpo, pages.owner):
        page.context.close()


def file_request(page: Page, *, right: str, name: str, email: str, words: str) -> SubjectRequest:
    """The public form, then the link the confirmation e-mail carries."""
    page.goto("/privacy/request/")
    page.get_by_label(re.compile(re.escape(right))).check()
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Your e-mail address").fill(email)
    page.get_by_label("Your request").fill(words)
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    request = SubjectRequest.objects.latest("pk")
    confirm = next(m for m in reversed(mail.outbox) if m.subject.startswith("Confirm"))
    link = re.search(r"/privacy/request/verify/[^/\s]+/", str(confirm.body))
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    expect(page.get_by_test_id("status")).to_have_text("Verified")
    request.refresh_from_db()
    return request


def open_request(page: Page, request: SubjectRequest) -> None:
    page.goto(f"/requests/{request.pk}/")
    expect(
        page.get_by_role("heading", name=re.compile(re.escape(request.reference or "")))
    ).to_be_visible()


def record_tasks(page: Page, evidence: str) -> int:
    """A system's owner opens each of their tasks and records what they did."""
    done = 0
    page.goto("/requests/tasks/")
    while page.get_by_test_id("open-task").count():
        page.get_by_test_id("open-task").first.click()
        page.get_by_label("Done").check()
        page.get_by_label("What you did").fill(evidence)
        page.get_by_test_id("resolve-task").click()
        done += 1
        page.goto("/requests/tasks/")
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    return done


def complete(page: Page, request: SubjectRequest, outcome: str) -> None:
    open_request(page, request)
    page.get_by_role("link", name="Complete", exact=True).click()
    page.get_by_label("What was done (the requester reads it in the letter)").fill(outcome)
    page.get_by_role("button", name="Complete and send the letter").click()
    expect(page.get_by_text("The request is completed.")).to_be_visible()


def closing_mail(request: SubjectRequest) -> EmailMessage:
    return next(
        m
        for m in reversed(mail.outbox)
        if (m.to == [request.requester_email] and "/privacy/answers/" in str(m.body))
        or (m.to == [request.requester_email] and m.attachments)
    )


def letter_text(request: SubjectRequest) -> str:
    """The closing letter as the requester reads it: the PDF attached to the e-mail."""
    message = closing_mail(request)
    pdfs = [a for a in message.attachments if isinstance(a, tuple) and a[2] == "application/pdf"]
    assert pdfs, "the closing e-mail carries the letter as a PDF"
    content = pdfs[0][1]
    return " ".join(pdf_text(content if isinstance(content, bytes) else content.encode()).split())


def open_documents(page: Page, request: SubjectRequest) -> Page:
    """The requester follows the link of the closing e-mail."""
    link = re.search(r"/privacy/answers/[^/\s]+/", str(closing_mail(request).body))
    assert link is not None, "the closing e-mail carries the documents' link"
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Your documents")).to_be_visible()
    return page
