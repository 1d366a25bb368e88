"""The journey in Chromium: the DPO opens an erasure request, reviews the preview of
what goes and what stays, proposes and confirms the erasure; the CRM's owner records their
task done; the DPO completes the request and previews the letter listing what was kept."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from core.models import Authenticator
from subject_requests import services
from subject_requests.models import Status, SystemTask
from subjects.models import DataSubject, SubjectKind
from tests.factories import (
    CommunicationFactory,
    InvoiceFactory,
    OrganisationFactory,
    SystemFactory,
)
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_the_dpo_erases_a_person_the_owner_confirms_and_the_letter_says_what_stays(
    page: Page, login_in_browser: LoginInBrowser, dpo: User, staff: User, seeded: None
) -> None:
    company = OrganisationFactory.create(name="Acme OÜ")
    person = DataSubject.objects.create(
        kind=SubjectKind.CLIENT,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        organisation=company,
    )
    CommunicationFactory.create_batch(3, subject=person)
    InvoiceFactory.create(organisation=company, billing_contact=person, number="INV-77")
    SystemFactory.create(name="CRM", owner=staff, categories=["contact", "identification"])
    request = services.verify_manually(
        request=services.submit_request(
            type="erasure", name="Kadri Kask", email="kadri@acme.example", description=""
        ),
        asked="The invoice number",
        shown="Quoted correctly",
        subject_email="kadri@acme.example",
        actor=dpo,
    )

    login_in_browser(dpo)
    page.goto(f"/requests/{request.pk}/")
    page.get_by_test_id("open-erasure").click()
    preview = page.get_by_test_id("erasure-preview")
    expect(preview.get_by_test_id("erased")).to_contain_text("The subject and text of messages")
    expect(preview.get_by_test_id("kept")).to_contain_text("Accounting Act")
    expect(preview.get_by_test_id("kept")).to_contain_text("31.12.2027")
    page.screenshot(path="test-artifacts/erasure-preview.png", full_page=True)

    page.get_by_test_id("propose-erasure").click()
    expect(page.get_by_text("Erasure proposed")).to_be_visible()
    page.get_by_label("I have read what will be erased").check()
    page.get_by_test_id("confirm-erasure").click()
    expect(page.get_by_role("status").get_by_text("Erasure carried out: 1 erased")).to_be_visible()
    expect(page.get_by_test_id("request-system-tasks")).to_contain_text("CRM")
    page.screenshot(path="test-artifacts/erasure-request-page.png", full_page=True)
    person.refresh_from_db()
    assert person.anonymised_at is not None

    # The CRM's owner records their task.
    page.get_by_role("button", name="Log out").click()
    login_in_browser(staff)
    expect(page.get_by_text("Your system tasks")).to_be_visible()
    page.goto("/requests/tasks/")
    page.get_by_test_id("open-task").click()
    expect(page.get_by_test_id("task-person")).to_contain_text("kadri@acme.example")
    page.get_by_label("Done").check()
    page.get_by_label("What you did").fill("Deleted contact #4411 and its notes in the CRM.")
    page.get_by_test_id("resolve-task").click()
    expect(page.get_by_text("Nothing waits for you.")).to_be_visible()
    assert SystemTask.objects.get().status == "done"

    # The DPO completes and previews the letter (a later login: the code of the first one is
    # spent, django-otp refuses a code twice).
    page.get_by_role("button", name="Log out").click()
    Authenticator.objects.filter(user=dpo).update(last_t=-1)
    login_in_browser(dpo)
    page.goto(f"/requests/{request.pk}/")
    page.get_by_role("link", name="Complete", exact=True).click()
    page.get_by_label("What was done (the requester reads it in the letter)").fill(
        "We erased your data, except what the law makes us keep."
    )
    with page.expect_popup() as letter:
        page.get_by_test_id("preview-html").click()
    expect(letter.value.get_by_text("We have erased:")).to_be_visible()
    expect(letter.value.get_by_text("31.12.2027")).to_be_visible()
    letter.value.screenshot(path="test-artifacts/erasure-letter.png", full_page=True)
    letter.value.close()
    page.get_by_role("button", name="Complete and send the letter").click()
    expect(page.get_by_text("The request is completed.")).to_be_visible()
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
