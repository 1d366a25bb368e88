"""The one registry of record types that retention rules can govern, and of stated exemptions.

A model with personal data joins the purge by declaring a `RecordType` for it, from its own
app: either in `<app>/retention.py` (autodiscovered when the retention app is ready) or in
its `AppConfig.ready()`::

    from retention.registry import RecordType, register

    @register
    class ClosedRequests(RecordType):
        code = "subject_requests.request"
        label = _("Data-subject requests")
        model_label = "subject_requests.SubjectRequest"
        anchors = {"request_closed": _("the day the request was closed")}
        subject_path = None
        def applicable(self, qs, *, as_of): return qs.filter(closed_at__isnull=False)
        def expired(self, qs, *, rule, as_of): ...
        def pending(self, qs, *, action): return qs.filter(anonymised_at__isnull=True)
        def anchor_of(self, record): ...
        def apply(self, ids, *, action, now): ...

The engine imports no domain app: who is on legal hold or restricted comes from the app that
stores the people, through `registry.set_holds(...)`. A model that is deliberately kept (the
audit log, the consent ledger, the suppression list) states why instead:
`exempt("consent.ConsentEvent", "Proof of consent, Art. 7(1)")`. The coverage check
(`retention.selectors.coverage_findings`, and a test) fails for a model with encrypted
personal fields that has neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.apps import apps
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from retention.lookups import IdArray
from retention.periods import Period

ANONYMISE = "anonymise"
DELETE = "delete"
# Not a rule's action but a ledger entry's: the people leave use at once and a later purge
# erases them once nothing keeps them (a legal hold, a kept claim). Only the record type of
# erasure requests re-applies it (`RecordType.redo`).
DEFER = "defer"


class ActionRefused(ValueError):
    """A ledger entry's action that its record type does not take (`RecordType.redo`)."""


@dataclass
class Applied:
    """What one batch changed: rows per model label, and primary records deliberately kept
    (another purpose still needs them)."""

    counts: dict[str, int] = field(default_factory=dict)
    kept_ids: list[int] = field(default_factory=list)

    def add(self, label: str, rows: int) -> None:
        self.counts[label] = self.counts.get(label, 0) + rows

    def merge(self, other: Applied) -> None:
        for label, rows in other.counts.items():
            self.add(label, rows)
        self.kept_ids.extend(other.kept_ids)

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


class Holds(Protocol):
    """Who no purge may touch. Supplied by the app that stores the people (`subjects`
    registers it from its `retention.py`), so the engine knows no domain model."""

    def held_subjects(self, *, as_of: dt.date, restricted: bool = True) -> QuerySet[Any]:
        """The people whose data no purge touches; `restricted=False` leaves out those held
        only by a restriction (a rule's legal end overrides it)."""
        ...

    def held_organisations(self, *, as_of: dt.date) -> QuerySet[Any]:
        """The organisations whose people and records no purge touches."""
        ...


