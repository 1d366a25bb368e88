"""Bulk upsert of people: the API's bulk endpoint and the CSV import both call this.

Each row is matched to a stored person on its `external_id` (the platform's id), else on its
work e-mail (by blind index), else it is a new person. Every row meets the guards
`create_subject` and `update_subject` apply — the same functions, asked per row without a
query: no one under 18, nothing prospects do not get, no suppressed address, no malformed
value — plus one of its own: no two rows for the same person or address. An import is not a
correction by the person, so a date of birth revealing a minor is refused on an update too
(`update_subject` stores it and flags the record instead).

Set-based: a batch costs a constant number of queries whatever its size — one lookup of the
stored people by external id and blind index, one suppression check, the new people, their
name tokens and kind history each by one `COPY` on PostgreSQL (`core.copyinsert`;
`bulk_create` elsewhere), one `UPDATE … FROM (VALUES …)` per thousand updated rows
(`DataSubjectQuerySet.bulk_update`) and one audit event naming every id. Encryption and blind
indexes are on as on every other path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event
from core.copyinsert import bulk_insert
from core.timeutil import legal_date, legal_today
from subjects import guards, hooks
from subjects.models import DataSubject, KindChange
from subjects.services.bulk_checks import MAX_ROWS, Action, Row, classify
from subjects.services.common import user_of

__all__ = ["MAX_ROWS", "BulkOutcome", "upsert_subjects"]

# People per INSERT: ~30 columns each, below SQLite's 32 766 parameters.
CREATE_BATCH = 1000


@dataclass(frozen=True)
class BulkOutcome:
    """What a call did (or, on a dry run or a refused all-or-nothing batch, would do).

    `actions[i]` and `subject_ids[i]` are row i's classification and the person it matched or
    created (None for a new person not written, or a refused row); `errors` maps each refused
    row's index to its messages by field. `applied` is False when nothing was written.
    """

    created: tuple[int, ...]
    updated: tuple[int, ...]
    unchanged: tuple[int, ...]
    errors: dict[int, dict[str, list[str]]]
    actions: tuple[Action, ...]
    subject_ids: tuple[int | None, ...]
    applied: bool
    dry_run: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def _create(rows: list[Row], *, actor: Actor, now: dt.datetime) -> list[DataSubject]:
    people = []
    for row in rows:
        person = DataSubject(**row.values, created_at=now)
        if person.photo:
            person.photo_content_type = guards.photo_content_type(person.photo) or ""
        people.append(person)
    DataSubject.objects.bulk_create(people, batch_size=CREATE_BATCH)
    today = legal_today(now)
    user = user_of(actor)
    # By ids: assigning the objects goes through the relation's descriptor, per row.
    changes = [
        KindChange(
            subject_id=p.pk,
            kind=p.kind,
            changed_on=min(legal_date(p.collected_at), today),
            recorded_at=now,
            actor_id=user.pk if user is not None else None,
        )
        for p in people
    ]
    bulk_insert(changes, using=DEFAULT_DB_ALIAS, batch_size=CREATE_BATCH, with_ids=False)
    for after_create in hooks.after_create:
        after_create(subjects=people, actor=actor)
    return people


def _update(rows: list[Row], *, actor: Actor, now: dt.datetime) -> list[DataSubject]:
    fields = sorted({name for row in rows for name in row.changed})
    people = []
    kind_changes = []
    for row in rows:
        person = row.target
        assert person is not None
        previous_kind = person.kind
        # The other fields keep the values just read (`bulk_checks` reads every field a row
        # gives), so each row writes its own changes and its stored values back unchanged.
        for name, value in row.changed.items():
            setattr(person, name, value)
        if "photo" in row.changed:
            person.photo_content_type = guards.photo_content_type(person.photo or b"") or ""
        if "kind" in row.changed:
            kind_changes.append(
                KindChange(
                    subject=person,
                    kind=person.kind,
                    previous_kind=previous_kind,
                    changed_on=legal_today(now),
                    recorded_at=now,
                    actor=user_of(actor),
                )
            )
        people.append(person)
    if "photo" in fields:
        fields.append("photo_content_type")
    DataSubject.objects.bulk_update(people, fields)
    KindChange.objects.bulk_create(kind_changes, batch_size=CREATE_BATCH)
    return people


def upsert_subjects(
    *,
    rows: Sequence[Mapping[str, Any]],
    actor: Actor,
    source: str,
    all_or_nothing: bool = True,
    dry_run: bool = False,
    defaults: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> BulkOutcome:
    """Create or update up to `MAX_ROWS` people; `source` names where the batch came from in
    the audit event ("api:<key>", "csv-import:<id>"). `all_or_nothing`: one refused row and
    nothing is written; otherwise the valid rows are written and the others reported.
    `dry_run`: validated and classified, nothing written. `defaults`: values for new people
    where their row gives none (a prospect list has no kind column); never applied to an
    update."""
    if len(rows) > MAX_ROWS:
        raise ValidationError({"rows": _("At most %(max)d people per call.") % {"max": MAX_ROWS}})
    now = now or timezone.now()
    with transaction.atomic():
        checked = classify(rows, now=now, defaults=defaults)
        refused = any(r.errors for r in checked)
        write = not dry_run and not (refused and all_or_nothing)
        created: list[DataSubject] = []
        updated: list[DataSubject] = []
        if write:
            created = _create([r for r in checked if r.action == "create"], actor=actor, now=now)
            updated = _update([r for r in checked if r.action == "update"], actor=actor, now=now)
            # A match that changed nothing is named too: the caller was told of that person.
            unchanged = [r.target.pk for r in checked if r.action == "unchanged" and r.target]
            touched = {p.pk for p in (*created, *updated)} | set(unchanged)
            record_event(
                action="subjects.bulk_upserted",
                actor=actor,
                target_type="subjects.datasubject",
                target_id=next(iter(touched)) if len(touched) == 1 else "",
                details={
                    "source": source,
                    "created": [p.pk for p in created],
                    "updated": [p.pk for p in updated],
                    "unchanged": unchanged,
                    "refused": sum(1 for r in checked if r.errors),
                    "fields": sorted({n for r in checked if not r.errors for n in r.values}),
                },
            )
    created_ids = iter(p.pk for p in created)
    ids: list[int | None] = []
    for row in checked:
        if row.action == "create":
            ids.append(next(created_ids, None))
        else:
            ids.append(row.target.pk if row.target is not None and not row.errors else None)
    actions = tuple(r.action for r in checked)
    return BulkOutcome(
        created=tuple(p.pk for p in created),
        updated=tuple(p.pk for p in updated),
        unchanged=tuple(
            r.target.pk for r in checked if r.action == "unchanged" and r.target is not None
        ),
        errors={r.index: r.errors for r in checked if r.errors},
        actions=actions,
        subject_ids=tuple(ids),
        applied=write,
        dry_run=dry_run,
        counts={
            action: actions.count(action) for action in ("create", "update", "unchanged", "refuse")
        },
    )
