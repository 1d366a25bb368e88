"""Steps of a request's journey in Chromium, as the requester, the DPO and a system's owner live
them (tests/test_browser_journeys.py): each in their own browser, as in life."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import time_machine
from django.contrib.auth.models import User
from django.core import mail
from django.core.mail import EmailMessage
from playwright.sync_api import Browser, Page, expect

from subject_requests.models import SubjectRequest
from tests.conftest import log_in_page
from tests.reports_helpers import pdf_text

SHOTS = Path("test-artifacts/journeys")


def new_page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@dataclass
class People:
    """The three browsers of a journey, and the suite's frozen clock (the server's too)."""

    requester: Page
    dpo: Page
    owner: Page
    clock: time_machine.Traveller
    name: str = "journey"
    shots: int = 0

    def look(self, page: Page, step: str) -> None:
        """A screenshot of what this person sees now (test-artifacts/journeys/), to look at."""
        self.shots += 1
        page.wait_for_load_state()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SHOTS / f"{self.name}-{self.shots:02d}-{step}.png", full_page=True)

    def later(self, minutes: int = 10) -> None:
        """Time passes between two people's steps, as it does in life (on a clock that stood
        still, a report and the answer it predates would share one instant)."""
        self.clock.shift(dt.timedelta(minutes=minutes))


def people(
    browser: Browser,
    base_url: str,
    *,
    dpo: User,
    owner: User,
    clock: time_machine.Traveller,
    name: str,
) -> Iterator[People]:
    pages = People(
        requester=new_page(browser, base_url),
        dpo=log_in_page(new_page(browser, base_url), dpo),
        owner=log_in_page(new_page(browser, base_url), owner),
        clock=clock,
        name=re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60],
    )
    yield pages
    for page in (pages.requester, pages.dpo, pages.owner):
        page.context.close()


def file_request(
    cast: People,
    *,
    right: str,
    name: str,
    email: str,
    words: str,
    receiver: tuple[str, str] | None = None,
) -> SubjectRequest:
    """The public form (naming, for portability, another company to send the data to), then
    the link the confirmation e-mail carries."""
    page = cast.requester
    page.goto("/privacy/request/")
    page.get_by_label(re.compile(re.escape(right))).check()
    if receiver is not None:
        page.get_by_label(re.compile("Send my data directly to another company")).check()
        page.get_by_label("The company's name").fill(receiver[0])
        page.get_by_label("The company's e-mail address for receiving data").fill(receiver[1])
    page.get_by_label("Your name", exact=True).fill(name)
    page.get_by_label("Your e-mail address").fill(email)
    page.get_by_label("Your request").fill(words)
    cast.look(page, "public-form")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    cast.look(page, "check-your-email")
    request = SubjectRequest.objects.latest("pk")
    confirm = next(m for m in reversed(mail.outbox) if m.subject.startswith("Confirm"))
    link = re.search(r"/privacy/request/verify/[^/\s]+/", str(confirm.body))
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    expect(page.get_by_test_id("status")).to_have_text("Verified")
    cast.look(page, "verified")
    request.refresh_from_db()
    return request


def open_request(page: Page, request: SubjectRequest) -> None:
    page.goto(f"/requests/{request.pk}/")
    expect(
        page.get_by_role("heading", name=re.compile(re.escape(request.reference or "")))
    ).to_be_visible()


def record_tasks(cast: People, evidence: str) -> int:
    """A system's owner opens each of their tasks and records what they did."""
    page = cast.owner
    done = 0
    page.goto("/requests/tasks/")
    while page.get_by_test_id("open-task").count():
        page.get_by_test_id("open-task").first.click()
        cast.look(page, "owner-task")
        page.get_by_label("Done").check()
        page.get_by_label("What you did").fill(evidence)
        page.get_by_test_id("resolve-task").click()
        done += 1
        page.goto("/requests/tasks/")
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    return done


def complete(cast: People, request: SubjectRequest, outcome: str) -> None:
    page = cast.dpo
    open_request(page, request)
    cast.look(page, "request-before-completion")
    page.get_by_role("link", name="Complete", exact=True).click()
    page.get_by_label("What was done (the requester reads it in the letter)").fill(outcome)
    cast.look(page, "complete-form")
    page.get_by_role("button", name="Complete and send the letter").click()
    expect(page.get_by_text("The request is completed.")).to_be_visible()
    cast.look(page, "completed")


def keep_pdf(cast: People, content: bytes, what: str) -> Path:
    """A document as the person received it, with its pages as PNG where poppler is installed."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{cast.name}-{what}.pdf"
    path.write_bytes(content)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(path), str(path.with_suffix(""))])
    return path


def closing_mail(request: SubjectRequest) -> EmailMessage:
    return next(
        m
        for m in reversed(mail.outbox)
        if (m.to == [request.requester_email] and "/privacy/answers/" in str(m.body))
        or (m.to == [request.requester_email] and m.attachments)
    )


def letter_text(cast: People, request: SubjectRequest) -> str:
    """The closing letter as the requester reads it: the PDF attached to the e-mail (kept,
    with its pages as PNG where poppler is installed, to look at)."""
    message = closing_mail(request)
    pdfs = [a for a in message.attachments if isinstance(a, tuple) and a[2] == "application/pdf"]
    assert pdfs, "the closing e-mail carries the letter as a PDF"
    raw = pdfs[0][1]
    content = raw if isinstance(raw, bytes) else raw.encode()
    keep_pdf(cast, content, "letter")
    return " ".join(pdf_text(content).split())


def open_documents(cast: People, request: SubjectRequest) -> Page:
    """The requester follows the link of the closing e-mail."""
    page = cast.requester
    link = re.search(r"/privacy/answers/[^/\s]+/", str(closing_mail(request).body))
    assert link is not None, "the closing e-mail carries the documents' link"
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Your documents")).to_be_visible()
    cast.look(page, "documents")
    return page
