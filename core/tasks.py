from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from core.audit_heads import HeadFileError
from core.partitions import make_partitions_ahead
from core.services.audit_chain import (
    SYSTEM_ACTOR,
    HeadNotExported,
    export_audit_head,
    verify_audit_log,
)

logger = logging.getLogger(__name__)


def _verify_audit() -> bool:
    return verify_audit_log(actor_label=SYSTEM_ACTOR).intact


def _export_audit_head() -> bool:
    if settings.AUDIT_HEAD_EXPORT is None:
        logger.warning(
            "AUDIT_HEAD_EXPORT is not set: the audit chain's head was exported nowhere, so "
            "nothing outside the database anchors the audit log"
        )
        return False
    try:
        export_audit_head(destination=settings.AUDIT_HEAD_EXPORT, now=timezone.now())
    except (HeadNotExported, HeadFileError, OSError) as exc:
        logger.error("audit head not exported to %s: %s", settings.AUDIT_HEAD_EXPORT, exc)
        return False
    return True


def _make_partitions_ahead() -> bool:
    return not any(month.missing for month in make_partitions_ahead(now=timezone.now()))


# Their queue and time limits: privacyops.queues.
verify_audit = shared_task(name="core.tasks.verify_audit")(_verify_audit)
# The same walk, then one appended line.
export_audit_head_task = shared_task(name="core.tasks.export_audit_head")(_export_audit_head)
# The logs' monthly partitions, made ahead (PostgreSQL; nothing to do on SQLite).
make_partitions_ahead_task = shared_task(name="core.tasks.make_partitions_ahead")(
    _make_partitions_ahead
)
