"""What the answer letter says was done to the person's data: what an erasure removed and
what it kept, until when and why; which values were corrected; the restriction and its
lifting; the objection and the balancing decision. Read inside the letter's language."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext

from consent.models import ObjectionReview, ReviewStatus
from processing.models import Purpose, System, SystemKind
from processing.selectors import systems_out_of_reach
from subject_requests.choices import ActionKind, ActionStatus, TaskKind, TaskStatus
from subject_requests.models import SubjectRequest
from subject_requests.words import field_label
from subjects.erasure_preview import ERASED_LABELS, KeptItem, erasure_preview
from subjects.models import RestrictionGround


@dataclass
class LetterActions:
    erased: list[tuple[str | Promise, int]] = field(default_factory=list)
    kept: list[KeptItem] = field(default_factory=list)
    everything_kept: bool = False
    corrected: list[str] = field(default_factory=list)
    restricted: list[str] = field(default_factory=list)
    lifted: bool = False
    objected: list[str] = field(default_factory=list)
    objections: list[tuple[str, str, str]] = field(default_factory=list)  # purpose, outcome, why
    # GDPR Art. 19: the recipients told of the change, named when the requester asked; and
    # those holding such data that were not told, with why (always said).
    notified: list[str] = field(default_factory=list)
    not_told: list[tuple[str, str]] = field(default_factory=list)
    asked_for_recipients: bool = False
    # Completed while systems had not all confirmed: the DPO's reason.
    systems_override: str = ""
    # GDPR Art. 12(4): the action refused for a record, named by its address or name, and why.
    refused: list[tuple[str, str, str]] = field(default_factory=list)  # action, record, why

    @property
    def any(self) -> bool:
        return bool(
            self.erased
            or self.kept
            or self.corrected
            or self.restricted
            or self.lifted
            or self.objected
            or self.notified
            or self.not_told
            or self.systems_override
            or self.refused
        )


def letter_actions(request: SubjectRequest) -> LetterActions:
    found = LetterActions()
    purposes = {p.code: p for p in Purpose.objects.all()}
    for action in request.actions.done().select_related("subject").order_by("done_at", "id"):
        details: dict[str, Any] = action.details or {}
        if action.kind == ActionKind.ERASURE:
            for item in details.get("erased", []):
                if item["code"] in ERASED_LABELS:
                    found.erased.append((ERASED_LABELS[item["code"]], int(item["count"])))
            if action.subject is not None:
                # Read again now: the request's own record, closed with this letter, and the
                # consent evidence, anonymised with the person, now have their last day.
                [now] = erasure_preview([action.subject])
                found.kept.extend(now.kept)
                found.everything_kept |= now.everything_kept
            else:
                found.kept.extend(KeptItem.from_json(item) for item in details.get("kept", []))
                found.everything_kept |= bool(details.get("everything_kept"))
        elif action.kind == ActionKind.RECTIFICATION:
            found.corrected.extend(field_label(name) for name in details.get("changes", {}))
        elif action.kind == ActionKind.RESTRICTION:
            ground = details.get("ground", "")
            if ground in RestrictionGround.values:
                found.restricted.append(str(RestrictionGround(ground).label))
        elif action.kind == ActionKind.RESTRICTION_LIFT:
            found.lifted = True
        elif action.kind == ActionKind.OBJECTION:
            names = [purposes[c].name for c in details.get("purposes", []) if c in purposes]
            found.objected.extend(gettext(name) for name in names)
            reviews = ObjectionReview.objects.filter(pk__in=details.get("reviews", []))
            for review in reviews.select_related("purpose"):
                if review.status == ReviewStatus.UPHELD:
                    outcome = gettext("upheld: the processing has stopped")
                elif review.status == ReviewStatus.REJECTED:
                    outcome = gettext("not upheld: compelling legitimate grounds override it")
                else:
                    outcome = gettext("still being weighed")
                found.objections.append(
                    (gettext(review.purpose.name), outcome, review.reasoning or "")
                )
    for action in request.actions.filter(status=ActionStatus.REFUSED).select_related("subject"):
        record = (action.subject.work_email or str(action.subject)) if action.subject else ""
        found.refused.append((str(action.get_kind_display()), record, action.note or ""))
    if found.erased or found.kept or found.corrected or found.restricted:
        found.notified, found.not_told = recipients_told(request)
        found.asked_for_recipients = request.recipients_requested
        if not request.recipients_requested:
            found.notified = []
    found.systems_override = request.systems_override
    return found


def _recipient_name(system: System) -> str:
    return gettext(system.recipient.name if system.recipient else system.name)


def recipients_told(request: SubjectRequest) -> tuple[list[str], list[tuple[str, str]]]:
    """GDPR Art. 19: the recipients told of the change (their notice delivered), and those
    holding data of such people that were not, with why, in the letter's language."""
    notices = request.system_tasks.filter(kind=TaskKind.NOTICE).select_related("system__recipient")
    told = {_recipient_name(t.system) for t in notices if t.status == TaskStatus.DONE}
    not_told: dict[str, str] = {}
    for task in notices:
        name = _recipient_name(task.system)
        if name not in told:
            not_told[name] = gettext("our notice to them is not yet confirmed")
    kinds = {person.kind for person in request.subjects.all()}
    for problem in systems_out_of_reach(kinds=kinds):
        system = problem.system
        if system.kind != SystemKind.RECIPIENT or system.pk in {t.system_id for t in notices}:
            continue
        name = _recipient_name(system)
        if name not in told:
            not_told.setdefault(
                name,
                gettext("we have no working channel to notify them at present")
                if not system.active
                else gettext("nobody at our company could send them the notice"),
            )
    return sorted(told), sorted(not_told.items())
