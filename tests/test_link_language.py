"""A link the portal e-mails carries the reader's language, so the page it
opens, and those that follow, speak the language of the e-mail, whatever the browser says."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client, override_settings
from pytest_django import DjangoCaptureOnCommitCallbacks

from consent.emails import unsubscribe_url
from core.links import public_link
from tests import factories as f
from tests.factories import purpose

pytestmark = pytest.mark.django_db

BROWSER_IN_ENGLISH = {"accept-language": "en"}


def page_language(html: str) -> str:
    match = re.search(r'<html lang="([\w-]+)"', html)
    assert match, html[:200]
    return match.group(1)


@override_settings(SITE_URL="https://privacy.example")
def test_a_link_names_a_language_of_the_portal_and_nothing_else() -> None:
    assert public_link("/p/me/", language="lv") == "https://privacy.example/p/me/?lang=lv"
    assert public_link("/p/?a=1", language="et") == "https://privacy.example/p/?a=1&lang=et"
    assert public_link("/p/me/", language="xx") == "https://privacy.example/p/me/"
    assert public_link("/p/me/") == "https://privacy.example/p/me/"


def test_a_latvian_requesters_status_link_opens_in_latvian(
    client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    form = {
        "type": "access", "name": "Anna Bērziņa", "email": "anna@company.example",
        "description": "", "website": "",
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/privacy/request/", {**form, "language": "lv"}, HTTP_ACCEPT_LANGUAGE="lv")
    body = "\n".join(str(m.body) for m in mail.outbox)
    match = re.search(r"http://\S+(/privacy/request/status/[^/\s]+/\?lang=lv)", body)
    assert match, body
    fresh = Client()
    response = fresh.get(match.group(1), headers=BROWSER_IN_ENGLISH)
    assert response.status_code == 200
    assert page_language(response.content.decode()) == "lv"
    assert response.cookies["django_language"].value == "lv"
    # The pages that follow keep it, though the browser still asks for English.
    form_page = fresh.get("/privacy/request/", headers=BROWSER_IN_ENGLISH)
    assert page_language(form_page.content.decode()) == "lv"


def test_the_estonian_unsubscribe_page_leads_to_estonian_preferences(
    client: Client, seeded: None
) -> None:
    person = f.DataSubjectFactory.create(preferred_language="et")
    link = unsubscribe_url(person, purpose("direct-marketing"))
    assert link.endswith("/?lang=et")
    page = client.get(link.removeprefix(settings.SITE_URL), headers=BROWSER_IN_ENGLISH)
    assert page.status_code == 200 and page_language(page.content.decode()) == "et"
    assert 'href="/p/me/"' in page.content.decode()
    preferences = client.get("/p/me/", headers=BROWSER_IN_ENGLISH)
    assert page_language(preferences.content.decode()) == "et"


def test_a_staff_page_stays_in_english_and_an_unknown_language_is_ignored(
    client: Client, dpo: User
) -> None:
    client.force_login(dpo)
    staff = client.get("/requests/", {"lang": "lv"})
    assert page_language(staff.content.decode()) == "en"
    public = Client().get("/privacy/request/", {"lang": "xx"}, HTTP_ACCEPT_LANGUAGE="et")
    assert page_language(public.content.decode()) == "et"
    assert "django_language" not in public.cookies
