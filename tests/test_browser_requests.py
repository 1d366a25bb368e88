"""The journey in Chromium: a person files a request, confirms their e-mail, and the DPO
finds it in the queue, assigns it and sees its due date."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Page

from core.timeutil import legal_date
from subject_requests.models import Status, SubjectRequest
from tests.factories import DataSubjectFactory
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_a_filed_request_is_verified_by_link_and_assigned_by_the_dpo(
    page: Page, login_in_browser: LoginInBrowser, dpo: User
) -> None:
    DataSubjectFactory.create(
        first_name="Mari", last_name="Maasikas", work_email="mari@company.example"
    )

    page.goto("/privacy/request/")
    page.get_by_label(re.compile("Access to my data")).check()
    page.get_by_label("Your name", exact=True).fill("Mari Maasikas")
    page.get_by_label("Your e-mail address").fill("mari@company.example")
    page.get_by_label("Your request").fill("Which data do you hold about me?")
    page.get_by_role("button", name="Send request").click()
    page.get_by_role("heading", name="Check your e-mail").wait_for()

    request = SubjectRequest.objects.get()
    confirm = next(m for m in mail.outbox if m.subject.startswith("Confirm"))
    link = re.search(r"/privacy/request/verify/[^/\s]+/", str(confirm.body))
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm my e-mail address").click()
    page.get_by_test_id("status").wait_for()
    assert page.get_by_test_id("status").inner_text() == "Verified"

    login_in_browser(dpo)
    page.goto("/requests/")
    page.get_by_label("Reference or e-mail").fill("mari@company.example")
    page.get_by_role("button", name="Filter").click()
    row = page.get_by_role("row").filter(has_text=request.reference or "")
    row.get_by_role("checkbox").check()
    page.get_by_label("Assign selected to").select_option(label=dpo.get_full_name() or "dpo")
    page.get_by_role("button", name="Assign", exact=True).click()
    page.get_by_text("1 open request(s) assigned to dpo.").wait_for()

    page.get_by_role("link", name=request.reference or "").click()
    due = legal_date(request.due_at).strftime("%d.%m.%Y")
    assert page.get_by_test_id("due-on").inner_text().startswith(due)
    request.refresh_from_db()
    assert request.assignee == dpo
    assert request.status == Status.VERIFIED
