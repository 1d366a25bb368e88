"""The preference centre: every purpose that concerns the person, with what they can do.

Consent-based purposes get a switch (grant with the wording shown and the policy version in
force; withdraw, GDPR Art. 7(3)); legitimate-interest ones an objection (Art. 21(2) for direct
marketing: absolute; Art. 21(1): the DPO decides, processing restricted meanwhile). Each change
is the consent ledger's own service with channel "self-service" and the person as actor, so
`consent_state` and `DataSubject.objects.marketable` follow at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consent.models import Channel, ConsentEvent, EventKind
from consent.selectors import ConsentState, consent_state, is_suppressed
from consent.services import grant_consent, object_to_processing, withdraw_consent
from consent.wording import grant_wording, public_wording
from core.audit import subject_actor
from processing.models import Purpose
from processing.selectors import purposes_to_withdraw_or_object
from subjects.models import DataSubject

GRANT, WITHDRAW, OBJECT = "grant", "withdraw", "object"

EFFECTS = {
    "marketing": gettext_lazy(
        "Objecting to direct marketing always takes effect (GDPR Art. 21(2)): we stop at once "
        "and never market to you again. If we hold your data only to market to you, it is "
        "erased; only a keyed hash of your e-mail address stays, so that we do not add you "
        "again."
    ),
    "other": gettext_lazy(
        "If you object on grounds relating to your situation (GDPR Art. 21(1)), our data "
        "protection officer weighs your reasons against ours and tells you the decision. "
        "Meanwhile we only store your data and do not otherwise use it."
    ),
    "consent": gettext_lazy(
        "You decide. Withdrawing is as easy as giving and takes effect at once; what was done "
        "before stays lawful."
    ),
}


@dataclass(frozen=True)
class PurposeChoice:
    purpose: Purpose
    wording: str
    state: ConsentState
    # What the person can do now: GRANT, WITHDRAW, OBJECT or "" (done: objected already).
    action: str
    effect: str
    grant_text: str

    @property
    def is_consent(self) -> bool:
        return self.purpose.is_consent_based


def _action(purpose: Purpose, state: ConsentState) -> str:
    if purpose.is_consent_based:
        return WITHDRAW if state.permitted else GRANT
    return OBJECT if state.status == "not_objected" else ""


def _effect(purpose: Purpose) -> str:
    if purpose.is_consent_based:
        return str(EFFECTS["consent"])
    return str(EFFECTS["marketing" if purpose.is_direct_marketing else "other"])


def preference_choices(subject: DataSubject) -> list[PurposeChoice]:
    """In the active language: the wording shown is the wording a grant records."""
    choices = []
    for purpose in purposes_to_withdraw_or_object(subject):
        state = consent_state(subject, purpose)
        choices.append(
            PurposeChoice(
                purpose=purpose,
                wording=public_wording(purpose),
                state=state,
                action=_action(purpose, state),
                effect=_effect(purpose),
                grant_text=grant_wording(purpose) if purpose.is_consent_based else "",
            )
        )
    return choices


@transaction.atomic
def change_preference(
    *, subject: DataSubject, purpose_id: int, action: str, now: dt.datetime | None = None
) -> ConsentEvent:
    """One switch or objection, on the ledger with channel self-service. Refuses what the
    page does not offer the person now (a stale page, a forged form)."""
    now = now or timezone.now()
    subject = DataSubject.objects.select_for_update().get(pk=subject.pk)
    choice = next((c for c in preference_choices(subject) if c.purpose.pk == purpose_id), None)
    if choice is None or action not in (GRANT, WITHDRAW, OBJECT):
        raise ValidationError(_("This choice is not offered to you."))
    if choice.action != action:
        raise ValidationError(_("This has changed meanwhile; here is where things stand now."))
    subject_, purpose, actor = subject, choice.purpose, subject_actor(subject.pk)
    channel = Channel.SELF_SERVICE
    if action == GRANT:
        if choice.purpose.is_direct_marketing and is_suppressed(subject.work_email):
            raise ValidationError(
                _("This address asked us earlier never to send it marketing, so we cannot "
                  "record a consent here. Please write to our privacy address.")
            )  # fmt: skip
        return grant_consent(
            subject=subject_, purpose=purpose, channel=channel, actor=actor, now=now,
            wording=choice.grant_text,
        )  # fmt: skip
    if action == WITHDRAW:
        return withdraw_consent(
            subject=subject_, purpose=purpose, channel=channel, actor=actor, now=now
        )
    return object_to_processing(
        subject=subject_, purpose=purpose, channel=channel, actor=actor, now=now
    )


def erases_the_person(subject: DataSubject, event: ConsentEvent) -> bool:
    """An objection to direct marketing by a prospect: their data is erased after commit
    (`object_to_processing`), so their self-service session ends with it."""
    return (
        event.kind == EventKind.OBJECTED
        and event.purpose.is_direct_marketing
        and subject.is_prospect
    )


def own_events(subject: DataSubject) -> list[ConsentEvent]:
    """The person's ledger, newest first: each row offers its receipt."""
    return list(
        ConsentEvent.objects.filter(subject=subject)
        .select_related("purpose", "policy_version")
        .order_by("-occurred_at", "-recorded_at", "-id")
    )
