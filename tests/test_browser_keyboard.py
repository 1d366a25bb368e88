"""The four daily journeys with the keyboard alone.

No click, no `fill`, no `check`, no `select_option`: focus moves with Tab (and Shift+Tab),
links and buttons are taken with Enter, boxes ticked with Space, choices made with the arrow
keys, and words typed (`keyboard.type`). Each element reached must show where the focus is
(an outline), and the first Tab of a page reaches the skip link, which moves the focus into
the page's content.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from consent import services as consent_services
from consent.models import ConsentEvent
from core.seeding import seed_all
from retention.models import RetentionRule
from subject_requests.models import Status
from tests.factories import DataSubjectFactory, ProspectFactory, SubjectRequestFactory, purpose
from tests.fixture_types import LoginInBrowser

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  const label = e.labels && e.labels.length ? e.labels[0].innerText : "";
  const style = getComputedStyle(e);
  return {
    name: (label || e.getAttribute("aria-label") || e.innerText || e.value || "").trim(),
    tag: e.tagName.toLowerCase(),
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def tab_to(page: Page, name: str | re.Pattern[str], *, limit: int = 120) -> None:
    """Tab until the focus is on the element called `name` (its label or text), and check
    that the focus shows."""
    wanted = name if isinstance(name, re.Pattern) else re.compile(re.escape(name))
    passed = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        passed.append(focused["name"][:40])
        if wanted.search(focused["name"]):
            assert focused["outline"], f"no visible focus on {focused}"
            return
    raise AssertionError(f"Tab never reached {name!r} on {page.url}; it passed {passed[:40]}")


def follow(page: Page) -> None:
    """Enter on the focused link or button, and wait for the page it opens."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page: Page, label: str, text: str) -> None:
    tab_to(page, label)
    page.keyboard.type(text)


def choose(page: Page, label: str, option: str, *, limit: int = 30) -> None:
    """Focus a select and move through its options with the arrow keys."""
    tab_to(page, label)
    seen = []
    for _ in range(limit):
        chosen = page.evaluate(
            "() => document.activeElement.selectedOptions[0]?.textContent.trim() ?? ''"
        )
        if chosen == option:
            return
        seen.append(chosen)
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"{label}: the arrow keys never reached {option!r}, only {seen}")


def skip_to_content(page: Page) -> None:
    """A page's first Tab is the skip link; Enter puts the focus in the content."""
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED)["name"] == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


@pytest.fixture
def policy(db: None) -> None:
    seed_all()


def test_the_dpo_triages_and_answers_a_request_with_the_keyboard(
    page: Page, login_in_browser: LoginInBrowser, dpo: User, policy: None
) -> None:
    request = SubjectRequestFactory.create(type="restriction", requester_name="Maret Mets")
    login_in_browser(dpo)
    page.goto("/requests/")
    skip_to_content(page)
    tab_to(page, re.compile(rf"^{request.reference}$"))
    follow(page)
    page.wait_for_url(f"**/requests/{request.pk}/")

    tab_to(page, "Record identity check")
    follow(page)
    page.wait_for_url("**/verify/")
    type_into(page, "What was asked", "The date of the last invoice")
    type_into(page, "What the requester showed", "The right date")
    tab_to(page, "Mark as verified")
    follow(page)
    page.wait_for_url(f"**/requests/{request.pk}/")
    expect(page.get_by_text("The request is verified.")).to_be_visible()

    tab_to(page, re.compile(r"^Start"))
    follow(page)
    if "/start/" in page.url:  # a confirmation page
        tab_to(page, re.compile(r"^Start"))
        follow(page)
    page.wait_for_url(f"**/requests/{request.pk}/")
    tab_to(page, re.compile(r"^Complete$"))
    follow(page)
    page.wait_for_url("**/complete/")
    type_into(page, "What was done", "Processing of your data is restricted.")
    tab_to(page, "Complete and send the letter")
    page.screenshot(path="/tmp/i16-scale-keyboard-complete.png", full_page=True)
    follow(page)
    page.wait_for_url(f"**/requests/{request.pk}/")
    request.refresh_from_db()
    assert request.status == Status.COMPLETED


