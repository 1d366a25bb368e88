"""What the record of processing activities says (GDPR Art. 30(1)), read from the live
register, the retention rules in force and the Admin's measures: once as a context the page
and the PDF render, once as plain lines that two versions are compared by."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from processing.models import SecurityMeasures, SubjectKind
from processing.selectors import processing_register, register_findings
from retention.selectors import retention_periods


def record_context(*, today: dt.date) -> dict[str, Any]:
    """Everything Art. 30(1)(a)–(g) asks for, in a constant number of queries."""
    return {
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "controller_address": settings.PRIVACY_CONTROLLER_ADDRESS,
        "dpo_contact": settings.PRIVACY_DPO_CONTACT,
        "contact": settings.PRIVACY_CONTACT_EMAIL,
        "register": processing_register(),
        "retention_periods": retention_periods(),
        "measures": SecurityMeasures.objects.order_by("-created_at", "-id").first(),
        "findings": register_findings(today=today),
        "today": today,
    }


def _join(values: Any) -> str:
    return ", ".join(str(v) for v in values) or "—"


def record_text(context: dict[str, Any]) -> str:
    """The record as lines, one fact a line, so that a diff names what changed."""
    kinds = dict(SubjectKind.choices)
    register = context["register"]
    lines = [
        f"{_('Controller')}: {context['controller']}, {context['controller_address']}",
        f"{_('Data protection officer')}: {context['dpo_contact']}",
        f"{_('Privacy contact')}: {context['contact']}",
    ]
    for purpose in register.purposes:
        if not purpose.active:
            continue
        lines.append(
            f"{_('Purpose')}: {purpose.name} — {purpose.get_legal_basis_display()} — "
            f"{_('whose data')}: {_join(str(kinds.get(k, k)) for k in purpose.subject_kinds)} — "
            f"{_('data')}: {_join(c.name for c in purpose.categories.all())}"
        )
        if purpose.is_legitimate_interest:
            for label, text in purpose.legitimate_interest_assessment:
                lines.append(f"  {purpose.name} · {label}: {' '.join(text.split()) or '—'}")
            lines.append(
                f"  {purpose.name} · {_('Reviewed')}: {purpose.lia_reviewer or '—'}, "
                f"{purpose.lia_reviewed_on or '—'}; {_('next review by')} "
                f"{purpose.lia_review_due_on or '—'}"
            )
    for processor in register.processors:
        dpa = processor.dpa_reference or _("no DPA recorded")
        lines.append(
            f"{_('Processor')}: {processor.name} — {processor.category.name} — "
            f"{processor.country.name} — {_('DPA')}: {dpa}, {_('signed')} "
            f"{processor.dpa_signed_on or '—'}, {_('review by')} "
            f"{processor.dpa_review_due_on or '—'}"
        )
        for sub in processor.sub_processors.all():
            lines.append(
                f"  {processor.name} · {_('Sub-processor')}: {sub.name}, {sub.country.name}"
            )
    for recipient in register.recipients:
        lines.append(f"{_('Recipient')}: {recipient.name} — {recipient.get_legal_basis_display()}")
    for transfer in register.transfers:
        ground = transfer.adequacy_decision or transfer.document_reference or _("not recorded")
        checked = transfer.certification_checked_on
        lines.append(
            f"{_('Transfer')}: {transfer.processor or transfer.recipient} → "
            f"{transfer.destination_country.name} — {transfer.get_ground_display()} — {ground}"
            + (f" — {_('checked')} {checked}" if checked else "")
        )
    for line in context["retention_periods"]:
        lines.append(
            f"{_('Retention')}: {line.label} — {line.period} {_('after')} {line.anchor} — "
            f"{line.rule.get_action_display()} — {line.rule.legal_reference}"
        )
    measures = context["measures"]
    lines.append(
        f"{_('Security measures')}: {' '.join(measures.text.split()) if measures else '—'}"
    )
    return "\n".join(lines)


@dataclass(frozen=True)
class Change:
    added: bool
    text: str


def record_changes(before: str, after: str) -> list[Change]:
    """The lines added and removed between two versions (a changed fact is one of each)."""
    return [
        Change(added=line.startswith("+ "), text=line[2:])
        for line in difflib.ndiff(before.splitlines(), after.splitlines())
        if line[:2] in ("+ ", "- ")
    ]
