"""The suppression check `subjects.services.create_subject` calls before storing anyone.

An address that objected to direct marketing (GDPR Art. 21(2)-(3)) stays as a keyed hash so a
later import does not bring the person back. What happens then is the DPO's choice
(`ConsentSettings.on_suppressed_import`): refuse, or store the person flagged — a flagged
person is never marketed to, because `marketable_filter` excludes every suppressed address.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from consent.models import ConsentSettings, SuppressedImport, SuppressionEntry
from core.audit import Actor, record_event, record_events_bulk
from core.crypto import blind_index

if TYPE_CHECKING:
    from subjects.models import DataSubject


def flag_subject(*, subject: DataSubject, actor: Actor) -> None:
    """Record that a suppressed address was stored again (the DPO sees it on the list)."""
    record_event(
        action="consent.suppressed_address_stored",
        actor=actor,
        target=subject,
        details={"on_suppressed_import": SuppressedImport.FLAG},
    )


def _suppressed_on(emails: Collection[str]) -> dict[str, str]:
    """The addresses of `emails` on the suppression list, with the day each first was: one
    query by blind index whatever the number of addresses."""
    indexes = {index: email for email in emails if (index := blind_index(email))}
    if not indexes:
        return {}
    first: dict[str, str] = {}
    rows = (
        SuppressionEntry.objects.filter(email_index__in=list(indexes))
        .order_by("suppressed_on")
        .values_list("email_index", "suppressed_on")
    )
    for index, day in rows:
        first.setdefault(indexes[index], day.isoformat())
    return first


def _refusal(day: str) -> str:
    return _(
        "This address objected to marketing on %(date)s and is on the suppression "
        "list, so the person is not stored again. Ask the DPO if they contacted us "
        "themselves."
    ) % {"date": day}


def suppression_errors(emails: Collection[str]) -> dict[str, list[str]]:
    """For `work_email_errors` and the bulk upsert (`subjects.hooks.email_checks`): the
    refusal of each suppressed address, none in "flag" mode."""
    suppressed = _suppressed_on(emails)
    if not suppressed or ConsentSettings.load().on_suppressed_import == SuppressedImport.FLAG:
        return {}
    return {email: [_refusal(day)] for email, day in suppressed.items()}


def flag_if_suppressed(*, subjects: Sequence[DataSubject], actor: Actor) -> int:
    """After people were stored (one or a bulk import): flag those whose address is
    suppressed, in "flag" mode — refuse mode refused them before. Returns how many."""
    emails = {p.work_email: p for p in subjects if getattr(p, "work_email", None)}
    # The mode first: in refuse mode (the default) the guards refused every suppressed address
    # before the people were stored, and the addresses need not be looked up again.
    if not emails or ConsentSettings.load().on_suppressed_import != SuppressedImport.FLAG:
        return 0
    suppressed = _suppressed_on(list(emails))
    if not suppressed:
        return 0
    if len(suppressed) == 1:
        flag_subject(subject=emails[next(iter(suppressed))], actor=actor)
        return 1
    return record_events_bulk(
        action="consent.suppressed_address_stored",
        actor=actor,
        target_type="subjects.datasubject",
        target_ids=[emails[email].pk for email in suppressed],
        details={"on_suppressed_import": SuppressedImport.FLAG},
    )
