from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def query_with(request: Any, param: str, value: Any) -> str:
    """The current query string with one parameter replaced (one record list's page)."""
    query = request.GET.copy()
    query[param] = value
    return str(query.urlencode())


@register.filter
def kind_labels(kinds: list[str]) -> str:
    """A purpose's subject kinds in words ("Client, User") rather than codes."""
    from subjects.models import SubjectKind

    labels = dict(SubjectKind.choices)
    return ", ".join(str(labels.get(kind, kind)) for kind in kinds)
