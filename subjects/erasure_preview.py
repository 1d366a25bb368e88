"""What erasing a person on request (GDPR Art. 17) will remove and what must stay, and until
when: the DPO's preview before confirming, and the list the answer letter gives the person.

The same knowledge the erasure acts on, read rather than written: the person's own record
with their demos, messages and usage goes (`subjects.anonymisation`), unless a legal hold or
a kept claim keeps everything; every other kind of record linked to the person (invoices,
claims, consent evidence, requests, …) stays under its own retention rule, each with the
reason its record type gives (`RecordType.kept_on_erasure`) and the day that rule ends it.
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
from subjects.anonymisation import subjects_kept_for_claims
from subjects.models import Claim, Communication, DataSubject, Demo, UsageRecord

# Why everything stays, for the reasons that keep the whole person.
LEGAL_HOLD = "legal_hold"
CLAIM = "claim"
WHOLE_PERSON_REASONS: dict[str, Promise] = {
    LEGAL_HOLD: _(
        "All your data: we must keep it to establish, exercise or defend a legal claim (GDPR "
        "Art. 17(3)(e)). It is erased as soon as that need ends."
    ),
    CLAIM: _(
        "All your data: it is linked to a claim that we keep to establish, exercise or defend "
        "it (GDPR Art. 17(3)(e)). It is erased once the claim's period ends."
    ),
}

# What erasure removes, in the person's words, by the code the preview and the letter use.
ERASED_LABELS: dict[str, Promise] = {
    "person": _(
        "Your name, date of birth, photo, work address, phone, e-mail, position, country and "
        "link to your company"
    ),
    "subjects.demo": _("Notes of demonstrations held with you"),
    "subjects.communication": _("The subject and text of messages between you and us"),
    "subjects.usagerecord": _("The link to you and the details of your use of the platform"),
}


@dataclass(frozen=True)
class ErasedItem:
    code: str  # "person" or the model label
    count: int

    @property
    def label(self) -> Promise:
        return ERASED_LABELS[self.code]


@dataclass(frozen=True)
class KeptItem:
    """Records that stay, why, and the last day they are kept (`until`; None when that day
    depends on something still to come, said by `period` after `anchor`)."""

    code: str  # a record type's code, LEGAL_HOLD or CLAIM
    count: int
    until: dt.date | None
    period: Period | None = None
    anchor: str = ""

    @property
    def reason(self) -> str | Promise:
        if self.code in WHOLE_PERSON_REASONS:
            return WHOLE_PERSON_REASONS[self.code]
        record_type = registry.get(self.code)
        return record_type.kept_on_erasure or record_type.label

    @property
    def label(self) -> str | Promise:
        if self.code in WHOLE_PERSON_REASONS:
            return _("Everything")
        return registry.get(self.code).label

    @property
    def anchor_label(self) -> str | Promise:
        if self.code in WHOLE_PERSON_REASONS:
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
    # Everything stays (a legal hold, a kept claim): `kept` starts with that item.
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
    own = _own_records(person)
    if held or claim:
        preview.everything_kept = True
        until = None if held else _last_claim_day(person, as_of=as_of)
        preview.kept.append(
            KeptItem(
                code=LEGAL_HOLD if held else CLAIM, count=sum(i.count for i in own), until=until
            )
        )
    elif person.anonymised_at is None:
        preview.erased = own
    preview.kept.extend(_linked_records(person, as_of=as_of))
    return preview


def _own_records(person: DataSubject) -> list[ErasedItem]:
    items = [ErasedItem(code="person", count=1)]
    for model in (Demo, Communication, UsageRecord):
        count = model.objects.filter(subject=person).count()
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
