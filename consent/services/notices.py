"""Telling people what they must be told: Art. 14 notices and policy-change notices.

Both jobs are safe to run twice and safe to kill: each batch claims its people, sends their
mail and marks them told in ONE transaction, so a rerun after completion sends nothing and a
crash resends at most the batch it interrupted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from consent.emails import absolute_url, build_service_email
from consent.models import NoticeStatus, PolicyNotice, PolicyVersion
from core.audit import Actor, record_event, record_events_bulk
from core.timeutil import legal_date, legal_today
from processing.models import DataCategory, Purpose
from processing.selectors import (
    DataHolders,
    PurposeForSubject,
    holders_by_country,
    purposes_for_subject,
)
from retention.selectors import GoverningRule, rules_governing_subjects
from subjects.models import SOURCES_NEEDING_NOTICE, DataSubject, Source

# One SMTP connection and one transaction per batch. 200 keeps a batch under ~10 s against a
# typical relay (≈40 ms a message) so a crash resends at most a few seconds' worth of mail.
NOTICE_BATCH_SIZE = 200


def notice_period_days() -> int:
    # The policy's "savlaicīgi" — in good time before the change takes effect.
    return int(getattr(settings, "POLICY_NOTICE_DAYS", 30))


def _reachable() -> Any:
    return DataSubject.objects.active().exclude(work_email_index__isnull=True)


# --- Art. 14 information notices ------------------------------------------------------------


def information_notice_due() -> Any:
    """People whose data did not come from them and who have not yet been told."""
    return _reachable().filter(source__in=SOURCES_NEEDING_NOTICE, informed_at__isnull=True)


@dataclass
class InformationNotice:
    """What GDPR Art. 14(1)-(2) requires telling one person whose data came from others.

    Purpose, category, processor and rule names come from the register in English; the
    notice's own sentences are translated, the register's content is not.
    """

    person: DataSubject
    purposes: list[PurposeForSubject]  # Art. 14(1)(c), with the legal basis of each
    categories: list[DataCategory]  # Art. 14(1)(d)
    holders: DataHolders  # Art. 14(1)(e)-(f): recipients, processors, transfers
    retention: list[GoverningRule]  # Art. 14(2)(a)
    source: str | Promise  # Art. 14(2)(f)
    collected_on: dt.date


def information_notices_for(
    people: list[DataSubject], *, as_of: dt.date | None = None
) -> list[InformationNotice]:
    """Each person's Art. 14 notice content. A batch of any size costs a bounded number of
    queries: purposes depend on the person's kind only (one lookup per kind), holders on the
    purposes and the country (one lookup per set of purposes, for all countries at once),
    retention on one query per rule."""
    purposes_by_kind: dict[str, list[PurposeForSubject]] = {}
    countries_by_purposes: dict[tuple[int, ...], set[str]] = {}
    for person in people:
        if person.kind not in purposes_by_kind:
            purposes_by_kind[person.kind] = purposes_for_subject(person)
        key = _purpose_ids(purposes_by_kind[person.kind])
        countries_by_purposes.setdefault(key, set()).add(str(person.country or ""))
    holders: dict[tuple[int, ...], dict[str, DataHolders]] = {}
    for purposes in purposes_by_kind.values():
        key = _purpose_ids(purposes)
        if key not in holders:
            holders[key] = holders_by_country(purposes, countries_by_purposes[key])
    retention = rules_governing_subjects([p.pk for p in people], as_of=as_of or legal_today())

    notices = []
    for person in people:
        purposes = purposes_by_kind[person.kind]
        categories = {c.pk: c for entry in purposes for c in entry.purpose.categories.all()}
        notices.append(
            InformationNotice(
                person=person,
                purposes=purposes,
                categories=sorted(categories.values(), key=lambda c: c.pk),
                holders=holders[_purpose_ids(purposes)][str(person.country or "")],
                retention=retention[person.pk],
                # Lazy: the e-mail renders it in the person's language.
                source=Source(person.source).label,
                collected_on=legal_date(person.collected_at),
            )
        )
    return notices


def _purpose_ids(purposes: list[PurposeForSubject]) -> tuple[int, ...]:
    return tuple(entry.purpose.pk for entry in purposes)


def send_information_notices(
    *, now: dt.datetime | None = None, batch_size: int = NOTICE_BATCH_SIZE
) -> int:
    """GDPR Art. 14(3)(a): tell people within a month of collection. Returns how many."""
    now = now or timezone.now()
    sent = 0
    while True:
        with transaction.atomic():
            batch = list(
                information_notice_due()
                .filter(collected_at__lte=now)
                .order_by("pk")
                .select_for_update(skip_locked=True)[:batch_size]
            )
            if not batch:
                return sent
            notices = information_notices_for(batch, as_of=legal_today(now))
            with mail.get_connection() as connection:
                messages = [
                    build_service_email(
                        to=notice.person.work_email or "",
                        template_base="information_notice",
                        context={
                            "notice": notice,
                            "person": notice.person,
                            "policy_url": absolute_url(
                                reverse("consent_public:policy"),
                                language=notice.person.letter_language(),
                            ),
                            "request_url": absolute_url(
                                reverse("requests_public:form"),
                                language=notice.person.letter_language(),
                            ),
                            "controller_name": settings.PRIVACY_CONTROLLER_NAME,
                        },
                        language=notice.person.letter_language(),
                        connection=connection,
                    )
                    for notice in notices
                ]
                connection.send_messages(messages)
            ids = [person.pk for person in batch]
            DataSubject.objects.filter(pk__in=ids, informed_at__isnull=True).update(informed_at=now)
            record_events_bulk(
                action="subject.informed",
                actor="information-notices",
                target_type="subjects.datasubject",
                target_ids=ids,
                details={"notice": "GDPR Art. 14"},
            )
            sent += len(ids)


def information_notices_overdue(*, as_of: dt.date | None = None) -> Any:
    return DataSubject.objects.informed_overdue(as_of=as_of or legal_today()).order_by(
        "collected_at", "pk"
    )


# --- policy versions ------------------------------------------------------------------------


def short_notice(effective_on: dt.date, *, today: dt.date) -> bool:
    return effective_on < today + relativedelta(days=notice_period_days())


@transaction.atomic
def publish_policy_version(
    *,
    actor: Actor,
    version: str,
    summary: str,
    full_text: str,
    effective_on: dt.date,
    new_consent_purposes: Iterable[Purpose] = (),
    short_notice_confirmed: bool = False,
    now: dt.datetime | None = None,
) -> PolicyVersion:
    """Store a new policy version and queue the e-mail telling everyone before it applies."""
    now = now or timezone.now()
    today = legal_today(now)
    errors: dict[str, str] = {}
    version = version.strip()
    purposes = list(new_consent_purposes)
    if not version:
        errors["version"] = _("Give the version a name, e.g. 2025-09.")
    elif PolicyVersion.objects.filter(version=version).exists():
        errors["version"] = _("A version with this name already exists.")
    if not full_text.strip():
        errors["full_text"] = _("Paste the full text of the policy.")
    if not summary.strip():
        errors["summary"] = _("Summarise what changes: people read this in the notice.")
    latest = PolicyVersion.objects.order_by("-effective_on").first()
    if effective_on <= today:
        errors["effective_on"] = _(
            "People must be told before the change takes effect: choose a date after today."
        )
    elif latest is not None and effective_on <= latest.effective_on:
        errors["effective_on"] = _(
            "Version %(version)s already takes effect on %(date)s; choose a later date."
        ) % {"version": latest.version, "date": latest.effective_on.isoformat()}
    elif short_notice(effective_on, today=today) and not short_notice_confirmed:
        errors["effective_on"] = _(
            "This gives people less than %(days)s days' notice. Tick the confirmation if the "
            "change really cannot wait."
        ) % {"days": notice_period_days()}
    not_consent = [p.name for p in purposes if not p.is_consent_based]
    if not_consent:
        errors["new_consent_purposes"] = _(
            "Only consent-based purposes need fresh consent: %(names)s."
        ) % {"names": ", ".join(not_consent)}
    if errors:
        raise ValidationError(errors)

    policy = PolicyVersion.objects.create(
        version=version,
        summary=summary.strip(),
        full_text=full_text.strip(),
        effective_on=effective_on,
        published_at=now,
        published_by=cast(Any, actor) if getattr(actor, "is_authenticated", False) else None,
        notice_status=NoticeStatus.QUEUED,
        notices_total=_reachable().count(),
    )
    policy.new_consent_purposes.set(purposes)
    record_event(
        action="consent.policy_published",
        actor=actor,
        target=policy,
        details={
            "effective_on": effective_on.isoformat(),
            "short_notice": short_notice(effective_on, today=today),
            "new_consent_purposes": [p.code for p in purposes],
        },
    )
    from consent.tasks import send_policy_notices_task

    policy_id = policy.pk
    transaction.on_commit(lambda: send_policy_notices_task.delay(policy_id))
    return policy


def send_policy_notices(
    *, policy_version_id: int, batch_size: int = NOTICE_BATCH_SIZE, now: dt.datetime | None = None
) -> int:
    """E-mail every non-anonymised person about a version, in batches. Safe to rerun."""
    sent = 0
    while True:
        with transaction.atomic():
            # The row lock makes a second run wait for this batch instead of racing it.
            policy = PolicyVersion.objects.select_for_update().get(pk=policy_version_id)
            if policy.notice_status == NoticeStatus.DONE:
                return sent
            batch = list(
                _reachable()
                .exclude(policy_notices__policy_version=policy)
                .order_by("pk")[:batch_size]
            )
            if not batch:
                PolicyVersion.objects.filter(pk=policy.pk).update(
                    notice_status=NoticeStatus.DONE,
                    notices_finished_at=now or timezone.now(),
                )
                record_event(
                    action="consent.policy_notices_sent",
                    actor="policy-notices",
                    target=policy,
                    details={"sent": policy.notices_sent},
                )
                return sent
            sent_at = now or timezone.now()
            PolicyNotice.objects.bulk_create(
                [PolicyNotice(policy_version=policy, subject=p, sent_at=sent_at) for p in batch]
            )
            with mail.get_connection() as connection:
                connection.send_messages(
                    [
                        build_service_email(
                            to=person.work_email or "",
                            template_base="policy_notice",
                            context={
                                "person": person,
                                "policy": policy,
                                "policy_url": absolute_url(
                                    reverse("consent_public:policy"),
                                    language=person.letter_language(),
                                ),
                                "fresh_consent": list(policy.new_consent_purposes.all()),
                                "subscribe_url": absolute_url(
                                    reverse("consent_public:subscribe"),
                                    language=person.letter_language(),
                                ),
                            },
                            language=person.letter_language(),
                            connection=connection,
                        )
                        for person in batch
                    ]
                )
            record_events_bulk(
                action="subject.policy_notice_sent",
                actor="policy-notices",
                target_type="subjects.datasubject",
                target_ids=[person.pk for person in batch],
                details={"policy_version": policy.version},
            )
            PolicyVersion.objects.filter(pk=policy.pk).update(
                notice_status=NoticeStatus.SENDING,
                notices_sent=F("notices_sent") + len(batch),
            )
            sent += len(batch)
