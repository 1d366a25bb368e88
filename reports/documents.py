"""The answer documents as files: the access report and the information sheet (PDF) and the
portability package (ZIP), each in the reader's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from core.display import format_date
from core.pdf import Pdf, html_to_pdf
from core.timeutil import legal_today
from reports.collect import (
    SubjectData,
    collect,
    collect_register,
)
from subject_requests.models import SubjectRequest
from subjects.models import DataSubject

# progress(percent, note): the builder reports where it is (no personal data in the note).
Progress = Callable[[int, str], object]


def _language(subject: DataSubject, request: SubjectRequest | None) -> str:
    return request.language if request is not None else subject.letter_language()


def _context(data: SubjectData, request: SubjectRequest | None) -> dict[str, Any]:
    return {
        "data": data,
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "contact": settings.PRIVACY_CONTACT_EMAIL,
        "reference": request.reference if request is not None else "",
        "person_name": data.subject.full_name or (request.requester_name if request else ""),
        "as_of": format_date(data.as_of, data.language),
    }


def _quiet(percent: int, note: str) -> None:
    return None


def build_access_report(
    *,
    subject: DataSubject,
    request: SubjectRequest | None = None,
    as_of: dt.date | None = None,
    progress: Progress = _quiet,
) -> Pdf:
    """GDPR Art. 15 (and the copy of Art. 15(3)), to EDPB Guidelines 01/2022: the data itself,
    by category with its source; purposes and bases; recipients by name; transfers; storage;
    each record's retention; the consent history; the source where it was not the person;
    the rights and the right to complain."""
    language = _language(subject, request)
    data = collect(
        subject,
        language=language,
        as_of=as_of or legal_today(),
        on_section=lambda done, total: progress(5 + 45 * done // total, "Collecting the records"),
    )
    with translation.override(language):
        html = render_to_string("reports/access_report.html", _context(data, request))
    progress(55, "Laying out the pages")
    return html_to_pdf(
        html,
        on_laid_out=lambda pages: progress(90, "Writing the PDF"),
        files=data.files,
        dated=data.as_of,
    )


def render_access_report(*, subject: DataSubject, request: SubjectRequest | None = None) -> bytes:
    return build_access_report(subject=subject, request=request).content


def build_information_report(
    *,
    subject: DataSubject,
    request: SubjectRequest | None = None,
    as_of: dt.date | None = None,
    progress: Progress = _quiet,
) -> Pdf:
    """Who holds the person's data, where, and on which transfer ground (Art. 15(1)(c), 15(2))."""
    language = _language(subject, request)
    progress(10, "Reading the register")
    data = collect_register(subject, language=language, as_of=as_of or legal_today())
    with translation.override(language):
        html = render_to_string("reports/information.html", _context(data, request))
    progress(60, "Laying out the page")
    return html_to_pdf(html)


def render_information_report(
    *, subject: DataSubject, request: SubjectRequest | None = None
) -> bytes:
    return build_information_report(subject=subject, request=request).content
