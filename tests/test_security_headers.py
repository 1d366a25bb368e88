"""A Content-Security-Policy that allows no inline script or style, no
framing, a referrer policy, on every page; and no template of a served page carries inline
script, style or event handlers (they would be refused by the policy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.http.response import HttpResponseBase
from django.test import Client

from tests.fixture_types import ClientFor

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Not served as pages: e-mails (mail clients need inline styles) and the answer documents,
# which WeasyPrint turns into PDF.
NOT_SERVED = ("emails", "reports")
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style\b", re.I), "a <style> element"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an on*= event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: URL"),
]


def served_templates() -> list[Path]:
    return [
        path
        for path in sorted(TEMPLATES.rglob("*.html"))
        if path.relative_to(TEMPLATES).parts[0] not in NOT_SERVED
    ]


def test_no_served_template_has_inline_script_style_or_handlers() -> None:
    found = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in served_templates()
        for pattern, what in INLINE
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_inline_check_sees_each_kind_of_inline_code() -> None:
    for sample in (
        "<script>alert(1)</script>",
        '<p style="color:red">',
        "<style>p{}</style>",
        '<select onchange="this.form.submit()">',
        '<a href="javascript:void(0)">',
    ):
        assert any(pattern.search(sample) for pattern, _ in INLINE), sample
    static = '<script src="/static/js/portal.js" defer></script>'
    assert not any(pattern.search(static) for pattern, _ in INLINE)


def assert_secure_headers(response: HttpResponseBase) -> None:
    headers = response.headers
    policy = headers["Content-Security-Policy"]
    directives = dict(
        (part.split()[0], part.split()[1:]) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "url", ["/login/", "/privacy/request/", "/p/subscribe/", "/p/policy/", "/nowhere/"]
)
def test_public_pages_carry_the_policy(client: Client, seeded: None, url: str) -> None:
    assert_secure_headers(client.get(url))


def test_staff_pages_carry_the_policy(client_for: ClientFor, dpo: User) -> None:
    client = client_for(dpo)
    for url in ("/", "/requests/", "/subjects/", "/audit/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_secure_headers(response)
