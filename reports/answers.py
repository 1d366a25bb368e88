"""The three documents a request is answered with, each built for its `Answer`: registered
with the requests' answer service when the app loads (`reports.apps`)."""

from __future__ import annotations

from core.timeutil import legal_date
from reports.documents import build_access_report, build_information_report
from reports.portability import build_portability_package
from subject_requests.choices import AnswerKind
from subject_requests.models import Answer
from subject_requests.services.answers import Built, Progress, register_builder


def _reference(answer: Answer) -> str:
    return answer.request.reference or f"request-{answer.request_id}"


def access_report(answer: Answer, progress: Progress) -> Built:
    assert answer.subject is not None  # the answer service refuses a document about nobody
    pdf = build_access_report(
        subject=answer.subject,
        request=answer.request,
        as_of=legal_date(answer.requested_at),
        progress=progress,
    )
    return pdf.content, "application/pdf", f"access-report-{_reference(answer)}.pdf", pdf.pages


def information_report(answer: Answer, progress: Progress) -> Built:
    assert answer.subject is not None
    pdf = build_information_report(
        subject=answer.subject,
        request=answer.request,
        as_of=legal_date(answer.requested_at),
        progress=progress,
    )
    name = f"who-holds-your-data-{_reference(answer)}.pdf"
    return pdf.content, "application/pdf", name, pdf.pages


def portability_package(answer: Answer, progress: Progress) -> Built:
    assert answer.subject is not None
    zipped = build_portability_package(
        subject=answer.subject,
        request=answer.request,
        as_of=legal_date(answer.requested_at),
        progress=progress,
    )
    return zipped, "application/zip", f"portable-data-{_reference(answer)}.zip", 0


def register() -> None:
    register_builder(AnswerKind.ACCESS_REPORT, access_report)
    register_builder(AnswerKind.INFORMATION, information_report)
    register_builder(AnswerKind.PORTABILITY, portability_package)
