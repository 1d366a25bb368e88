"""The person's own copy: the access report and the portability package of
the request work, built in the background on the `reports` queue with progress the page polls.

The documents are a copy of the person's data, so they are kept only as long as the session
that asked for them: encrypted (`core.crypto`, the field key) in the cache, which every web
and worker process shares and which forgets them by itself. The row holds no personal data:
the status, progress and the checksums of what was made. Asking and each download are audited.
The build claims its row with a conditional UPDATE, so a rerun or a second worker builds
nothing twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from celery.exceptions import SoftTimeLimitExceeded
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from core.audit import record_event, subject_actor
from core.crypto import decrypt, encrypt
from core.timeutil import legal_date
from selfservice.models import SelfServiceCopy
from selfservice.session import SESSION_MINUTES
from subject_requests.choices import AnswerStatus
from subjects.models import DataSubject

logger = logging.getLogger(__name__)

JOB = "self-service copy"
REPORT, PACKAGE = "report", "package"
# The cache keeps a copy as long as a session lasts (and a little for the last download).
KEPT_SECONDS = (SESSION_MINUTES + 5) * 60


@dataclass(frozen=True)
class CopyFile:
    content: bytes
    file_name: str
    content_type: str


def _key(copy_id: int, which: str) -> str:
    return f"selfservice:copy:{copy_id}:{which}"


@transaction.atomic
def request_copy(
    *, subject: DataSubject, language: str, now: dt.datetime | None = None
) -> SelfServiceCopy:
    copy = SelfServiceCopy.objects.create(
        subject=subject, language=language, requested_at=now or timezone.now(),
        progress_note="Waiting for a worker",
    )  # fmt: skip
    record_event(
        action="selfservice.copy_requested",
        actor=subject_actor(subject.pk),
        target=subject,
        details={"copy": copy.pk},
    )
    from selfservice.tasks import build_selfservice_copy

    copy_id = copy.pk
    transaction.on_commit(lambda: build_selfservice_copy.delay(copy_id))
    return copy


def _progress(copy_id: int, start: int, span: int) -> Callable[[int, str], None]:
    def report(percent: int, note: str) -> None:
        SelfServiceCopy.objects.filter(pk=copy_id, status=AnswerStatus.BUILDING).update(
            progress=max(1, min(start + span * percent // 100, 99)), progress_note=note[:100]
        )

    return report


def run_copy_build(*, copy_id: int, now: dt.datetime | None = None) -> bool:
    """The task's body: build both documents once, whoever runs it and however often."""
    from reports.documents import build_access_report
    from reports.portability import build_portability_package

    claimed = SelfServiceCopy.objects.filter(pk=copy_id, status=AnswerStatus.QUEUED).update(
        status=AnswerStatus.BUILDING, started_at=now or timezone.now(), progress=1,
        progress_note="Started",
    )  # fmt: skip
    if not claimed:
        return False
    copy = SelfServiceCopy.objects.select_related("subject").get(pk=copy_id)
    as_of = legal_date(copy.requested_at)
    try:
        report = build_access_report(
            subject=copy.subject, as_of=as_of, progress=_progress(copy_id, 0, 70)
        ).content
        package = build_portability_package(
            subject=copy.subject, as_of=as_of, progress=_progress(copy_id, 70, 29)
        )
    except (Exception, SoftTimeLimitExceeded) as exc:
        logger.exception("building self-service copy %s failed", copy_id)
        SelfServiceCopy.objects.filter(pk=copy_id, status=AnswerStatus.BUILDING).update(
            status=AnswerStatus.FAILED, error=type(exc).__name__, progress_note="Failed"
        )
        return False
    cache.set(_key(copy_id, REPORT), encrypt(report), timeout=KEPT_SECONDS)
    cache.set(_key(copy_id, PACKAGE), encrypt(package), timeout=KEPT_SECONDS)
    done = SelfServiceCopy.objects.filter(pk=copy_id, status=AnswerStatus.BUILDING).update(
        status=AnswerStatus.READY, progress=100, progress_note="Ready", built_at=timezone.now(),
        report_sha256=hashlib.sha256(report).hexdigest(), report_size=len(report),
        package_sha256=hashlib.sha256(package).hexdigest(), package_size=len(package),
    )  # fmt: skip
    if done:
        record_event(
            action="selfservice.copy_built",
            actor=JOB,
            target=copy.subject,
            details={"copy": copy_id, "report_bytes": len(report), "package_bytes": len(package)},
        )
    return bool(done)


def own_copy(subject: DataSubject, copy_id: int) -> SelfServiceCopy | None:
    """The person's own copy, or None: another person's copy id opens nothing."""
    return SelfServiceCopy.objects.filter(pk=copy_id, subject=subject).first()


def latest_copy(subject: DataSubject) -> SelfServiceCopy | None:
    return SelfServiceCopy.objects.filter(subject=subject).order_by("-requested_at", "-id").first()


def download_copy(*, subject: DataSubject, copy_id: int, which: str) -> CopyFile | None:
    copy = own_copy(subject, copy_id)
    if copy is None or copy.status != AnswerStatus.READY or which not in (REPORT, PACKAGE):
        return None
    stored = cache.get(_key(copy_id, which))
    if stored is None:
        return None  # gone with the session: the person asks for a new copy
    record_event(
        action="selfservice.copy_downloaded",
        actor=subject_actor(subject.pk),
        target=subject,
        details={"copy": copy_id, "document": which},
    )
    stamp = legal_date(copy.requested_at).isoformat()
    if which == REPORT:
        return CopyFile(decrypt(stored), f"my-data-{stamp}.pdf", "application/pdf")
    return CopyFile(decrypt(stored), f"my-portable-data-{stamp}.zip", "application/zip")
