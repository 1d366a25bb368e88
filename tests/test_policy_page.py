"""The public policy page in the visitor's language where a version exists, otherwise the
Latvian original with a sentence saying so, in a box a keyboard can scroll."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from consent.models import PolicyText, PolicyVersion

pytestmark = pytest.mark.django_db


def _box(page: str) -> str:
    match = re.search(r'<div class="policy-text"[^>]*>', page)
    assert match is not None
    return match.group(0)


def test_an_english_visitor_is_told_the_policy_is_in_latvian_only_and_can_scroll_it(
    client: Client, seeded: None
) -> None:
    page = client.get("/p/policy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "available in Latvian only" in page
    box = _box(page)
    assert 'tabindex="0"' in box and 'aria-label="Text of the privacy policy"' in box
    assert 'lang="lv"' in box


def test_a_latvian_visitor_reads_the_original_without_the_note(
    client: Client, seeded: None
) -> None:
    page = client.get("/p/policy/", HTTP_ACCEPT_LANGUAGE="lv").content.decode()
    assert "Latvian only" not in page and "tikai latviešu" not in page
    assert 'tabindex="0"' in _box(page)


def test_a_version_in_the_visitors_language_is_shown_where_one_exists(
    client: Client, seeded: None
) -> None:
    current = PolicyVersion.objects.order_by("-effective_on").first()
    assert current is not None
    PolicyText.objects.create(
        version=current, language="en", full_text="We process your data as follows."
    )
    page = client.get("/p/policy/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "We process your data as follows." in page
    assert "Latvian only" not in page
    assert 'lang="lv"' not in _box(page)
