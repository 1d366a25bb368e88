"""Filters of the answer documents' templates."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

from reports.collect import SectionData

register = template.Library()


@register.filter
def compact_lines(section: SectionData) -> str:
    return section.compact_text(_("kept until"))
