"""Template filters every app's pages share."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.text import capfirst

register = template.Library()


@register.filter
def record_kind(record: Any) -> str:
    """A record's kind in words ("Data subject"), for showing a record without its content."""
    return str(capfirst(record._meta.verbose_name))
