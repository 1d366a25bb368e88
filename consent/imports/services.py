"""The steps of a CSV import, each a service that audits itself; the two long ones (the dry
run and the apply) run in a Celery task that records its progress after every batch.

The dry run and the apply go through the same functions (`subjects.services.bulk`,
`consent.services.bulk`) with `dry_run` true and false, batch by batch, so what the dry run
shows is what the apply does — provided nothing else changes the people in between. A person
named twice in the file is refused on the later line here, across batches as the bulk
services do within one, so batch boundaries change nothing either.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator, Mapping
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from consent.imports import parsing
from consent.imports.models import CsvImport, ImportKind, ImportStatus
from consent.models import Channel
from consent.services.bulk import withdraw_consents
from core.audit import Actor, acting_user, record_event
from core.crypto import normalise_email
from core.timeutil import start_of_legal_day
from processing.models import Purpose
from subjects.services.bulk import upsert_subjects

# Rows per call of the bulk services, and per progress update: ~2-3 s of work each.
BATCH = 5000
# A plan entry: [line, action, subject id or None, {field: [messages]}].
PlanRow = list[Any]


def upload_import(*, upload: Any, kind: str, actor: Actor) -> CsvImport:
    if upload.size > parsing.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 20 MB; split it.")})
    content = upload.read()
    try:
        headers = parsing.read_headers(content)
        total = sum(1 for _row in parsing.data_rows(content))
    except (parsing.UnreadableFile, ValueError) as exc:
        raise ValidationError({"file": str(exc)}) from exc
    if not total:
        raise ValidationError({"file": _("The file has a header row and no data.")})
    if total > parsing.MAX_ROWS:
        raise ValidationError(
            {"file": _("At most %(max)d rows per file.") % {"max": parsing.MAX_ROWS}}
        )
    csv_import = CsvImport.objects.create(
        kind=kind,
        file_name=(upload.name or "")[:200],
        content=content,
        headers=headers,
        mapping=parsing.guess_mapping(headers, kind),
        defaults={"kind": "prospect", "source": "public_register"}
        if kind == ImportKind.PROSPECTS
        else {},
        total_rows=total,
        created_by=acting_user(actor),
    )
    record_event(
        action="consent.import_uploaded",
        actor=actor,
        target=csv_import,
        details={"kind": kind, "rows": total},
    )
    return csv_import


@transaction.atomic
def start_dry_run(
    *,
    csv_import: CsvImport,
    mapping: Mapping[str, str],
    defaults: Mapping[str, str],
    purpose: Purpose | None,
    actor: Actor,
) -> CsvImport:
    """Keep the mapping and queue the dry run (again, after a change of mapping)."""
    from consent.tasks import check_import_task

    fields = parsing.FIELDS[csv_import.kind]
    chosen = [f for f in mapping.values() if f]
    if any(f not in fields for f in chosen) or len(chosen) != len(set(chosen)):
        raise ValidationError({"mapping": _("Map each field to one column at most.")})
    if "work_email" not in chosen and "external_id" not in chosen:
        raise ValidationError({"mapping": _("Map the e-mail column.")})
    if csv_import.kind == ImportKind.WITHDRAWALS and (
        purpose is None or not purpose.is_consent_based
    ):
        raise ValidationError({"purpose": _("Choose the consent-based purpose withdrawn.")})
    claimed = CsvImport.objects.filter(
        pk=csv_import.pk, status__in=[ImportStatus.UPLOADED, ImportStatus.CHECKED]
    ).update(
        status=ImportStatus.CHECKING,
        mapping=dict(mapping),
        defaults=dict(defaults),
        purpose=purpose,
        processed_rows=0,
        plan=None,
        counts={},
    )
    if not claimed:
        raise ValidationError(_("This import is running or already applied."))
    record_event(
        action="consent.import_mapped",
        actor=actor,
        target=csv_import,
        details={"fields": sorted(chosen)},
    )
    transaction.on_commit(lambda: check_import_task.delay(csv_import.pk))
    csv_import.refresh_from_db()
    return csv_import


@transaction.atomic
def confirm_import(*, csv_import: CsvImport, actor: Actor) -> CsvImport:
    """The person saw the dry run and confirms: queue the apply (once)."""
    from consent.tasks import apply_import_task

    claimed = CsvImport.objects.filter(pk=csv_import.pk, status=ImportStatus.CHECKED).update(
        status=ImportStatus.APPLYING, processed_rows=0
    )
    if not claimed:
        raise ValidationError(_("This import has no finished dry run to apply."))
    record_event(action="consent.import_confirmed", actor=actor, target=csv_import)
    actor_id = getattr(actor, "pk", None)
    transaction.on_commit(lambda: apply_import_task.delay(csv_import.pk, actor_id))
    csv_import.refresh_from_db()
    return csv_import


def _when(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        return start_of_legal_day(day) if day else None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _batches(csv_import: CsvImport) -> Iterator[list[tuple[int, dict[str, str]]]]:
    content = bytes(csv_import.content or b"")
    rows = (
        (line, parsing.mapped(cells, csv_import.headers, csv_import.mapping))
        for line, cells in parsing.data_rows(content)
    )
    while batch := list(islice(rows, BATCH)):
        yield batch


def _keys(values: Mapping[str, str]) -> list[str]:
    """What names a person in a row: the address and the platform's id."""
    keys = []
    if values.get("work_email"):
        keys.append("e:" + normalise_email(values["work_email"]))
    if values.get("external_id"):
        keys.append("x:" + values["external_id"].strip())
    return keys


