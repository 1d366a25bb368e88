"""Retention periods for templates, read from the rules in force: a page or letter never
types a period that an Admin can change in the rule."""

from __future__ import annotations

from django import template

from retention import selectors
from retention.periods import Period

register = template.Library()


@register.simple_tag
def period_in_force(record_type: str) -> Period | None:
    """`{% period_in_force "subject_requests.request" as kept %}`: the rule's period, or None
    when no rule in force governs the record type."""
    return selectors.period_in_force(record_type)