def test_staff_log_a_consent_withdrawal_with_the_keyboard(
    page: Page, login_in_browser: LoginInBrowser, staff: User, policy: None
) -> None:
    marketing = purpose("direct-marketing")
    person = DataSubjectFactory.create(
        first_name="Kadri", last_name="Kask", work_email="kadri.kask@client.example"
    )
    with time_machine.travel(timezone.now() - dt.timedelta(days=30)):
        consent_services.grant_consent(
            subject=person, purpose=marketing, channel="web_form", actor="data subject",
            wording="Monthly newsletter",
        )  # fmt: skip
    login_in_browser(staff)
    skip_to_content(page)
    page.keyboard.press("Shift+Tab")  # back to the skip link, then into the navigation
    tab_to(page, "Consent")
    follow(page)
    page.wait_for_url("**/consent/log/")
    # The search field takes the focus on load (autofocus): type once it has it.
    page.wait_for_function("document.activeElement && document.activeElement.type === 'search'")
    page.keyboard.type("kadri.kask@client.example")
    follow(page)
    page.wait_for_url(f"**/consent/log/{person.pk}/")

    tab_to(page, "All marketing")
    page.keyboard.press("Space")
    choose(page, "How the person told us", "Phone")
    type_into(page, "Note (evidence)", "Please stop the newsletter.")
    tab_to(page, "Review")
    follow(page)
    tab_to(page, "Confirm and record")
    follow(page)
    page.wait_for_url(f"**/subjects/{person.pk}/**")
    assert ConsentEvent.objects.filter(subject=person, kind="withdrawn").exists()


def test_staff_log_an_objection_with_the_keyboard(
    page: Page, login_in_browser: LoginInBrowser, staff: User, policy: None
) -> None:
    prospect = ProspectFactory.create(
        first_name="Liis", last_name="Lepp", work_email="liis.lepp@lead.example"
    )
    login_in_browser(staff)
    page.goto("/consent/log/")
    # The search field takes the focus on load (autofocus): type once it has it.
    page.wait_for_function("document.activeElement && document.activeElement.type === 'search'")
    page.keyboard.type("liis.lepp@lead.example")
    follow(page)
    page.wait_for_url(f"**/consent/log/{prospect.pk}/")
    tab_to(page, re.compile(r"[Oo]bject"))
    page.keyboard.press("Space")
    choose(page, "How the person told us", "Phone")
    tab_to(page, "Review")
    follow(page)
    # A prospect's objection erases them: the button says so.
    tab_to(page, "Confirm: record the objection and erase this prospect")
    page.screenshot(path="/tmp/i16-scale-keyboard-objection.png", full_page=True)
    follow(page)
    assert ConsentEvent.objects.filter(subject_id=prospect.pk, kind="objected").exists()


def test_the_admin_reviews_the_purge_preview_and_a_retention_rule_with_the_keyboard(
    page: Page, login_in_browser: LoginInBrowser, admin_user: User, policy: None
) -> None:
    rule = RetentionRule.objects.order_by("id").first()
    assert rule is not None
    login_in_browser(admin_user)
    skip_to_content(page)
    page.keyboard.press("Shift+Tab")
    tab_to(page, "Retention")
    follow(page)
    page.wait_for_url("**/retention/")
    skip_to_content(page)
    tab_to(page, re.compile(r"[Rr]ules"))
    follow(page)
    page.wait_for_url("**/retention/rules/")
    tab_to(page, str(rule.name))
    follow(page)
    page.wait_for_url(f"**/retention/rules/{rule.pk}/")
    expect(page.get_by_role("heading", name=str(rule.name))).to_be_visible()
    page.screenshot(path="/tmp/i16-scale-keyboard-rule.png", full_page=True)


