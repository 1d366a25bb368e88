"""Writes of the printed record: a new PDF version when the record changed, and a new version
of the security measures. Each audited in its transaction."""

from __future__ import annotations

import hashlib

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import Actor, record_event, user_of
from core.locks import hold_advisory_lock
from core.pdf import html_to_pdf
from core.timeutil import legal_today
from processing.models import RecordVersion, SecurityMeasures
from processing.record.content import record_changes, record_context, record_text

# pg_advisory_xact_lock key: "RECORD" in ASCII (`core.locks`).
RECORD_LOCK_KEY = 0x5245434F5244


def latest_version() -> RecordVersion | None:
    return RecordVersion.objects.order_by("-number").first()


@transaction.atomic
def generate_record(*, actor: Actor) -> RecordVersion:
    """The record as a PDF from the live data. When nothing changed since the latest version,
    that version is the record still (same text, same bytes): no new version is kept."""
    # One printer at a time, so the second compares with the version the first kept. Not
    # `select_for_update()`: versions are append-only, and the application role may not lock
    # their rows (it has no UPDATE on them). The unique number refuses a race anyway.
    hold_advisory_lock(RECORD_LOCK_KEY)
    now = timezone.now()
    context = record_context(today=legal_today(now))
    text = record_text(context)
    latest = latest_version()
    if latest is not None and latest.text == text:
        record_event(
            action="processing.record_printed",
            actor=actor,
            target=latest,
            details={"version": latest.number, "new": False},
        )
        return latest
    number = (RecordVersion.objects.aggregate(n=Max("number"))["n"] or 0) + 1
    changes = record_changes(latest.text, text) if latest is not None else []
    html = render_to_string(
        "processing/record_pdf.html",
        {
            **context,
            "number": number,
            "generated_at": now,
            "previous": latest,
            "changes": changes,
        },
    )
    pdf = html_to_pdf(html, dated=legal_today(now))
    version = RecordVersion.objects.create(
        number=number,
        created_at=now,
        created_by=user_of(actor),
        text=text,
        pdf=pdf.content,
        sha256=hashlib.sha256(pdf.content).hexdigest(),
    )
    record_event(
        action="processing.record_printed",
        actor=actor,
        target=version,
        details={"version": number, "new": True, "changed_lines": len(changes)},
    )
    return version


@transaction.atomic
def save_security_measures(*, text: str, actor: Actor) -> SecurityMeasures:
    """A new version of the technical and organisational measures (Art. 30(1)(g), 32)."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": [_("Describe the measures; an empty text says none.")]})
    measures = SecurityMeasures.objects.create(text=text, created_by=user_of(actor))
    record_event(
        action="processing.measures_changed",
        actor=actor,
        target=measures,
        details={"characters": len(text)},
    )
    return measures
