"""Celery tasks: each fetches by id and calls one service; the logic lives in the service.
Each task's queue and time limits are in one table, `privacyops.queues`."""

from __future__ import annotations

from celery import shared_task

from consent import services


@shared_task(name="consent.tasks.send_information_notices")
def send_information_notices() -> int:
    # Beat: daily 06:30 Tallinn (privacyops/beat.py). GDPR Art. 14(3)(a): within a month.
    return services.send_information_notices()


@shared_task(name="consent.tasks.send_policy_notices_task")
def send_policy_notices_task(policy_version_id: int) -> int:
    return services.send_policy_notices(policy_version_id=policy_version_id)


@shared_task(name="consent.tasks.erase_objecting_prospect_task")
def erase_objecting_prospect_task(subject_id: int) -> int:
    return services.erase_objecting_prospect(subject_id=subject_id)


@shared_task(name="consent.tasks.check_import_task")
def check_import_task(import_id: int) -> int:
    from consent.imports.services import check_import

    return check_import(import_id=import_id)


@shared_task(name="consent.tasks.apply_import_task")
def apply_import_task(import_id: int, actor_id: int | None) -> int:
    from django.contrib.auth import get_user_model

    from consent.imports.services import apply_import

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return apply_import(import_id=import_id, actor=actor or "csv-import")