def test_enter_on_a_purpose_box_ticks_it_instead_of_sending_the_half_filled_log(
    page: Page, login_in_browser: LoginInBrowser, staff: User, policy: None
) -> None:
    """A keyboard user who presses Enter on a box means to tick it. The browser's implicit
    submission sent the consent log for review with nothing ticked, an error page; Enter now
    ticks the box, as Space does, and the form goes only when its button is taken. Here on
    the log re-displayed with its error, after a review asked for with nothing ticked."""
    marketing = purpose("direct-marketing")
    person = DataSubjectFactory.create(first_name="Tiit", work_email="tiit@client.example")
    with time_machine.travel(timezone.now() - dt.timedelta(days=30)):
        consent_services.grant_consent(
            subject=person, purpose=marketing, channel="web_form", actor="data subject",
            wording="Monthly newsletter",
        )  # fmt: skip
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    login_in_browser(staff)
    page.goto(f"/consent/log/{person.pk}/")
    skip_to_content(page)
    tab_to(page, "Review")
    follow(page)
    expect(page.get_by_text("Tick at least one purpose")).to_be_visible()
    posts.clear()

    box = page.get_by_label(f"{marketing.name} — withdraw consent")
    tab_to(page, f"{marketing.name} — withdraw consent")
    page.keyboard.press("Enter")
    expect(box).to_be_checked()
    page.keyboard.press("Enter")  # and again: untick, tick, as Space would
    expect(box).not_to_be_checked()
    page.keyboard.press("Enter")
    expect(box).to_be_checked()
    assert posts == [], "Enter on a box sent the form"

    choose(page, "How the person told us", "Phone")
    tab_to(page, "Review")
    follow(page)
    expect(page.get_by_role("button", name="Confirm and record")).to_be_visible()
    expect(page.get_by_text("Tick at least one purpose")).to_have_count(0)
    assert len(posts) == 1, posts


DESCRIBED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body) return null;
  // A box of a group is described by its fieldset, as a screen reader reads it on entering.
  const owner = e.hasAttribute("aria-describedby") ? e : e.closest("[aria-describedby]");
  const ids = owner ? owner.getAttribute("aria-describedby").split(/\\s+/) : [];
  return {
    name: e.name || "",
    tag: e.tagName.toLowerCase(),
    invalid: e.getAttribute("aria-invalid") === "true",
    description: ids.map(id => document.getElementById(id)?.innerText ?? `(no #${id})`).join(" "),
  };
}"""


def test_the_keyboard_reaches_every_error_of_a_breach_form_and_each_field_tells_its_own(
    page: Page, login_in_browser: LoginInBrowser, dpo: User, policy: None
) -> None:
    """A form re-displayed with its errors: Tab reaches every field that has one, and each
    says it is invalid and why (its error in its description, where a screen reader reads
    it with the field; its help text too), not only the red text a sighted user sees."""
    login_in_browser(dpo)
    page.goto("/breaches/new/")
    type_into(page, "Short title", "Laptop left on a train")
    tab_to(page, "Save")
    follow(page)
    invalid = set(page.eval_on_selector_all("[aria-invalid=true]", "es => es.map(e => e.name)"))
    assert {"description", "subject_kinds", "categories", "approx_people"} <= invalid

    heard: dict[str, str] = {}
    skip_to_content(page)
    for _ in range(150):
        page.keyboard.press("Tab")
        focused = page.evaluate(DESCRIBED)
        if focused is None or focused["tag"] == "button":
            break  # past the fields: the form's Save
        if focused["invalid"]:
            heard.setdefault(focused["name"], focused["description"])
    assert set(heard) == invalid, f"Tab never reached {invalid - set(heard)}"
    for name, description in heard.items():
        assert "This field is required" in description, (name, description)
    assert "no names" in heard["description"], "the help text is not read with its field"
