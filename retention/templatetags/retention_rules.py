"""Retention periods for templates, read from the rules in force: a page or letter never
types a period that an Admin can change in the rule."""

from __future__ import annotations

from django import template

from retention import selectors
from retention.pause import Paused, purge_paused, purge_time
from retention.periods import Period

register = template.Library()


@register.simple_tag
def period_in_force(record_type: str) -> Period | None:
    """`{% period_in_force "subject_requests.request" as kept %}`: the rule's period, or None
    when no rule in force governs the record type."""
    return selectors.period_in_force(record_type)


@register.inclusion_tag("retention/_purge_paused.html")
def purge_paused_notice() -> dict[str, Paused | None]:
    """On every page that speaks of tonight's purge: that it is paused, since when, by whom
    and why (nothing while it runs)."""
    return {"paused": purge_paused()}


@register.simple_tag
def nightly_purge_time() -> str:
    """The time of day the beat schedule runs the nightly purge ("02:00"), as set there."""
    return purge_time()
