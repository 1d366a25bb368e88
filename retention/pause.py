"""Pausing the nightly purge, in the portal: who paused it, when and why, and who resumed it.

The beat schedule's entry of the purge's task (`NIGHTLY_PURGE_TASK`, django-celery-beat; found
by its task, since an Admin may rename the entry) is what runs the purge, so its
`enabled` flag is the truth: a purge switched off in the Django admin is paused too, by
"the Django admin", since its entry changed. An Admin or the DPO pauses it with a reason
(audited; every DPO is e-mailed), and resumes it (audited). Every page that speaks of
tonight's purge shows the pause (`retention_rules.purge_paused_notice`); a pause older than
`PAUSE_ALARM_AFTER` is an alarm on every page of the DPO and the Admin, like a missed run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_celery_beat.models import PeriodicTask

from core.audit import record_event
from core.display import staff_datetime
from core.permissions import Role, holding_role
from retention.models import PurgePause

# The beat schedule's entry of the nightly purge (privacyops/beat.py): seeded under this name,
# found again by its task.
NIGHTLY_PURGE = "nightly-purge"
NIGHTLY_PURGE_TASK = "retention.tasks.nightly_purge"
# A pause this old is an alarm, as a purge that has not succeeded for 36 hours is.
PAUSE_ALARM_AFTER = dt.timedelta(days=1)


# Every page of the DPO and the Admin asks (the alarm): the answer is cached, and forgotten
# whenever the beat entry is saved (here or in the Django admin) or a pause is written.
CACHE_KEY = "retention:purge-paused"
RUNNING = "running"


@dataclass(frozen=True)
class Paused:
    since: dt.datetime
    by: str  # a username; empty: switched off in the Django admin
    reason: str

    def is_alarm(self, now: dt.datetime | None = None) -> bool:
        return (now or timezone.now()) - self.since > PAUSE_ALARM_AFTER

    def sentence(self) -> str:
        said = _("The nightly purge is paused since %(when)s, by %(who)s.") % {
            "when": staff_datetime(self.since),
            "who": self.by or _("someone in the Django admin"),
        }
        if not self.reason:
            return said
        reason = self.reason.strip()
        return f"{said} {_('Reason:')} {reason}{'' if reason[-1] in '.!?' else '.'}"


def _purge_entries() -> QuerySet[PeriodicTask]:
    entries: QuerySet[PeriodicTask] = PeriodicTask.objects.filter(task=NIGHTLY_PURGE_TASK)
    return entries.order_by("id")


def _schedule_entry() -> PeriodicTask | None:
    return _purge_entries().first()


def purge_time() -> str:
    """The time of day the schedule runs the purge, in its own zone ("02:00"); an Admin may
    change it in the admin's periodic tasks."""
    entry = _purge_entries().select_related("crontab").first()
    crontab = entry.crontab if entry is not None else None
    if crontab is None or not crontab.hour.isdigit() or not crontab.minute.isdigit():
        return "—"
    return f"{int(crontab.hour):02d}:{int(crontab.minute):02d}"


def purge_paused() -> Paused | None:
    """Whether the nightly purge is paused now, since when, by whom and why."""
    cached = cache.get(CACHE_KEY)
    if cached is None:
        cached = _read_pause() or RUNNING
        cache.set(CACHE_KEY, cached, 3600)
    return None if cached == RUNNING else cached


def forget_pause(**kwargs: Any) -> None:
    """Connected to the beat entries' and the pauses' saves (`retention.apps`)."""
    cache.delete(CACHE_KEY)


def _read_pause() -> Paused | None:
    entry = _schedule_entry()
    if entry is None or entry.enabled:
        return None
    pause = PurgePause.objects.filter(resumed_at__isnull=True).select_related("paused_by").first()
    if pause is None:
        return Paused(since=entry.date_changed, by="", reason="")
    return Paused(since=pause.paused_at, by=pause.paused_by.get_username(), reason=pause.reason)


def pause_purge(*, actor: Any, reason: str, now: dt.datetime | None = None) -> PurgePause:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the purge pauses: the DPO is told.")})
    now = now or timezone.now()
    with transaction.atomic():
        entry = _purge_entries().select_for_update().first()
        if entry is None:
            raise ValidationError(_("The nightly purge is not in the beat schedule."))
        if not entry.enabled:
            raise ValidationError(_("The nightly purge is paused already."))
        entry.enabled = False
        entry.save()  # django-celery-beat's signal tells the running beat
        pause = PurgePause.objects.create(paused_at=now, paused_by=actor, reason=reason)
        record_event(
            action="retention.purge_paused", actor=actor, target=pause, details={"reason": reason}
        )
        transaction.on_commit(forget_pause)
        transaction.on_commit(lambda: _tell_the_dpo(pause))
    return pause


def resume_purge(*, actor: Any, now: dt.datetime | None = None) -> int:
    """Turn the nightly purge on again; the number of pauses this ends (0: it was switched off
    in the Django admin)."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = _purge_entries().select_for_update().first()
        if entry is None:
            raise ValidationError(_("The nightly purge is not in the beat schedule."))
        if entry.enabled:
            raise ValidationError(_("The nightly purge is not paused."))
        entry.enabled = True
        entry.save()
        ended = PurgePause.objects.filter(resumed_at__isnull=True).update(
            resumed_at=now, resumed_by=actor
        )
        transaction.on_commit(forget_pause)
        record_event(
            action="retention.purge_resumed",
            actor=actor,
            target_type="retention.purgepause",
            details={"pauses_ended": ended},
        )
    return int(ended)


def _tell_the_dpo(pause: PurgePause) -> None:
    dpos = get_user_model().objects.filter(holding_role(Role.DPO), is_active=True, email__gt="")
    addresses = sorted({user.email for user in dpos})
    if not addresses:
        return
    body = "\n\n".join(
        [
            _("%(who)s paused the nightly purge on %(when)s. Their reason:")
            % {"who": pause.paused_by.get_username(), "when": staff_datetime(pause.paused_at)},
            pause.reason,
            _(
                "While it is paused, data past its retention period is kept. Resume it, or "
                "see what it would do tonight: %(url)s"
            )
            % {"url": f"{settings.SITE_URL}{reverse('retention:preview')}"},
        ]
    )
    send_mail(_("The nightly purge is paused"), body, settings.DEFAULT_FROM_EMAIL, addresses)
