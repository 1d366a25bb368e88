"""What erasing a person on request (GDPR Art. 17) will remove and what must stay, and until
when: the DPO's preview before confirming, and the list the answer letter gives the person.

The same knowledge the erasure acts on, read rather than written: the person's own record
with their demos, messages and usage goes (`subjects.anonymisation`), unless a legal hold
keeps everything; a kept claim keeps only what it needs of its party and the rest goes now
(`CLAIM_UNNEEDED`, `CLAIM_UNNEEDED_RECORDS`); every other kind of record linked to the person
(invoices, claims, consent evidence, requests, …) stays under its own retention rule, each
with the reason its record type gives (`RecordType.kept_on_erasure`) and the day that rule
ends it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.timeutil import legal_today
from retention.deadlines import deadlines_of
from retention.periods import Period
from retention.registry import registry
from retention.selectors import record_types_of_subjects
from subjects.anonymisation import (
    CLAIM_UNNEEDED_RECORDS,
    claim_unneeded_fields_left,
    claim_unneeded_records_of,
    subjects_kept_for_claims,
)
from subjects.models import Claim, Communication, DataSubject, Demo, UsageRecord

# What stays, and why, for the reasons that keep the person rather than a record type.
LEGAL_HOLD = "legal_hold"
# What a kept claim needs of its party: identity, work contact, company link, messages.
CLAIM_NEEDS = "claim_needs"
# Erasures recorded before a claim kept only what it needs say that it kept everything.
CLAIM = "claim"
PERSON_REASONS: dict[str, Promise] = {
    LEGAL_HOLD: _(
        "All your data: we must keep it to establish, exercise or defend a legal claim (GDPR "
        "Art. 17(3)(e)). It is erased as soon as that need ends."
    ),
    CLAIM_NEEDS: _(
        "Your name, work e-mail, phone and address, the link to your company and the messages "
        "between you and us: they are linked to a claim that we keep to establish, exercise "
        "or defend it (GDPR Art. 17(3)(e)). They are erased once the claim's period ends."
    ),
    CLAIM: _(
        "All your data: it is linked to a claim that we keep to establish, exercise or defend "
        "it (GDPR Art. 17(3)(e)). It is erased once the claim's period ends."
    ),
}
PERSON_LABELS: dict[str, Promise] = {
    LEGAL_HOLD: _("Everything"),
    CLAIM_NEEDS: _("Name, work contact, company link and messages, for a claim"),
    CLAIM: _("Everything"),
}

# What erasure removes, in the person's words, by the code the preview and the letter use.
ERASED_LABELS: dict[str, Promise] = {
    "person": _(
        "Your name, date of birth, photo, work address, phone, e-mail, position, country and "
        "link to your company"
    ),
    # What a kept claim does not need of the person's own record (`CLAIM_UNNEEDED`).
    "person.claim_unneeded": _("Your date of birth, photo and position"),
    "subjects.demo": _("Notes of demonstrations held with you"),
    "subjects.communication": _("The subject and text of messages between you and us"),
    "subjects.usagerecord": _("The link to you and the details of your use of the platform"),
}


@dataclass(frozen=True)
class ErasedItem:
    code: str  # "person", "person.claim_unneeded" or the model label
    count: int

    @property
    def label(self) -> Promise:
        return ERASED_LABELS[self.code]

    @property
    def counted(self) -> bool:
        """A kind of record, counted; not the person's own record."""
        return not self.code.startswith("person")


