"""Every erasure reaches the systems that hold the person's data, whatever started it (GDPR
Art. 17(1)(c), 17(2), 19, 28; issue 22, item 7).

A request's erasure sends its own tasks (`erasure.confirm_erasure`, with the request's
reference and due day). An erasure no request started — a prospect's objection to direct
marketing through the one-click unsubscribe, the self-service page or a staff log, an
erasure entered by the operator, the nightly purge of a person who asked for erasure or was
flagged — reaches the systems here: `subjects.hooks.after_erase` calls `reach_systems` inside
the erasure's transaction, before the person's identifiers are cleared, so the tasks carry
what each system needs to find them; every recipient gets its Art. 19 notice.

Not here: people whose retention period ran out (prospects, former clients and users). The
systems apply the same retention rules to their copies (the record of processing states
them); a task per person for a purge of a million expired prospects would cost the purge
more than the purge itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from subject_requests.choices import Operation, TaskCause
from subject_requests.models import SystemTask
from subject_requests.services.systems import dispatch, every_category, identifiers_of
from subjects.models import DataSubject
from subjects.retention import ErasureRequestedData

# What started an erasure (`subjects.anonymisation.erase_people`'s `cause`) → the task's.
CAUSES: dict[str, str] = {
    "objection": TaskCause.OBJECTION,
    "erasure": TaskCause.ERASURE,
    ErasureRequestedData.code: TaskCause.PURGE,
}
ACTORS: dict[str, str] = {
    TaskCause.OBJECTION: "consent: objection to direct marketing",
    TaskCause.ERASURE: "erasure",
    TaskCause.PURGE: "retention",
}


def reach_systems(*, subject_ids: Sequence[int], now: dt.datetime, cause: str) -> int:
    """Send each system holding these people's data an erasure task, and each recipient its
    notice, for the people no erasure task was sent for yet. Returns how many were sent."""
    task_cause = CAUSES.get(cause)
    if task_cause is None or not subject_ids:
        return 0
    reached = set(
        SystemTask.objects.filter(
            subject_id__in=subject_ids, operation=Operation.ERASE
        ).values_list("subject_id", flat=True)
    )
    people = (
        DataSubject.objects.filter(pk__in=[pk for pk in subject_ids if pk not in reached])
        .select_related("organisation")
        .order_by("pk")
    )
    categories = every_category()
    return sum(
        len(
            dispatch(
                None,
                person=person,
                operation=Operation.ERASE,
                categories=categories,
                identifiers=identifiers_of(person),
                actor=ACTORS[task_cause],
                now=now,
                cause=task_cause,
            )
        )
        for person in people
    )
