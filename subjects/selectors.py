"""Reads for the subject pages. Each runs a constant number of queries, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from core.audit_browser import events_about
from core.expressions import RowCount
from core.models import AuditEvent
from core.pagination import CountedPaginator, page_with_count
from processing.models import DataCategory
from subjects.models import (
    Claim,
    Communication,
    DataSubject,
    DataSubjectQuerySet,
    Demo,
    Invoice,
    KindChange,
    Organisation,
    OrganisationQuerySet,
    Source,
    Trial,
    UsageRecord,
)

LIST_PAGE_SIZE = 50
RECORDS_PAGE_SIZE = 10

# The big encrypted values the list never shows: decrypting them per row costs time.
NOT_IN_LIST = ("photo", "date_of_birth", "work_address")


def subjects_for_list(
    *,
    text: str = "",
    kind: str = "",
    country: str = "",
    organisation_status: str = "",
    include_anonymised: bool = False,
) -> DataSubjectQuerySet:
    subjects = DataSubject.objects.select_related("organisation").defer(*NOT_IN_LIST)
    if not include_anonymised:
        subjects = subjects.active()
    if text:
        subjects = subjects.search(text)
    if kind:
        subjects = subjects.filter(kind=kind)
    if country:
        subjects = subjects.filter(country=country)
    if organisation_status:
        subjects = subjects.filter(organisation__status=organisation_status)
    # Newest first, on the primary key's index: names are ciphertext, and ordering by them
    # would mean decrypting the whole table for every page.
    return subjects.order_by("-id")


def subject_for_page(pk: int) -> DataSubject | None:
    """The person with `is_held`: on legal hold, their own or their organisation's."""
    held = DataSubject.objects.held().filter(pk=OuterRef("pk"))
    return (
        DataSubject.objects.select_related("organisation", "legal_hold_set_by")
        .annotate(is_held=Exists(held))
        .filter(pk=pk)
        .first()
    )


@dataclass
class DataItem:
    field: str
    label: str
    value: Any


@dataclass
class DataGroup:
    code: str
    name: str
    source: str
    items: list[DataItem] = field(default_factory=list)


def personal_data_groups(subject: DataSubject, *, fields: frozenset[str]) -> list[DataGroup]:
    """The person's own data grouped by the register's categories, each with its source:
    only the `fields` the reader may see (`subjects.field_policy`). Groups with nothing
    visible are left out, so a role never sees even an empty heading it may not open.
    """
    groups = []
    for category in DataCategory.objects.order_by("id"):
        names = [n for n in category.field_names if n in fields]
        if not names:
            continue
        items = [
            DataItem(
                field=name,
                label=str(getattr(DataSubject._meta.get_field(name), "verbose_name", name)),
                value=getattr(subject, name),
            )
            for name in names
        ]
        groups.append(
            DataGroup(
                code=category.code,
                name=category.name,
                source=subject.get_source_display(),
                items=items,
            )
        )
    return groups


# Where record data comes from (GDPR Art. 14(2)(f)), for the headings of the record sections.
RECORD_SOURCES = {
    "communications": _("Given by the person (inbound) or written by the operator (outbound)"),
    "usage": Source.AUTOMATIC.label,
    "invoices": _("Written by the operator; payments confirmed by the payment provider"),
    "claims": _("Written by the operator"),
    "demos": _("Written by the operator"),
    "trials": _("The client's trial account"),
}


@dataclass
class RecordSection:
    code: str
    title: str
    source: str
    page: Page[Any]
    param: str


def _page(queryset: QuerySet[Any], number: Any, count: int) -> Page[Any]:
    return CountedPaginator(queryset, RECORDS_PAGE_SIZE, count=count).get_page(number)


@dataclass
class SubjectLists:
    """The lists of a person's page: a page of each, on its own parameter, with its count."""

    records: list[RecordSection]
    kind_history: Page[KindChange]
    trail: Page[AuditEvent]