class RecordType:
    """One kind of record a retention rule can govern. Subclasses fill in the attributes and
    the set-based methods; every method that selects rows returns a QuerySet, so the purge
    can batch, count and preview with the same predicate."""

    code: str = ""
    label: str | Promise = ""
    model_label: str = ""  # the primary model, iterated in batches
    # Other models whose personal data `apply` clears with the primary record.
    dependent_labels: tuple[str, ...] = ()
    anchors: dict[str, str | Promise] = {}
    actions: tuple[str, ...] = (ANONYMISE,)
    # Legal bounds on the period, with their source.
    min_period: Period | None = None
    max_period: Period | None = None
    bound_reference: str | Promise = ""
    # Lookups from the primary model to the data subject and to organisations, for legal
    # holds and restriction (Art. 18).
    subject_path: str | None = None
    organisation_paths: tuple[str, ...] = ()
    # What is cleared, said in words for the rule page and the manual.
    clears: str | Promise = ""
    # The purge runs record types in ascending order (ties by rule code): a type whose
    # records keep others alive (claims keep their parties) runs before those others.
    purge_order: int = 100
    # The period ends where the law ends it (claims: the limitation period): past it, not even
    # a restriction of processing (Art. 18) keeps the records. A legal hold still does.
    has_legal_end: bool = False
    # Why a person's erasure on request (Art. 17) leaves these records to this rule, in words
    # the person reads in their answer letter (empty: the erasure clears them).
    kept_on_erasure: str | Promise = ""
    # What keeps a governed record that the rule does not yet apply to (an invoice that is
    # evidence for an open claim), in words the person reads: "kept while …" (empty: the
    # record only waits for its anchor, e.g. a request still open).
    waiting_for: str | Promise = ""
    # The kinds of people whose whole record this type's rule removes when their period ends:
    # the systems holding such people's data are told once per run to apply the same rule
    # (`subject_requests.services.erasure_reach.reach_systems_after_retention`). Empty: the
    # records are not people, or each person's erasure reaches the systems on its own.
    person_kinds: frozenset[str] = frozenset()

    # --- declared by each record type ---------------------------------------------------
    def applicable(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        """Rows the rule applies to at all, whatever their dates."""
        return qs

    def governed(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        """Rows this rule answers for, including those still waiting for their anchor (a
        running trial, a running contract): a row no rule governs is a finding."""
        return self.applicable(qs, as_of=as_of)

    def awaiting(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        """Rows the rule will apply to but not yet: their anchor is still to come (a running
        trial, an open request) or `waiting_for` keeps them (an open claim). The person is
        told the rule's period and what it waits for."""
        return qs.none()

    @property
    def awaits(self) -> bool:
        """Whether this type ever awaits (saves a query per rule for those that do not)."""
        return type(self).awaiting is not RecordType.awaiting

    def anchor_missing(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """Governed rows whose anchor should exist but does not (a former client without
        the day its contract ended): nothing would ever purge them, so they are findings."""
        return qs.none()

    def expired(self, qs: QuerySet[Any], *, period: Period, as_of: dt.date) -> QuerySet[Any]:
        """Rows with `anchor + period < as_of`, set-based (see `retention.periods`)."""
        raise NotImplementedError

    def pending(self, qs: QuerySet[Any], *, action: str) -> QuerySet[Any]:
        """Rows with work left: anonymised rows must not match again (safe to rerun)."""
        raise NotImplementedError

    def holds_personal_data(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """Rows that still carry personal data (for the coverage findings)."""
        return self.pending(qs, action=ANONYMISE)

    def anchor_of(self, record: Any) -> dt.date | None:
        """The anchor of one record (None: no anchor yet, e.g. a running trial)."""
        raise NotImplementedError

    def anchors_of(self, records: Sequence[Any]) -> dict[Any, dt.date | None]:
        """Anchors of several records; types whose anchor needs queries override this to
        answer in a fixed number of them (a person's page lists many records)."""
        return {record.pk: self.anchor_of(record) for record in records}

    def describe(self, record: Any) -> str:
        """The record in words, for a person's page."""
        return f"{capfirst(record._meta.verbose_name)} {record}"

    def line_notes(self, records: Sequence[Any]) -> dict[Any, str]:
        """A remark per record where one helps the reader (an open claim, a converted trial)."""
        return {}

    def apply(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        """Anonymise or delete the given primary records set-based: a fixed number of
        statements whatever the number of ids."""
        raise NotImplementedError

    def redo(self, ids: Sequence[int], *, action: str, now: dt.datetime) -> Applied:
        """Re-apply an erasure ledger entry after a restore (`retention.services.replay`):
        `apply` to those of `ids` still `pending`, so an anonymised row is skipped and a row
        the backup still holds is deleted again. No hold is consulted: the entry records
        what was decided, under the holds of its day."""
        if action not in self.actions:
            raise ActionRefused(f"{self.code} does not {action}")
        qs = self.model()._default_manager.filter(pk__any_of=IdArray(ids))
        todo = sorted(self.pending(qs, action=action).values_list("pk", flat=True))
        return self.apply(todo, action=action, now=now) if todo else Applied()

    def period_for(self, record: Any, period: Period) -> Period:
        """The period for one record (a per-record agreement may replace the rule's)."""
        return period

    def records_of_subject(self, subject_id: int) -> QuerySet[Any]:
        """This type's primary records linked to a data subject (the subject page)."""
        if self.subject_path is None:
            return self.model()._default_manager.none()
        return self.model()._default_manager.filter(**{self.subject_path: subject_id})

    # --- shared machinery --------------------------------------------------------------
    def model(self) -> type[models.Model]:
        return apps.get_model(self.model_label)

    @property
    def covered_labels(self) -> tuple[str, ...]:
        return tuple(label.lower() for label in (self.model_label, *self.dependent_labels))

    def _held_condition(self, *, as_of: dt.date) -> Q:
        holds = registry.holds
        condition = Q(pk__in=[])
        if self.subject_path:
            held = holds.held_subjects(as_of=as_of, restricted=not self.has_legal_end)
            condition |= Q(**{f"{self.subject_path}__in": held})
        for path in self.organisation_paths:
            condition |= Q(**{f"{path}__in": holds.held_organisations(as_of=as_of)})
        return condition

    def not_held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        """Legal hold (subject or organisation) and restriction stop every purge of them."""
        return qs.exclude(self._held_condition(as_of=as_of))

    def held(self, qs: QuerySet[Any], *, as_of: dt.date) -> QuerySet[Any]:
        return qs.filter(self._held_condition(as_of=as_of))

    def due(
        self, *, period: Period, action: str, as_of: dt.date, include_held: bool = False
    ) -> QuerySet[Any]:
        """The queryset form of the deadline: what a purge as of `as_of` would act on."""
        qs = self.model()._default_manager.all()
        qs = self.applicable(qs, as_of=as_of)
        qs = self.expired(qs, period=period, as_of=as_of)
        qs = self.pending(qs, action=action)
        return qs if include_held else self.not_held(qs, as_of=as_of)

    def __repr__(self) -> str:
        return f"<RecordType {self.code}>"


R = TypeVar("R", bound=type[RecordType])


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, RecordType] = {}
        self._exemptions: dict[str, str | Promise] = {}
        self._holds: Holds | None = None

    def set_holds(self, holds: Holds) -> None:
        """Declared once, by the app that stores the people."""
        self._holds = holds

    @property
    def holds(self) -> Holds:
        if self._holds is None:
            raise LookupError("No app has declared who is held (Registry.set_holds).")
        return self._holds

    def register(self, record_type: R) -> R:
        """Class decorator: declares a record type (idempotent per code)."""
        instance = record_type()
        if not instance.code or not instance.model_label or not instance.anchors:
            raise ValueError(f"{record_type.__name__} needs code, model_label and anchors")
        existing = self._types.get(instance.code)
        if existing is not None and type(existing).__qualname__ != record_type.__qualname__:
            raise ValueError(f"record type {instance.code!r} is declared twice")
        self._types[instance.code] = instance
        return record_type

    def unregister(self, code: str) -> None:
        self._types.pop(code, None)

    def exempt(self, model_label: str, reason: str | Promise) -> None:
        """State that a model's personal data is kept on purpose (by label, so an app may
        declare it before its models exist)."""
        self._exemptions[model_label.lower()] = reason

    def get(self, code: str) -> RecordType:
        return self._types[code]

    def __contains__(self, code: object) -> bool:
        return code in self._types

    def __iter__(self) -> Iterator[RecordType]:
        return iter(self._types.values())

    def all(self) -> list[RecordType]:
        return list(self._types.values())

    def choices(self) -> list[tuple[str, str]]:
        return [(rt.code, str(rt.label)) for rt in self._types.values()]

    def anchor_choices(self) -> list[tuple[str, str]]:
        seen: dict[str, str] = {}
        for rt in self._types.values():
            for key, label in rt.anchors.items():
                seen.setdefault(key, str(label))
        return list(seen.items())

    def covering(self, model_label: str) -> list[RecordType]:
        label = model_label.lower()
        return [rt for rt in self._types.values() if label in rt.covered_labels]

    def exemption(self, model_label: str) -> str | Promise | None:
        return self._exemptions.get(model_label.lower())

    @property
    def exemptions(self) -> dict[str, str | Promise]:
        return dict(self._exemptions)


registry = Registry()
register = registry.register
exempt = registry.exempt

exempt(
    "core.AuditEvent",
    _("Audit log: ids and counts only, append-only evidence of accountability (Art. 5(2))."),
)
exempt(
    "retention.ErasureEntry",
    _(
        "Erasure ledger: ids, rule and reason only, append-only; replayed after a backup is "
        "restored so that no erasure comes back (Art. 17, Art. 5(2))."
    ),
)
