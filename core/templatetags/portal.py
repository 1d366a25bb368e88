"""Template filters every app's pages share."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.text import capfirst
from django.utils.translation import gettext

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