def _run_batch(
    csv_import: CsvImport, batch: list[tuple[int, dict[str, str]]], *, dry_run: bool, actor: Actor
) -> list[PlanRow]:
    if csv_import.kind == ImportKind.WITHDRAWALS:
        assert csv_import.purpose is not None
        times = [_when(v.get("occurred_at")) for _l, v in batch]
        bad_time = {i for i, (_l, v) in enumerate(batch) if v.get("occurred_at") and not times[i]}
        outcome = withdraw_consents(
            emails=[v.get("work_email", "") for _l, v in batch],
            occurred_at=times,
            purpose=csv_import.purpose,
            channel=Channel.UNSUBSCRIBE_LINK,
            actor=actor,
            source=f"csv-import:{csv_import.pk}",
            dry_run=dry_run,
        )
        errors = dict(outcome.errors)
        for i in bad_time:
            errors.setdefault(i, {})["occurred_at"] = [_("Not a date or time.")]
        actions = ["refuse" if i in errors else a for i, a in enumerate(outcome.actions)]
        return [
            [line, actions[i], outcome.subject_ids[i], errors.get(i, {})]
            for i, (line, _v) in enumerate(batch)
        ]
    result = upsert_subjects(
        rows=[v for _l, v in batch],
        actor=actor,
        source=f"csv-import:{csv_import.pk}",
        all_or_nothing=False,
        dry_run=dry_run,
        defaults=csv_import.defaults,
    )
    return [
        [line, result.actions[i], result.subject_ids[i], result.errors.get(i, {})]
        for i, (line, _v) in enumerate(batch)
    ]


def run_import(*, import_id: int, dry_run: bool, actor: Actor) -> list[PlanRow]:
    """Every row through the bulk service, batch by batch, recording progress after each."""
    csv_import = CsvImport.objects.select_related("purpose").get(pk=import_id)
    plan: list[PlanRow] = []
    seen: dict[str, int] = {}
    for batch in _batches(csv_import):
        fresh = []
        for line, values in batch:
            keys = _keys(values)
            earlier = next((seen[k] for k in keys if k in seen), None)
            if earlier is not None:
                message = _("Line %(line)d names this person already.") % {"line": earlier}
                plan.append([line, "refuse", None, {"work_email": [message]}])
                continue
            seen |= dict.fromkeys(keys, line)
            fresh.append((line, values))
        plan.extend(_run_batch(csv_import, fresh, dry_run=dry_run, actor=actor))
        CsvImport.objects.filter(pk=import_id).update(processed_rows=len(plan))
    plan.sort(key=lambda entry: entry[0])
    return plan


def counts_of(plan: list[PlanRow]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in plan:
        counts[entry[1]] = counts.get(entry[1], 0) + 1
    return counts


def check_import(*, import_id: int) -> int:
    """The dry run (task): classify every row, write nothing; rerunnable."""
    csv_import = CsvImport.objects.get(pk=import_id)
    if csv_import.status != ImportStatus.CHECKING:
        return 0
    try:
        plan = run_import(import_id=import_id, dry_run=True, actor=csv_import.created_by)
    except ValidationError as exc:
        CsvImport.objects.filter(pk=import_id).update(
            status=ImportStatus.FAILED, error="; ".join(exc.messages)[:300]
        )
        return 0
    CsvImport.objects.filter(pk=import_id, status=ImportStatus.CHECKING).update(
        status=ImportStatus.CHECKED,
        plan=plan,
        counts=counts_of(plan),
        processed_rows=len(plan),
        checked_at=timezone.now(),
    )
    return len(plan)


def apply_import(*, import_id: int, actor: Actor) -> int:
    """The apply (task): the same rows through the same services, for real. The file is
    deleted once applied: it holds personal data the portal now keeps where it belongs."""
    csv_import = CsvImport.objects.get(pk=import_id)
    if csv_import.status != ImportStatus.APPLYING:
        return 0
    plan = run_import(import_id=import_id, dry_run=False, actor=actor)
    with transaction.atomic():
        CsvImport.objects.filter(pk=import_id).update(
            status=ImportStatus.APPLIED,
            result=plan,
            counts=counts_of(plan),
            processed_rows=len(plan),
            applied_at=timezone.now(),
            content=None,
        )
        record_event(
            action="consent.import_applied",
            actor=actor,
            target=csv_import,
            details={"counts": counts_of(plan), "file_deleted": True},
        )
    return len(plan)


@transaction.atomic
def discard_import(*, csv_import: CsvImport, actor: Actor) -> None:
    """Delete the uploaded file of an import not applied (its plan goes with it)."""
    CsvImport.objects.filter(pk=csv_import.pk).exclude(
        status__in=[ImportStatus.APPLYING, ImportStatus.CHECKING]
    ).delete()
    record_event(
        action="consent.import_discarded",
        actor=actor,
        target_type="consent.csvimport",
        target_id=csv_import.pk,
    )


def result_csv(csv_import: CsvImport) -> str:
    """The result (or the dry run) as CSV: line, action, person id, reasons. No value from
    the uploaded file is repeated."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "action", "subject_id", "reasons"])
    for line, action, subject_id, errors in csv_import.result or csv_import.plan or []:
        reasons = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        writer.writerow([line, action, subject_id or "", reasons])
    return out.getvalue()
