"""Checking the audit log's hash chain, keeping the result where the DPO sees it, and
exporting each day's head outside the database (`core.audit_heads`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from pathlib import Path

from django.core.cache import cache
from django.db import transaction

from core.audit import record_event
from core.audit_heads import append_head, read_heads
from core.chain import ExportedHead, verify_chain
from core.models import AuditEvent, AuditVerification
from core.timeutil import legal_date

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "verify-audit"
# The alarm shown on every DPO page reads this key instead of the database, one query fewer
# per page; a check sets it when it commits, and the ten minutes bound how stale it can be
# where web and worker do not share a cache.
ALARM_CACHE_KEY = "privacyops:audit-chain-broken"
ALARM_CACHE_SECONDS = 600


EXPORT_ACTOR = "export-audit-head"


def verify_audit_log(
    *, actor_label: str = SYSTEM_ACTOR, exported: Sequence[ExportedHead] = ()
) -> AuditVerification:
    """Walk the whole chain, against the heads exported outside the database if given; store
    the result and audit it.

    The walk reads outside any transaction (it may take a while on a large log and must not
    hold the chain's lock); events appended meanwhile are simply walked too."""
    last_intact = AuditVerification.objects.filter(intact=True).first()
    expected = None if last_intact is None else (last_intact.head_sequence, last_intact.head_hash)
    report = verify_chain(expected_head=expected, exported=exported)
    with transaction.atomic():
        verification = AuditVerification.objects.create(
            intact=report.intact,
            events_checked=report.checked,
            head_sequence=report.head_sequence,
            head_hash=report.head_hash,
            broken_at=None if report.broken is None else report.broken.sequence,
            problem="" if report.broken is None else report.broken.problem[:300],
            actor_label=actor_label,
        )
        record_event(
            action="audit.verified" if report.intact else "audit.chain_broken",
            actor=actor_label,
            target=verification,
            details={
                "events_checked": report.checked,
                "head_sequence": report.head_sequence,
                "broken_at": verification.broken_at,
            },
        )
    cache.set(ALARM_CACHE_KEY, not report.intact, ALARM_CACHE_SECONDS)
    # A copy of the head outside the database: a later rewrite of the whole chain (by the
    # table's owner, who can lift the triggers) cannot also rewrite the logs kept elsewhere.
    log = logger.info if report.intact else logger.error
    log(
        "audit chain %s: %d events, head #%d %s%s",
        "intact" if report.intact else "BROKEN",
        report.checked,
        report.head_sequence,
        report.head_hash,
        "" if report.broken is None else f"; {report.broken.problem}",
    )
    return verification


class HeadNotExported(Exception):
    """The day's head was not appended; the message says why."""


def export_audit_head(
    *, destination: Path, now: dt.datetime, actor_label: str = EXPORT_ACTOR
) -> ExportedHead:
    """Walk the chain against the heads already in `destination` and append the head the
    walk reached, as the head of `now`'s legal day.

    A chain that no longer matches an earlier export is not exported from: its head would
    anchor the rewritten history. The walk is stored and audited as any check, so a break
    raises the DPO's alarm. Raises `HeadFileError` if the file cannot be read."""
    earlier = []
    if destination.exists():
        read = read_heads(destination)
        earlier = read.heads
        for place in read.torn:
            logger.warning("skipped %s: a line of exported audit heads cut short", place)
    if not earlier:
        logger.warning("no audit head exported to %s yet: starting the file", destination)
    verification = verify_audit_log(actor_label=actor_label, exported=earlier)
    if not verification.intact:
        raise HeadNotExported(
            f"the audit log is broken at event #{verification.broken_at}: "
            f"{verification.problem}; no head was exported"
        )
    if verification.head_sequence == 0:
        raise HeadNotExported("the audit log was empty when walked; no head was exported")
    head = ExportedHead(
        day=legal_date(now),
        exported_at=now,
        event_id=AuditEvent.objects.values_list("id", flat=True).get(
            sequence=verification.head_sequence
        ),
        sequence=verification.head_sequence,
        hash=verification.head_hash,
        events=verification.events_checked,
    )
    append_head(destination, head)
    logger.info("audit head #%d %s exported to %s", head.sequence, head.hash, destination)
    return head


def audit_chain_broken() -> bool:
    """Whether the latest check found a break (cached; see ALARM_CACHE_KEY)."""
    broken = cache.get(ALARM_CACHE_KEY)
    if broken is None:
        latest = AuditVerification.objects.only("intact").first()
        broken = latest is not None and not latest.intact
        cache.set(ALARM_CACHE_KEY, broken, ALARM_CACHE_SECONDS)
    return bool(broken)
