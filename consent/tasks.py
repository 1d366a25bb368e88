"""Celery tasks: each fetches by id and calls one service; the logic lives in the service."""

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