@dataclass(frozen=True)
class KeptItem:
    """Records that stay, why, and the last day they are kept (`until`; None when that day
    depends on something still to come, said by `period` after `anchor`)."""

    code: str  # a record type's code or one of PERSON_REASONS
    count: int
    until: dt.date | None
    period: Period | None = None
    anchor: str = ""

    @property
    def reason(self) -> str | Promise:
        if self.code in PERSON_REASONS:
            return PERSON_REASONS[self.code]
        record_type = registry.get(self.code)
        return record_type.kept_on_erasure or record_type.label

    @property
    def label(self) -> str | Promise:
        if self.code in PERSON_LABELS:
            return PERSON_LABELS[self.code]
        return registry.get(self.code).label

    @property
    def anchor_label(self) -> str | Promise:
        if self.code in PERSON_REASONS:
            return ""
        return registry.get(self.code).anchors.get(self.anchor, "")

    @property
    def until_text(self) -> str:
        """The last day in words, in the active language (the page's or the letter's)."""
        if self.until is not None:
            return f"{self.until:%d.%m.%Y}"
        if self.period is not None and self.anchor_label:
            return gettext("%(period)s after %(anchor)s") % {
                "period": self.period,
                "anchor": self.anchor_label,
            }
        if self.code == LEGAL_HOLD:
            return gettext("Until the legal hold is lifted")
        return gettext("No fixed day: while the reason above applies")

    def as_json(self) -> dict[str, Any]:
        period = self.period
        return {
            "code": self.code,
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
            "period": [period.years, period.months, period.days] if period else None,
            "anchor": self.anchor,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> KeptItem:
        until, period = data.get("until"), data.get("period")
        return cls(
            code=data["code"],
            count=int(data["count"]),
            until=dt.date.fromisoformat(until) if until else None,
            period=Period(*period) if period else None,
            anchor=data.get("anchor", ""),
        )


@dataclass
class PersonErasure:
    subject: DataSubject
    erased: list[ErasedItem] = field(default_factory=list)
    kept: list[KeptItem] = field(default_factory=list)
    # Everything stays (a legal hold): `kept` starts with that item. A kept claim keeps what
    # it needs (`kept` starts with CLAIM_NEEDS) and `erased` lists the rest.
    everything_kept: bool = False

    @property
    def is_erased(self) -> bool:
        return self.subject.anonymised_at is not None


def erasure_preview(
    subjects: Iterable[DataSubject], *, as_of: dt.date | None = None
) -> list[PersonErasure]:
    """For each person, what an erasure now removes and what stays with its end date."""
    as_of = as_of or legal_today()
    people = list(subjects)
    ids = [p.pk for p in people]
    held = set(
        DataSubject.objects.filter(pk__in=ids).held(as_of=as_of).values_list("pk", flat=True)
    )
    for_claims = subjects_kept_for_claims(ids)
    return [
        _preview_one(person, as_of=as_of, held=person.pk in held, claim=person.pk in for_claims)
        for person in people
    ]


def _preview_one(person: DataSubject, *, as_of: dt.date, held: bool, claim: bool) -> PersonErasure:
    preview = PersonErasure(subject=person)
    if held:
        preview.everything_kept = True
        own = _own_records(person)
        preview.kept.append(KeptItem(code=LEGAL_HOLD, count=sum(i.count for i in own), until=None))
    elif claim:
        preview.erased = _claim_unneeded(person)
        messages = Communication.objects.filter(subject=person).count()
        until = _last_claim_day(person, as_of=as_of)
        preview.kept.append(KeptItem(code=CLAIM_NEEDS, count=1 + messages, until=until))
    elif person.anonymised_at is None:
        preview.erased = _own_records(person)
    preview.kept.extend(_linked_records(person, as_of=as_of))
    return preview


def _own_records(person: DataSubject) -> list[ErasedItem]:
    items = [ErasedItem(code="person", count=1)]
    for model in (Demo, Communication, UsageRecord):
        count = model.objects.filter(subject=person).count()
        if count:
            items.append(ErasedItem(code=model._meta.label_lower, count=count))
    return items


def _claim_unneeded(person: DataSubject) -> list[ErasedItem]:
    """What a kept claim does not need of its party, still held: what the erasure clears."""
    items = []
    if DataSubject.objects.filter(pk=person.pk).filter(claim_unneeded_fields_left()).exists():
        items.append(ErasedItem(code="person.claim_unneeded", count=1))
    for model in CLAIM_UNNEEDED_RECORDS:
        count = claim_unneeded_records_of(model, {"subject": person}).count()
        if count:
            items.append(ErasedItem(code=model._meta.label_lower, count=count))
    return items


def _last_claim_day(person: DataSubject, *, as_of: dt.date) -> dt.date | None:
    claims = list(Claim.objects.filter(subject=person, anonymised_at__isnull=True))
    days = [d.expires_on for d in deadlines_of(claims, as_of=as_of).values() if d and d.expires_on]
    return max(days, default=None)


def _linked_records(person: DataSubject, *, as_of: dt.date) -> list[KeptItem]:
    """Every other record type's rows of this person that still hold personal data, grouped
    by the day their rule ends them."""
    kept: list[KeptItem] = []
    for record_type in record_types_of_subjects():
        if record_type.model() is DataSubject:
            continue
        rows = record_type.holds_personal_data(record_type.records_of_subject(person.pk))
        records = list(rows)
        if not records:
            continue
        deadlines = deadlines_of(records, as_of=as_of)
        groups: Counter[tuple[dt.date | None, Period | None, str]] = Counter()
        for record in records:
            deadline = deadlines[record.pk]
            if deadline is None:
                groups[(None, None, "")] += 1
            elif deadline.expires_on is not None:
                groups[(deadline.expires_on, None, "")] += 1
            else:
                groups[(None, deadline.period, deadline.rule.anchor)] += 1
        for (until, period, anchor), count in sorted(
            groups.items(), key=lambda g: (g[0][0] is None, g[0][0] or dt.date.min)
        ):
            kept.append(
                KeptItem(
                    code=record_type.code, count=count, until=until, period=period, anchor=anchor
                )
            )
    return kept
