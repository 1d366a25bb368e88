"""Celery tasks: each fetches by id and calls one service; the logic lives in the service."""

from __future__ import annotations

from typing import TypedDict

from celery import shared_task

from consent import services


class TimeLimits(TypedDict):
    """Celery's two time limits, typed so `**` into `shared_task` type-checks."""

    soft_time_limit: int
    time_limit: int


# Limits (seconds): the soft limit raises inside the task so it stops between batches (each
# batch commits on its own, so a rerun finishes the rest); the hard limit kills a stuck worker.
# Notices go in batches of 200 (~1 s each): an hour covers a million people.
NOTICE_LIMITS: TimeLimits = {"soft_time_limit": 3600, "time_limit": 3660}


@shared_task(name="consent.tasks.send_information_notices", **NOTICE_LIMITS)
def send_information_notices() -> int:
    # Beat: daily 06:30 Tallinn (privacyops/beat.py). GDPR Art. 14(3)(a): within a month.
    return services.send_information_notices()


@shared_task(name="consent.tasks.send_policy_notices_task", **NOTICE_LIMITS)
def send_policy_notices_task(policy_version_id: int) -> int:
    return services.send_policy_notices(policy_version_id=policy_version_id)


# One person's erasure: a few statements.
@shared_task(
    name="consent.tasks.erase_objecting_prospect_task", soft_time_limit=120, time_limit=150
)
def erase_objecting_prospect_task(subject_id: int) -> int:
    return services.erase_objecting_prospect(subject_id=subject_id)


# A CSV import's dry run or apply: batches of 5 000 rows of ~2-3 s each, progress recorded
# after each; 100 000 rows stay well inside ten minutes.
IMPORT_LIMITS: TimeLimits = {"soft_time_limit": 1200, "time_limit": 1260}


@shared_task(name="consent.tasks.check_import_task", **IMPORT_LIMITS)
def check_import_task(import_id: int) -> int:
    from consent.imports.services import check_import

    return check_import(import_id=import_id)


@shared_task(name="consent.tasks.apply_import_task", **IMPORT_LIMITS)
def apply_import_task(import_id: int, actor_id: int | None) -> int:
    from django.contrib.auth import get_user_model

    from consent.imports.services import apply_import

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return apply_import(import_id=import_id, actor=actor or "csv-import")
