"""Sections of a subject's page that other apps contribute.

A provider is `(request, subject) -> dict | None`; the dict has `title`, `template` and any
context the template needs (the subject page includes `template` with the dict as
`section`). It returns `None` when the user's role may not see it. Apps above this one
(consent, requests) register theirs from their `AppConfig.ready()`; this app never imports
them. The retention engine sits below, so its section is named here directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from retention.sections import deadlines_section

SectionProvider = Callable[[HttpRequest, Any], dict[str, Any] | None]

# (position, provider): lower positions come first on the page.
_providers: list[tuple[int, SectionProvider]] = [(10, deadlines_section)]


def register_section(provider: SectionProvider, *, position: int) -> None:
    if all(existing is not provider for _, existing in _providers):
        _providers.append((position, provider))
        _providers.sort(key=lambda entry: entry[0])


def subject_sections(request: HttpRequest, subject: Any) -> list[dict[str, Any]]:
    sections = []
    for _, provider in _providers:
        section = provider(request, subject)
        if section is not None:
            sections.append(section)
    return sections
