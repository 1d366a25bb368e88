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
