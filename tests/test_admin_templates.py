"""The Django admin's templates the portal overrides (templates/admin/) are Django's own with
named corrections only, so an upgrade of Django that changes one fails here rather than
leaving a stale copy; and the admin's pages carry the corrections. The axe walk of the Admin
(test_browser_accessibility.py) audits the pages in a browser."""

from __future__ import annotations

import re
from pathlib import Path

import django
import pytest
from django.contrib.auth.models import User
from django.test import Client

from core.audit import record_event

pytestmark = pytest.mark.django_db

OURS = Path(__file__).resolve().parent.parent / "templates"
DJANGOS = Path(django.__file__).parent / "contrib" / "admin" / "templates"

# Each override: (Django's text, ours) for every correction.
CORRECTIONS = {
    "admin/base_site.html": [
        ('{% extends "admin/base.html" %}\n', '{% extends "admin/base.html" %}{% load static %}\n'),
        (
            "{% block branding %}",
            '{% block extrastyle %}{{ block.super }}<link rel="stylesheet" href="{% static'
            " 'css/admin.css' %}\">{% endblock %}\n{% block extrahead %}{{ block.super }}"
            "<script src=\"{% static 'js/admin.js' %}\" defer></script>{% endblock %}\n\n"
            "{% block branding %}",
        ),
    ],
    "admin/includes/fieldset.html": [
        (
            '{% if field.field.id_for_label %} id="{{ field.field.id_for_label }}_helptext"',
            '{% if field.field.auto_id %} id="{{ field.field.auto_id }}_helptext"',
        ),
    ],
    "admin/edit_inline/tabular.html": [
        (
            '<th class="original"></th>',
            '<th class="original"><span class="visually-hidden">'
            "{{ inline_admin_formset.opts.verbose_name|capfirst }}</span></th>",
        ),
        (
            "<th>{% if inline_admin_formset.formset.can_delete and "
            'inline_admin_formset.has_delete_permission %}{% translate "Delete?" %}{% endif %}'
            "</th>",
            "{% if inline_admin_formset.formset.can_delete and "
            'inline_admin_formset.has_delete_permission %}<th>{% translate "Delete?" %}</th>'
            "{% else %}<td></td>{% endif %}",
        ),
        (
            "                  {{ field.field }}\n",
            "                  {{ field.field }}\n                  {% if field.field.help_text %}"
            '<span class="visually-hidden" id="{{ field.field.auto_id }}_helptext">'
            "{{ field.field.help_text|striptags }}</span>{% endif %}\n",
        ),
    ],
}


def without_comment(text: str) -> str:
    return re.sub(r"\{% comment %\}.*?\{% endcomment %\}", "", text, count=1, flags=re.S)


@pytest.mark.parametrize("name", sorted(CORRECTIONS))
def test_an_overridden_admin_template_is_djangos_with_its_corrections_only(name: str) -> None:
    expected = (DJANGOS / name).read_text()
    for django_text, ours in CORRECTIONS[name]:
        assert expected.count(django_text) == 1, f"Django's {name} changed: {django_text!r}"
        expected = expected.replace(django_text, ours)
    assert without_comment((OURS / name).read_text()) == expected


def test_every_template_under_templates_admin_is_held_to_djangos() -> None:
    overrides = {str(p.relative_to(OURS)) for p in (OURS / "admin").rglob("*.html")}
    assert overrides == set(CORRECTIONS)


@pytest.fixture
def admin_client(client: Client, admin_user: User) -> Client:
    client.force_login(admin_user)
    return client


def test_the_admin_loads_the_portals_corrections(admin_client: Client) -> None:
    html = admin_client.get("/admin/").content.decode()
    assert "/static/css/admin.css" in html and "/static/js/admin.js" in html


def test_an_inline_tables_headers_all_have_text_and_its_help_texts_their_ids(
    admin_client: Client,
) -> None:
    html = admin_client.get("/admin/processing/processor/add/").content.decode()
    headers = re.findall(r"<th\b[^>]*>(.*?)</th>", html, flags=re.S)
    assert headers and all(re.sub(r"<[^>]+>", "", h).strip() for h in headers), headers
    for described in re.findall(r'aria-describedby="([^"]+)"', html):
        for reference in described.split():
            assert f'id="{reference}"' in html, reference


def test_a_users_password_is_described_by_its_help_text(
    admin_client: Client, admin_user: User
) -> None:
    html = admin_client.get(f"/admin/auth/user/{admin_user.pk}/change/").content.decode()
    assert 'aria-describedby="id_password_helptext"' in html
    assert 'id="id_password_helptext"' in html


def test_the_audit_log_filter_names_events_about_no_record(
    admin_client: Client, admin_user: User
) -> None:
    record_event(action="login", actor=admin_user)
    html = admin_client.get("/admin/core/auditevent/").content.decode()
    assert '<a href="?target_type=">(no record)</a>' in html
