"""Every right end to end in Chromium, as the requester, the DPO and a system's
owner live it — the public form and the e-mailed confirmation link, the DPO's work on the
request page, the systems' tasks, the closing letter, the requester opening their link — and
each journey ends by asserting the data's state and what the requester reads."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import Browser, expect
from pytest_django.live_server_helper import LiveServer

from consent.models import ReviewStatus, SuppressionEntry
from core.crypto import blind_index
from processing.models import System
from subject_requests.choices import Status, TaskStatus
from subject_requests.models import Answer, SystemTask
from subjects.models import DataSubject, RestrictionGround, SubjectKind
from tests import factories as f
from tests import journeys as j
from tests.conftest import sign_in_page
from tests.reports_helpers import pdf_text

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

EVERYONE = ["client", "prospect", "prospect_representative", "user"]


@pytest.fixture
def register(seeded: None, staff: User) -> None:
    """The seeded register waits for owners; the journeys' company has its CRM (owned by
    Staff) and a partner that receives data (told by e-mail, Art. 19)."""
    System.objects.update(active=False)
    f.SystemFactory.create(
        name="CRM", owner=staff, subject_kinds=EVERYONE, categories=["identification", "contact"]
    )
    f.SystemFactory.create(
        name="Partner",
        kind="recipient",
        subject_kinds=EVERYONE,
        categories=["identification", "contact"],
        contact_email="privacy@partner.example",
    )


@pytest.fixture
def kadri(register: None) -> DataSubject:
    return f.DataSubjectFactory.create(
        kind=SubjectKind.CLIENT,
        first_name="Kadri",
        last_name="Kask",
        work_email="kadri@acme.example",
        work_phone="+372 5555 0000",
        organisation=f.OrganisationFactory.create(name="Acme"),
    )


@pytest.fixture
def cast(
    browser: Browser,
    live_server: LiveServer,
    dpo: User,
    staff: User,
    clock: Any,
    request: pytest.FixtureRequest,
) -> Iterator[j.People]:
    """The requester, the DPO and the CRM's owner, each in a browser of their own; the DPO and
    the owner are signed in by their session's cookie (`sign_in_page`): the login's forms, ~2 s
    a person, are not the journey, and test_browser_2fa walks them."""
    name = request.node.callspec.id if hasattr(request.node, "callspec") else request.node.name
    requester, dpo_page, owner = (j.new_page(browser, live_server.url) for _ in range(3))
    sign_in_page(dpo_page, dpo, live_server.url)
    sign_in_page(owner, staff, live_server.url)
    shots = re.sub(r"[^a-z0-9]+", "-", name.removeprefix("test_").lower()).strip("-")[:60]
    yield j.People(requester=requester, dpo=dpo_page, owner=owner, clock=clock, name=shots)
    for page in (requester, dpo_page, owner):
        page.context.close()


@pytest.mark.parametrize(
    ("right", "document"),
    [
        ("Access to my data", "Access report (Art. 15)"),
        ("A copy of my data", "Access report (Art. 15)"),
        ("Data portability", "Portable data (Art. 20)"),
    ],
)
def test_access_copy_and_portability_from_the_form_to_the_downloaded_document(
    cast: j.People, kadri: DataSubject, right: str, document: str
) -> None:
    request = j.file_request(
        cast, right=right, name="Kadri Kask", email="Kadri@Acme.example",
        words="Please send me what you hold about me.",
    )  # fmt: skip
    assert list(request.subjects.all()) == [kadri]  # matched by the verified e-mail, any case

    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_role("button", name=f"Build: {document}").click()
    expect(dpo.get_by_test_id("review-answer")).to_be_visible()
    # The systems were asked what they hold: the CRM's owner answers after the first build,
    # so that document no longer tells what holds; the DPO builds it again.
    cast.later()
    assert j.record_tasks(cast, "Contact #18: name, e-mail, phone.") == 1
    cast.later()
    j.open_request(dpo, request)
    expect(dpo.get_by_test_id("answer-out-of-date")).to_be_visible()
    dpo.get_by_role("button", name="Build it again").click()
    j.open_request(dpo, request)
    expect(dpo.get_by_text("replaced by a newer one")).to_be_visible()
    cast.look(dpo, "rebuilt")
    review = dpo.get_by_test_id("review-answer")
    expect(review).to_be_visible()
    review.click()
    cast.later()
    j.complete(cast, request, "Here is what we hold about you.")

    requester = j.open_documents(cast, request)
    with requester.expect_download() as download:
        requester.get_by_role("link", name=document).click()
    content = open(download.value.path(), "rb").read()
    first, second = Answer.objects.filter(request=request).documents().order_by("built_at")
    assert second.downloads == 1 and second.sent_at is not None  # what the requester got
    assert first.downloads == 0 and first.sent_at is None  # the out-of-date one never went
    if document.startswith("Access"):
        j.keep_pdf(cast, content, "report")
        text = " ".join(pdf_text(content).split())
        assert "Kadri" in text and "kadri@acme.example" in text
        assert "their answer: Contact #18: name, e-mail, phone." in text.replace("Their", "their")
        assert "{'" not in text and "subject_id" not in text
    else:
        package = zipfile.ZipFile(io.BytesIO(content))
        data = json.loads(package.read("data.json"))
        assert "kadri@acme.example" in json.dumps(data)
    request.refresh_from_db()
    assert request.status == Status.COMPLETED
    kadri.refresh_from_db()
    assert kadri.anonymised_at is None  # nothing done to the data


def test_rectification_from_the_form_to_the_corrected_record_and_the_letter(
    cast: j.People, kadri: DataSubject
) -> None:
    request = j.file_request(
        cast, right="Correction of my data", name="Kadri Kask",
        email="kadri@acme.example", words="My phone is now +372 5555 1234.",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_test_id("open-rectify").click()
    dpo.get_by_label("Work phone").fill("+372 5555 1234")
    dpo.get_by_test_id("preview-rectification").click()
    expect(dpo.get_by_test_id("diff")).to_contain_text("+372 5555 1234")
    cast.look(dpo, "rectification-diff")
    dpo.get_by_test_id("confirm-rectification").click()
    cast.later()
    assert j.record_tasks(cast, "Phone corrected in the CRM.") == 1
    cast.later()
    j.complete(cast, request, "We corrected your phone number.")

    kadri.refresh_from_db()
    assert kadri.work_phone == "+372 5555 1234"
    assert SystemTask.objects.filter(request=request, status=TaskStatus.DONE).count() == 2
    letter = j.letter_text(cast, request)
    assert "We corrected your phone number." in letter and "phone" in letter.lower()


def test_erasure_from_the_form_to_the_erased_and_suppressed_prospect(
    cast: j.People, register: None
) -> None:
    prospect = f.ProspectFactory.create(
        first_name="Liis", last_name="Lepp", work_email="liis@lead.example"
    )
    request = j.file_request(
        cast, right="Erasure of my data", name="Liis Lepp",
        email="liis@lead.example", words="Please erase everything about me.",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_test_id("open-erasure").click()
    cast.look(dpo, "erasure-preview")
    dpo.get_by_test_id("propose-erasure").click()
    dpo.get_by_label("I have read what will be erased").check()
    dpo.get_by_test_id("confirm-erasure").click()
    expect(dpo.get_by_role("status").get_by_text("Erasure carried out: 1 erased")).to_be_visible()
    cast.later()
    assert j.record_tasks(cast, "Deleted the contact and its notes.") == 1
    cast.later()
    j.complete(cast, request, "We erased your data.")

    prospect.refresh_from_db()
    assert prospect.anonymised_at is not None and prospect.work_email is None
    assert SuppressionEntry.objects.filter(email_index=blind_index("liis@lead.example")).exists()
    letter = j.letter_text(cast, request)
    assert "We erased your data." in letter and "We have erased:" in letter


def test_restriction_from_the_form_to_the_restricted_record_and_the_letter(
    cast: j.People, kadri: DataSubject
) -> None:
    request = j.file_request(
        cast, right="Restriction of processing", name="Kadri Kask",
        email="kadri@acme.example", words="My address is wrong; stop using my data until fixed.",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_test_id("open-restriction").click()
    dpo.get_by_label("Ground (GDPR Art. 18(1))").select_option(
        RestrictionGround.ACCURACY_CONTESTED.value
    )
    cast.look(dpo, "restriction-form")
    dpo.get_by_test_id("restrict").click()
    expect(dpo.get_by_test_id("right-actions")).to_contain_text("Restriction (Art. 18)")
    cast.later()
    assert j.record_tasks(cast, "Marked restricted in the CRM.") == 1
    cast.later()
    j.complete(cast, request, "We restricted the processing of your data.")

    kadri.refresh_from_db()
    assert kadri.restricted_at is not None
    assert kadri.restriction_ground == RestrictionGround.ACCURACY_CONTESTED
    letter = j.letter_text(cast, request)
    assert "Accuracy contested" in letter


def test_an_objection_to_direct_marketing_erases_and_suppresses_the_prospect(
    cast: j.People, register: None
) -> None:
    prospect = f.ProspectFactory.create(first_name="Mati", work_email="mati@lead.example")
    request = j.file_request(
        cast, right="Objection to direct marketing", name="Mati",
        email="mati@lead.example", words="Stop sending me offers.",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_test_id("open-objection").click()
    cast.look(dpo, "objection-form")
    dpo.get_by_test_id("record-objection").click()
    cast.later()
    j.record_tasks(cast, "Deleted from the CRM.")
    cast.later()
    j.complete(cast, request, "All marketing to you has stopped.")

    prospect.refresh_from_db()
    assert prospect.anonymised_at is not None
    assert SuppressionEntry.objects.filter(email_index=blind_index("mati@lead.example")).exists()
    letter = j.letter_text(cast, request)
    assert "We have recorded your objection to:" in letter


def test_an_objection_to_other_processing_is_weighed_and_the_letter_gives_the_outcome(
    cast: j.People, kadri: DataSubject
) -> None:
    request = j.file_request(
        cast, right="Objection to other processing", name="Kadri Kask",
        email="kadri@acme.example", words="I object to your use of my data for analytics.",
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    dpo.get_by_test_id("open-objection").click()
    cast.look(dpo, "objection-form")
    dpo.get_by_test_id("record-objection").click()
    kadri.refresh_from_db()
    assert kadri.restricted_at is not None  # restricted while it is weighed (Art. 18(1)(d))
    while dpo.get_by_test_id("decide-objection").count():
        dpo.get_by_test_id("decide-objection").first.click()
        dpo.get_by_label(str(ReviewStatus.UPHELD.label)).check()
        dpo.get_by_label("Balancing: the interest, the person's situation, why you decide so").fill(
            "Her situation outweighs our interest in this processing."
        )
        dpo.get_by_role("button", name="Record the decision").click()
        dpo.goto(f"/requests/{request.pk}/people/{kadri.pk}/objection/")
    cast.later()
    j.complete(cast, request, "We weighed your objection.")

    letter = j.letter_text(cast, request)
    assert "upheld: the processing has stopped" in letter
    assert "Her situation outweighs our interest" in letter


def test_portability_to_another_company_confirmed_by_the_dpo_and_downloaded_by_it(
    cast: j.People, kadri: DataSubject, browser: Browser, live_server: LiveServer
) -> None:
    receiver = ("Beta Payroll OÜ", "privacy@beta.example")
    request = j.file_request(
        cast, right="Data portability", name="Kadri Kask", email="kadri@acme.example",
        words="Please send my data to my new employer's payroll.", receiver=receiver,
    )  # fmt: skip
    dpo = cast.dpo
    j.open_request(dpo, request)
    expect(dpo.get_by_test_id("transmission")).to_contain_text("privacy@beta.example")
    dpo.get_by_role("button", name="Build: Portable data (Art. 20)").click()
    expect(dpo.get_by_test_id("review-answer")).to_be_visible()
    cast.later()
    j.record_tasks(cast, "Contact #18: name, e-mail, phone.")
    cast.later()
    j.open_request(dpo, request)
    dpo.get_by_role("button", name="Build it again").click()
    j.open_request(dpo, request)
    dpo.get_by_test_id("review-answer").click()
    dpo.get_by_role("link", name="Confirm or decline").click()
    cast.look(dpo, "transmission")
    dpo.get_by_label(re.compile("I have checked that this is the company")).check()
    dpo.get_by_test_id("confirm-transmission").click()
    cast.later()
    j.complete(cast, request, "We sent your data to the company you named.")

    # The company follows the link its e-mail carries, and gets the package alone.
    to_company = next(m for m in mail.outbox if m.to == ["privacy@beta.example"])
    link = re.search(r"/privacy/transfer/[^/\s]+/", str(to_company.body))
    assert link is not None and "Kadri" not in str(to_company.subject)
    company = j.new_page(browser, live_server.url)
    company.goto(link.group(0))
    cast.look(company, "company-documents")
    with company.expect_download() as download:
        company.get_by_role("link", name="Portable data (Art. 20)").click()
    package = zipfile.ZipFile(download.value.path())
    assert "kadri@acme.example" in package.read("data.json").decode()
    company.context.close()

    letter = j.letter_text(cast, request)
    assert "we sent your data to Beta Payroll OÜ at privacy@beta.example" in letter.replace(
        "We sent", "we sent"
    )
    request.refresh_from_db()
    assert request.status == Status.COMPLETED and request.transmitted_at is not None
