"""Extra sections of a subject's page, contributed by other apps.

Each entry is the dotted path of a function `(request, subject) -> dict | None`; the dict has
`title`, `template` and any context the template needs (the subject page includes
`template` with the dict as `section`). Return `None` when the user's role may not see it.
The order here is the order on the page.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.module_loading import import_string

SECTION_PROVIDERS: list[str] = [
    "retention.sections.deadlines_section",
    "consent.sections.consent_timeline_section",
    "subject_requests.sections.requests_section",
]


def subject_sections(request: HttpRequest, subject: Any) -> list[dict[str, Any]]:
    sections = []
    for path in SECTION_PROVIDERS:
        section = import_string(path)(request, subject)
        if section is not None:
            sections.append(section)
    return sections
