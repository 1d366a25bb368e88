"""Template filters every app's pages share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext

from core import words
from core.display import format_date, format_moment, staff_date, staff_datetime
from core.navigation import SECTION_TABS
from core.permissions import has_permission

register = template.Library()


@register.filter
def record_kind(record: Any) -> str:
    """A record's kind in words ("Data subject"), for showing a record without its content."""
    return str(capfirst(record._meta.verbose_name))


@register.filter
def in_language(value: object) -> str:
    """Words stored in the register (a purpose's name, a processor's category) in the active
    language: the seeded English words have catalogue entries; an Admin's own words have
    none and show as typed."""
    text = "" if value is None else str(value)
    return gettext(text) if text else ""


@register.filter
def person_date(value: dt.date | None) -> str:
    """A day on a page, letter or e-mail for a data subject, in their language's one format
    (core.display.format_date): "6 December 2029", "06.12.2029"."""
    return format_date(value, get_language() or "en")


@register.filter
def person_datetime(value: dt.datetime | None) -> str:
    return format_moment(value, get_language() or "en")


@register.filter(name="staff_date")
def staff_date_filter(value: Any) -> str:
    """A day on a staff page, one format everywhere (core.display)."""
    return staff_date(value)


@register.filter(name="staff_datetime")
def staff_datetime_filter(value: Any) -> str:
    """A moment on a staff page in the display time zone, one format everywhere."""
    return staff_datetime(value)


@register.inclusion_tag("includes/section_tabs.html", takes_context=True)
def section_tabs(context: template.Context, section: str, current: str) -> dict[str, Any]:
    """A section's tabs, only those the viewer may open (core.navigation.SECTION_TABS)."""
    user = context["request"].user
    tabs = [
        {"label": item.label, "url": reverse(item.url_name), "current": key == current}
        for key, item in SECTION_TABS[section]
        if has_permission(user, item.permission)
    ]
    return {"tabs": tabs if len(tabs) > 1 else [], "label": section}


register.filter("details_in_words", words.details_in_words)
register.filter("value_in_words", words.value_in_words)
register.filter("action_in_words", words.action_in_words)
register.filter("language_name", words.language_name)
register.filter("records_name", words.records_name)


@register.simple_tag
def target_in_words(target_type: str, target_id: str) -> str:
    return words.target_in_words(target_type, target_id)


register.filter("field_label", words.field_label)