def _record_querysets(subject: DataSubject) -> list[tuple[str, Any, QuerySet[Any]]]:
    trials: QuerySet[Any] = (
        Trial.objects.filter(organisation_id=subject.organisation_id)
        .annotate(contents_by_subject=Count("contents", filter=Q(contents__author=subject)))
        .order_by("-started_on", "-id")
        if subject.organisation_id
        else Trial.objects.none()
    )
    return [
        ("trials", _("Trials (of the organisation)"), trials),
        ("demos", _("Demos"), Demo.objects.filter(subject=subject).order_by("-held_on", "-id")),
        (
            "invoices",
            _("Invoices (as billing contact)"),
            Invoice.objects.filter(billing_contact=subject).order_by("-issued_on", "-id"),
        ),
        (
            "claims",
            _("Claims"),
            Claim.objects.filter(subject=subject).order_by("-fell_due_on", "-id"),
        ),
        (
            "communications",
            _("Communications"),
            Communication.objects.filter(subject=subject).order_by("-sent_at", "-id"),
        ),
        (
            "usage",
            _("Usage"),
            UsageRecord.objects.filter(subject=subject).order_by("-occurred_at", "-id"),
        ),
    ]


def subject_lists(subject: DataSubject, params: Any) -> SubjectLists:
    """The person's records, kind changes and who looked, each paginated on its own
    `<code>_page` parameter: a fixed number of queries however long the lists grow."""
    records = _record_querysets(subject)
    kind_changes = subject.kind_history.select_related("actor").order_by("-changed_on", "-id")
    counted = [(code, queryset) for code, _title, queryset in records]
    counted.append(("kind", kind_changes))
    # The counts in one query rather than a COUNT per list; an empty list then needs no
    # query at all.
    counts = (
        DataSubject.objects.filter(pk=subject.pk)
        .annotate(**{f"{code}_count": RowCount(queryset) for code, queryset in counted})
        .values(*(f"{code}_count" for code, _queryset in counted))
        .get()
    )
    return SubjectLists(
        records=[
            RecordSection(
                code=code,
                title=str(title),
                source=str(RECORD_SOURCES[code]),
                # A `none()` queryset (no organisation, no trials) counts as NULL.
                page=_page(queryset, params.get(f"{code}_page"), counts[f"{code}_count"] or 0),
                param=f"{code}_page",
            )
            for code, title, queryset in records
        ],
        kind_history=_page(kind_changes, params.get("kind_page"), counts["kind_count"] or 0),
        trail=subject_audit_trail(subject, params.get("trail_page")),
    )


def subject_audit_trail(subject: DataSubject, number: Any = 1) -> Page[AuditEvent]:
    """Who looked at or changed this person, newest first: a page and how many events in
    all, in one query. The audit browser's own predicate, so a list page that showed them
    counts as a look; its grouped-read test names the audit table itself, so it cannot be
    a subquery among `subject_lists`' counts."""
    events = AuditEvent.objects.filter(events_about(DataSubject._meta.label_lower, [subject.pk]))
    latest = events.select_related("actor").order_by("-occurred_at", "-id")
    return page_with_count(latest, number, RECORDS_PAGE_SIZE)


# A name search in the audit browser finds at most this many people to look for.
PEOPLE_SEARCH_LIMIT = 50


def people_matching(text: str) -> list[int]:
    """The people a name (or exact e-mail) finds, anonymised ones included: their record of
    who looked stays (the audit browser's person filter; no name is decrypted)."""
    if not text.strip():
        return []
    return list(
        DataSubject.objects.search(text)
        .order_by("-id")
        .values_list("pk", flat=True)[:PEOPLE_SEARCH_LIMIT]
    )


def organisations_for_list(
    *, text: str = "", status: str = "", country: str = "", on_legal_hold: bool = False
) -> OrganisationQuerySet:
    """Organisations with `people_count` (active people only, as the organisation page lists).

    The count is an annotation, so a page of 50 costs one query however many people there are.
    """
    organisations = Organisation.objects.annotate(
        people_count=Count(
            "people",
            filter=Q(people__anonymised_at__isnull=True, people__erasure_requested_at__isnull=True),
        )
    )
    if text := text.strip():
        organisations = organisations.filter(
            Q(name__icontains=text) | Q(registry_code__icontains=text)
        )
    if status:
        organisations = organisations.filter(status=status)
    if country:
        organisations = organisations.filter(country=country)
    if on_legal_hold:
        organisations = organisations.held()
    return organisations.order_by("name", "id")


def organisation_people(organisation: Organisation) -> DataSubjectQuerySet:
    return (
        DataSubject.objects.active()
        .filter(organisation=organisation)
        .defer(*NOT_IN_LIST)
        .order_by("-id")
    )
