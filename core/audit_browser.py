"""The audit browser's reads: filters in words, grouped reads found by the
ids inside them, targets as links, and details said in words.

Apps register what core cannot know: which page opens a target type and under which
permission (`register_target`), and how a person is found by name (`register_person_search`,
subjects does it, so no name is decrypted here). The Auditor sees no personal data: the
browser never prints a person's name, and only roles that may open a person search by one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Func, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from core.audit_actions import ACTION_WORDS
from core.audit_words import DetailWords, action_words, model_words
from core.models import AuditEvent
from core.permissions import has_permission
from core.timeutil import start_of_legal_day


@dataclass(frozen=True)
class TargetKind:
    label: str | Promise
    url_name: str = ""
    permission: str = ""


_targets: dict[str, TargetKind] = {}
_person_search: list[Callable[[str], list[int]]] = []
PERSON_TYPE = "subjects.datasubject"
DETAILS = '"details"'


def register_target(target_type: str, kind: TargetKind) -> None:
    _targets[target_type] = kind


def target_kinds() -> dict[str, TargetKind]:
    return dict(sorted(_targets.items(), key=lambda item: str(item[1].label)))


def register_person_search(search: Callable[[str], list[int]]) -> None:
    if search not in _person_search:
        _person_search.append(search)


def people_named(text: str) -> list[int]:
    return [pk for search in _person_search for pk in search(text)]


class GroupedIdsContain(Func):
    """`details["ids"]` (a grouped read's ids) holds `pk`: jsonb containment on PostgreSQL,
    `json_each` on SQLite."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, pk: int) -> None:
        super().__init__()
        self.pk = int(pk)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        table = compiler.quote_name_unless_alias(AuditEvent._meta.db_table)
        return f"({table}.{DETAILS} -> 'ids') @> %s::jsonb", [f"[{self.pk}]"]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        table = compiler.quote_name_unless_alias(AuditEvent._meta.db_table)
        return (
            # The table's own quoted name; the id is a parameter.
            "EXISTS (SELECT 1 FROM json_each("  # noqa: S608
            f"{table}.{DETAILS}, '$.ids') WHERE value = %s)",
            [self.pk],
        )


def events_about(target_type: str, pks: Iterable[int]) -> Q:
    """Events whose target is one of these records, or a grouped read that listed them."""
    pks = [int(pk) for pk in pks]
    condition = Q(target_type=target_type, target_id__in=[str(pk) for pk in pks])
    for pk in pks:
        condition |= Q(GroupedIdsContain(pk), target_type=target_type)
    return condition


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # a user's id, or a system label ("nightly-purge")
    action: str = ""  # words or a code, searched in both
    target_type: str = ""
    target_id: str = ""
    person: str = ""  # a name to search, for roles that may open a person
    since: dt.date | None = None
    until: dt.date | None = None


# Every action code in the log, one index probe per code (a loose index scan): a few ms at ten
# million events, where matching the text against every row's code read them all.
_RECORDED_ACTIONS_SQL = """
WITH RECURSIVE codes(action) AS (
    SELECT MIN(action) FROM core_auditevent
    UNION ALL
    SELECT (SELECT MIN(e.action) FROM core_auditevent e WHERE e.action > codes.action)
    FROM codes WHERE codes.action IS NOT NULL
)
SELECT action FROM codes WHERE action IS NOT NULL
"""


def actions_matching(text: str) -> list[str]:
    """The action codes whose code or words hold `text` (any case): among those the log holds
    and those the portal names."""
    with connection.cursor() as cursor:
        cursor.execute(_RECORDED_ACTIONS_SQL)
        recorded = {action for (action,) in cursor.fetchall()}
    wanted = text.lower()
    return sorted(
        code
        for code in recorded | set(ACTION_WORDS)
        if wanted in code.lower() or wanted in action_words(code).lower()
    )


def filtered_events(filters: AuditFilters, *, user: Any) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if filters.actor.isdigit():
        events = events.filter(actor_id=int(filters.actor))
    elif filters.actor:
        events = events.filter(actor__isnull=True, actor_label=filters.actor)
    if filters.action:
        events = events.filter(action__in=actions_matching(filters.action))
    if filters.target_type:
        events = events.filter(target_type=filters.target_type)
        if filters.target_id:
            ids = [int(filters.target_id)] if filters.target_id.isdigit() else []
            events = events.filter(events_about(filters.target_type, ids))
    if filters.person and has_permission(user, "subjects.detail"):
        events = events.filter(events_about(PERSON_TYPE, people_named(filters.person)[:50]))
    if filters.since:
        events = events.filter(occurred_at__gte=start_of_legal_day(filters.since))
    if filters.until:
        events = events.filter(
            occurred_at__lt=start_of_legal_day(filters.until + dt.timedelta(days=1))
        )
    return events.order_by("-occurred_at", "-id")


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    action: str
    details: str
    target: str
    target_url: str


def event_rows(events: Iterable[AuditEvent], *, user: Any) -> list[EventRow]:
    rows = []
    details_words = DetailWords()
    for event in events:
        kind = _targets.get(event.target_type)
        label = str(kind.label) if kind else model_words(event.target_type)
        target = f"{label} #{event.target_id}" if event.target_id else label
        url = ""
        if kind and kind.url_name and event.target_id and has_permission(user, kind.permission):
            try:
                url = reverse(kind.url_name, args=[event.target_id])
            except NoReverseMatch:
                url = ""
        rows.append(
            EventRow(
                event=event,
                action=action_words(event.action),
                details=details_words(event.action, event.target_type, event.details),
                target=target,
                target_url=url,
            )
        )
    return rows


AUDIT_CSV_HEADER = ["when", "who", "what", "action code", "target", "details", "ip"]
# Rows read from the database per round trip while streaming the CSV.
CSV_CHUNK = 2000


def audit_csv_rows(events: QuerySet[AuditEvent], *, user: Any) -> Iterable[list[Any]]:
    for chunk in _chunks(events.iterator(chunk_size=CSV_CHUNK), CSV_CHUNK):
        for row in event_rows(chunk, user=user):
            yield [
                row.event.occurred_at.isoformat(),
                row.event.actor_display,
                row.action,
                row.event.action,
                row.target,
                row.details,
                row.event.ip_address or "",
            ]


def _chunks(items: Iterable[AuditEvent], size: int) -> Iterable[list[AuditEvent]]:
    chunk: list[AuditEvent] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
