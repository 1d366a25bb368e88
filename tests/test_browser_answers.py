"""The journey in Chromium: the DPO answers an access request — builds the report,
watches its progress finish, opens it, reviews it and completes the request — in five
actions, and the requester downloads it with their link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Page, expect

from subject_requests import services
from subject_requests.models import Answer, Status, SubjectRequest
from subject_requests.tasks import build_answer_task
from tests.factories import DataSubjectFactory
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_dpo_builds_reviews_and_sends_an_access_report(
    page: Page, login_in_browser: LoginInBrowser, dpo: User, monkeypatch: Any, seeded: None
) -> None:
    DataSubjectFactory.create(
        first_name="Mari", last_name="Maasikas", work_email="mari@company.example"
    )
    request = services.verify_manually(
        request=services.submit_request(
            type="access", name="Mari Maasikas", email="mari@company.example", description=""
        ),
        asked="The invoice number",
        shown="Quoted correctly",
        subject_email="mari@company.example",
        actor=dpo,
    )
    # The build waits for a worker, as in production, so the page shows it queued; the test
    # then plays the worker.
    queued: list[int] = []
    monkeypatch.setattr(build_answer_task, "delay", lambda answer_id: queued.append(answer_id))

    login_in_browser(dpo)
    page.goto(f"/requests/{request.pk}/")
    page.get_by_role("button", name="Build: Access report (Art. 15)").click()  # 1
    progress = page.locator("[data-progress-url]")
    expect(progress).to_be_visible()
    assert progress.locator("progress").count() == 1

    [answer_id] = queued
    services.run_answer_build(answer_id=answer_id)
    # The page polls the progress and reloads by itself when the report is ready.
    review = page.get_by_test_id("review-answer")
    expect(review).to_be_visible(timeout=10_000)

    with page.expect_popup() as opened:
        page.get_by_test_id("open-answer").click()  # 2
    popup = opened.value
    assert popup.url.endswith(f"/answers/{answer_id}/file/")
    pdf = page.request.get(popup.url)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"
    popup.close()

    review.click()  # 3
    expect(page.get_by_text("reviewed", exact=True)).to_be_visible()

    page.get_by_role("link", name="Complete", exact=True).click()  # 4
    page.get_by_label("What was done (the requester reads it in the letter)").fill(
        "We sent you the report of your data."
    )
    with page.expect_popup() as letter:
        page.get_by_test_id("preview-html").click()
    expect(letter.value.get_by_text("We sent you the report of your data.")).to_be_visible()
    letter.value.close()
    page.get_by_role("button", name="Complete and send the letter").click()  # 5
    expect(page.get_by_text("The request is completed.")).to_be_visible()

    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    assert Answer.objects.get(pk=answer_id).reviewed_by == dpo
    closing = next(m for m in mail.outbox if "/privacy/answers/" in str(m.body))
    link = re.search(r"/privacy/answers/[^/\s]+/", str(closing.body))
    assert link is not None
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Your documents")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Access report (Art. 15)").click()
    assert download.value.suggested_filename.startswith("access-report-DSR-")
    assert SubjectRequest.objects.get(pk=request.pk).answers.get(pk=answer_id).downloads == 1
