"""What the marketing tool reads: a purpose's audience as changes since its last sync, and
which of the addresses it holds may be mailed or are suppressed. Always by blind index, and
only ever about the addresses the caller sent."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q

from consent.models import ConsentEvent, SuppressionEntry
from consent.selectors import marketable_filter
from core.crypto import blind_index
from processing.models import Purpose
from subjects.models import DataSubject


@dataclass(frozen=True)
class AudiencePage:
    members: list[DataSubject]
    removed: list[int]
    more: bool


def _changed_since(purpose: Purpose, since: dt.datetime) -> Q:
    """A person whose audience membership may have changed after `since`."""
    events = ConsentEvent.objects.filter(
        subject=OuterRef("pk"), purpose=purpose, recorded_at__gt=since
    )
    suppressed = SuppressionEntry.objects.filter(
        email_index=OuterRef("work_email_index"), recorded_at__gt=since
    )
    return (
        Q(created_at__gt=since)
        | Q(updated_at__gt=since)
        | Q(anonymised_at__gt=since)
        | Q(erasure_requested_at__gt=since)
        | Q(restricted_at__gt=since)
        | Exists(events)
        | Exists(suppressed)
    )


def audience_page(
    *, purpose: Purpose, since: dt.datetime | None, until: dt.datetime, after: int, limit: int
) -> AudiencePage:
    """Members at `until` (all, or those whose state changed after `since`) with an id above
    `after`, and on the first page of a window the ids that changed and are not members."""
    audience = marketable_filter(DataSubject.objects.all(), purpose=purpose, at=until)
    changed = _changed_since(purpose, since) if since is not None else Q()
    members = list(audience.filter(changed, pk__gt=after).order_by("pk")[: limit + 1])
    removed: list[int] = []
    if since is not None and after == 0:
        removed = list(
            DataSubject.objects.filter(changed)
            .exclude(pk__in=audience.values("pk"))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return AudiencePage(members=members[:limit], removed=removed, more=len(members) > limit)


def indexes_of(emails: Iterable[str]) -> dict[str, list[int]]:
    """Each address's blind index → the positions it was sent at."""
    positions: dict[str, list[int]] = {}
    for position, email in enumerate(emails):
        index = blind_index(email)
        if index:
            positions.setdefault(index, []).append(position)
    return positions


def suppressed_positions(emails: list[str]) -> set[int]:
    positions = indexes_of(emails)
    found = SuppressionEntry.objects.filter(email_index__in=list(positions)).values_list(
        "email_index", flat=True
    )
    return {position for index in set(found) for position in positions[index]}


def mailable_positions(emails: list[str], *, purpose: Purpose) -> set[int]:
    positions = indexes_of(emails)
    found = marketable_filter(
        DataSubject.objects.filter(work_email_index__in=list(positions)), purpose=purpose
    ).values_list("work_email_index", flat=True)
    return {position for index in set(found) for position in positions[index]}
