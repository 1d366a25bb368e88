"""Checking the audit log's hash chain, and keeping the result where the DPO sees it."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.db import transaction

from core.audit import record_event
from core.chain import verify_chain
from core.models import AuditVerification

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "verify-audit"
# The alarm shown on every DPO page reads this key instead of the database, one query fewer
# per page; a check sets it when it commits, and the ten minutes bound how stale it can be
# where web and worker do not share a cache.
ALARM_CACHE_KEY = "privacyops:audit-chain-broken"
ALARM_CACHE_SECONDS = 600


def verify_audit_log(*, actor_label: str = SYSTEM_ACTOR) -> AuditVerification:
    """Walk the whole chain, store the result and audit it.

    The walk reads outside any transaction (it may take a while on a large log and must not
    hold the chain's lock); events appended meanwhile are simply walked too."""
    last_intact = AuditVerification.objects.filter(intact=True).first()
    expected = None if last_intact is None else (last_intact.head_sequence, last_intact.head_hash)
    report = verify_chain(expected_head=expected)
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


def audit_chain_broken() -> bool:
    """Whether the latest check found a break (cached; see ALARM_CACHE_KEY)."""
    broken = cache.get(ALARM_CACHE_KEY)
    if broken is None:
        latest = AuditVerification.objects.only("intact").first()
        broken = latest is not None and not latest.intact
        cache.set(ALARM_CACHE_KEY, broken, ALARM_CACHE_SECONDS)
    return bool(broken)
