"""The consent section of a subject's page: state per purpose and the ledger timeline."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _

from consent import selectors
from consent.models import ConsentEvent, EventKind, ObjectionReview, SuppressionEntry
from core.pagination import page_with_count
from core.permissions import has_permission
from processing.selectors import purposes_to_withdraw_or_object

# The timeline a page at a time: a long-standing subscriber has hundreds of events.
TIMELINE_PAGE_SIZE = 10
TIMELINE_PAGE_PARAM = "consent_page"
# The key `consent.views.evidence_file` declares; the link shows only to roles it lets through.
EVIDENCE_DOWNLOAD = "consent.evidence"


def erasure_scheduled_for(subject: Any) -> bool:
    """A prospect who objected to direct marketing is erased after the objection commits
    (Art. 21(3), 17(1)(c)); until the erasure has run, their page says it is coming."""
    if subject.anonymised_at is not None or not subject.is_prospect:
        return False
    return ConsentEvent.objects.filter(
        subject=subject, kind=EventKind.OBJECTED, purpose__is_direct_marketing=True
    ).exists()


def consent_timeline_section(request: HttpRequest, subject: Any) -> dict[str, Any] | None:
    if not has_permission(request.user, "subjects.detail"):
        return None
    # A page of the events, newest first, and how many there are, in one query.
    events = page_with_count(
        selectors.timeline_for(subject),
        request.GET.get(TIMELINE_PAGE_PARAM),
        TIMELINE_PAGE_SIZE,
    )
    suppressed = bool(subject.work_email_index) and (
        SuppressionEntry.objects.filter(email_index=subject.work_email_index).first()
    )
    erasure_scheduled = erasure_scheduled_for(subject)
    return {
        "title": _("Consent and objections"),
        # A badge at the top of the person's page until the erasure is done.
        "flag": _("erasure scheduled") if erasure_scheduled else "",
        "erasure_scheduled": erasure_scheduled,
        "template": "consent/section_timeline.html",
        "subject": subject,
        "states": selectors.consent_states(subject, purposes_to_withdraw_or_object(subject)),
        "events": events,
        "page_param": TIMELINE_PAGE_PARAM,
        "suppressed": suppressed or None,
        "open_reviews": ObjectionReview.objects.open().filter(subject=subject).count(),
        "can_log": has_permission(request.user, "consent.log") and not subject.anonymised_at,
        "can_see_ledger": has_permission(request.user, "consent.ledger"),
        # Staff see the timeline but not the evidence files: the download view's key decides.
        "can_download_evidence": has_permission(request.user, EVIDENCE_DOWNLOAD),
    }
