"""What staff add to a request besides decisions: assignment, internal notes, messages to the
requester and documents. Each writes its timeline entry and audit event in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.audit import Actor, record_events_bulk
from core.permissions import Role, holding_role, user_roles
from subject_requests.choices import OPEN_STATUSES, EntryKind
from subject_requests.models import SubjectRequest, TimelineEntry
from subject_requests.services.common import (
    RequestError,
    actor_fields,
    add_entry,
    audit,
    require,
    send_letter,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Largest document kept on a request (an ID copy, an authorisation, a signed letter).
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024


def assignable_users() -> QuerySet[User]:
    return (
        get_user_model()
        .objects.filter(holding_role(Role.DPO, Role.STAFF), is_active=True)
        .distinct()
        .order_by("username")
    )


@transaction.atomic
def assign_requests(
    *,
    request_ids: Iterable[int],
    assignee: User | None,
    actor: Actor,
    now: dt.datetime | None = None,
) -> int:
    """Assign open requests to one person (or nobody), set-based; closed ones among them are
    skipped (`guards.can_assign`), and a choice of closed ones only is refused."""
    require(actor, "requests.decide")
    now = now or timezone.now()
    if assignee is not None and not (user_roles(assignee) & {Role.DPO, Role.STAFF}):
        raise RequestError("Requests can be assigned to DPO or Staff only.")
    ids = list(
        SubjectRequest.objects.select_for_update()
        .filter(pk__in=list(request_ids), status__in=OPEN_STATUSES)
        .values_list("pk", flat=True)
    )
    if not ids:
        raise RequestError("Only open requests can be assigned.")
    SubjectRequest.objects.filter(pk__in=ids).update(assignee=assignee, updated_at=now)
    name = assignee.get_username() if assignee is not None else "nobody"
    TimelineEntry.objects.bulk_create(
        [
            TimelineEntry(
                request_id=pk,
                kind=EntryKind.ASSIGNMENT,
                occurred_at=now,
                summary=f"Assigned to {name}",
                **actor_fields(actor),
            )
            for pk in ids
        ],
        batch_size=1000,
    )
    record_events_bulk(
        action="request.assigned",
        actor=actor,
        target_type=SubjectRequest._meta.label_lower,
        target_ids=ids,
        details={"assignee": getattr(assignee, "pk", None)},
    )
    return len(ids)


@transaction.atomic
def add_note(
    *, request: SubjectRequest, text: str, actor: Actor, now: dt.datetime | None = None
) -> TimelineEntry:
    """An internal note: kept on the timeline, never sent."""
    require(actor, "requests.queue")
    if not text.strip():
        raise RequestError("The note is empty.")
    entry = add_entry(
        request,
        kind=EntryKind.NOTE,
        actor=actor,
        now=now or timezone.now(),
        summary="Internal note",
        body=text.strip(),
    )
    audit("request.note_added", actor=actor, request=request)
    return entry


@transaction.atomic
def send_message(
    *, request: SubjectRequest, text: str, actor: Actor, now: dt.datetime | None = None
) -> TimelineEntry:
    """A message to the requester: e-mailed and kept on the timeline."""
    require(actor, "requests.queue")
    if not text.strip():
        raise RequestError("The message is empty.")
    if not request.requester_email:
        raise RequestError(
            "The requester has no e-mail address: write to them by post and "
            "keep the letter as a document."
        )
    if request.anonymised_at:
        raise RequestError("The requester's identifiers have been removed.")
    entry = send_letter(
        request,
        letter="message",
        actor=actor,
        now=now or timezone.now(),
        body=text.strip(),
        kind=EntryKind.MESSAGE,
        summary="Message to the requester",
    )
    audit("request.message_sent", actor=actor, request=request)
    return entry


@transaction.atomic
def attach_document(
    *,
    request: SubjectRequest,
    content: bytes,
    name: str,
    content_type: str,
    note: str,
    actor: Actor,
    now: dt.datetime | None = None,
) -> TimelineEntry:
    require(actor, "requests.queue")
    if not content:
        raise RequestError("The file is empty.")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise RequestError("The file is larger than 10 MB.")
    entry = add_entry(
        request,
        kind=EntryKind.DOCUMENT,
        actor=actor,
        now=now or timezone.now(),
        summary="Document added",
        body=note.strip() or None,
        document=content,
        document_name=name[:200],
        document_content_type=content_type[:100],
    )
    audit("request.document_added", actor=actor, request=request, size=len(content))
    return entry
