"""Everything the portal holds about one person, gathered once for every answer document: the
access report, the portability package, the information sheet and, later, the person's own
page. Values are formatted in the reader's language; nothing of another person is read.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from consent.selectors import consent_state
from core.display import format_date, format_moment
from core.pdf import EmbeddedFile
from core.timeutil import legal_date, legal_today
from processing.models import DataCategory
from processing.selectors import DataHolders, holders_of_subject_data, purposes_for_subject
from reports.platform import platform_sections
from reports.section_types import Portability, ReportSection
from reports.sections import PERSON_FIELDS, PERSON_PORTABLE, SECTIONS
from reports.values import EMPTY, format_value, raw_value
from retention.deadlines import Deadline, deadlines_of
from retention.periods import expires_on
from retention.registry import registry
from retention.selectors import subject_deadlines
from subjects.models import DataSubject, Source


@dataclass
class Item:
    label: str
    value: str


@dataclass
class PersonGroup:
    name: str
    items: list[Item]


@dataclass
class SectionData:
    section: ReportSection
    headers: list[str]
    rows: list[list[str]]
    # Per row, the day the record goes (or why it has no day), for registry record types.
    kept_until: list[str] | None
    # The raw values (for the portability package): column field → value per row.
    raw: list[dict[str, Any]] = field(default_factory=list)
    # Whether it goes into the portability package for this person, and why (in or out).
    portable: bool = False
    why: str = ""

    @property
    def count(self) -> int:
        return len(self.rows)

    @property
    def entries(self) -> list[tuple[list[str], str | None]]:
        """Each row with the day it goes (None where the section has no such column)."""
        kept: list[str | None] = [*self.kept_until] if self.kept_until else [None] * self.count
        return list(zip(self.rows, kept, strict=True))

    @property
    def cards(self) -> list[tuple[list[tuple[str, str]], str | None]]:
        """Each row as (header, cell) pairs, for rows too wide for a table; a card leaves out
        what the record does not hold."""
        return [
            ([(h, c) for h, c in zip(self.headers, cells, strict=True) if c != EMPTY], kept)
            for cells, kept in self.entries
        ]

    @property
    def shared(self) -> list[tuple[str, str]]:
        """Columns with one value on every row (the billing details of 2 000 invoices): said
        once above the lines instead of on each — the same data, a fraction of the pages."""
        if len(self.rows) < 2:
            return []
        return [
            (header, self.rows[0][i])
            for i, header in enumerate(self.headers)
            if all(row[i] == self.rows[0][i] for row in self.rows)
        ]

    def compact_text(self, kept_label: str) -> str:
        """The rows as lines of text: a long section lays out many times faster this way
        than as a table (WeasyPrint's time grows with the number of boxes), without the
        columns `shared` states once."""
        same = {header for header, _value in self.shared}
        keep = [i for i, header in enumerate(self.headers) if header not in same]
        return "\n".join(
            " · ".join(cells[i] for i in keep) + (f" · {kept_label} {kept}" if kept else "")
            for cells, kept in self.entries
        )


@dataclass
class PersonPart:
    """The fields of the person's own record in one of the register's data categories, and
    whether they go into the portability package, and why."""

    code: str
    name: str
    fields: list[str]
    portable: bool
    why: str


@dataclass
class PurposeLine:
    name: str
    description: str
    basis: str
    applies: str


@dataclass
class RetentionLine:
    what: str
    rule: str
    period: str
    starts: str
    until: str


@dataclass
class SubjectData:
    subject: DataSubject
    language: str
    as_of: dt.date
    person: list[PersonGroup]
    person_raw: dict[str, Any]
    person_parts: list[PersonPart]
    photo_uri: str
    sections: list[SectionData]
    purposes: list[PurposeLine]
    holders: DataHolders
    storage: list[str]
    retention: list[RetentionLine]
    source: str
    collected_on: str
    informed_on: str
    not_from_person: bool
    # Files the person's records hold, embedded in the report so it holds every datum.
    files: list[EmbeddedFile] = field(default_factory=list)

    @property
    def nonempty_sections(self) -> list[SectionData]:
        return [s for s in self.sections if s.rows]


def _deadline_text(deadline: Deadline | None, language: str) -> str:
    """A record's last day, or the criterion that fixes it (GDPR Art. 15(1)(d), 13(2)(a))."""
    if deadline is None:
        return _("while its purpose lasts: see “How long we keep it”")
    if deadline.held:
        return _("kept while a legal hold or a restriction stands")
    if deadline.expires_on is not None:
        return format_date(deadline.expires_on, language)
    period = {
        "anchor": deadline.record_type.anchors.get(deadline.rule.anchor, ""),
        "period": deadline.period,
    }
    if deadline.waiting and deadline.record_type.waiting_for:
        if deadline.anchor is not None:
            return _("kept %(waiting)s, and at least until %(day)s") % {
                "waiting": deadline.record_type.waiting_for,
                "day": format_date(expires_on(deadline.anchor, deadline.period), language),
            }
        return _("kept %(waiting)s; then %(period)s from %(anchor)s") % {
            "waiting": deadline.record_type.waiting_for,
            **period,
        }
    return _("%(period)s from %(anchor)s") % period


def _kept_until(
    section_model: str, records: Sequence[Any], *, as_of: dt.date, language: str
) -> list[str] | None:
    primary = [rt for rt in registry.all() if rt.model_label.lower() == section_model]
    if not primary:
        return None
    deadlines = deadlines_of(records, as_of=as_of)
    return [_deadline_text(deadlines[r.pk], language) for r in records]


def _person_groups(
    subject: DataSubject, language: str, categories: list[DataCategory]
) -> tuple[list[PersonGroup], set[str]]:
    by_field = {column.field.split(".")[0]: column for column in PERSON_FIELDS}
    groups, shown = [], set()
    for category in categories:
        names = [n for n in category.field_names if n in by_field]
        if not names:
            continue
        items = [
            Item(capfirst(str(by_field[n].label)), format_value(subject, by_field[n], language))
            for n in names
        ]
        groups.append(PersonGroup(name=_(category.name), items=items))
        shown |= set(names)
    rest = [c for c in PERSON_FIELDS if c.field.split(".")[0] not in shown]
    groups.append(
        PersonGroup(
            name=_("About your record"),
            items=[Item(capfirst(str(c.label)), format_value(subject, c, language)) for c in rest],
        )
    )
    return groups, shown


def _person_parts(categories: list[DataCategory], context: Portability) -> list[PersonPart]:
    """The person's own record by category (`DataCategory.fields`), each decided apart."""
    names = {column.field.split(".")[0] for column in PERSON_FIELDS}
    parts = []
    for category in categories:
        fields = [n for n in category.field_names if n in names]
        if fields:
            decision = PERSON_PORTABLE(context, category.code)
            parts.append(
                PersonPart(
                    code=category.code,
                    name=_(category.name),
                    fields=fields,
                    portable=decision.portable,
                    why=str(decision.reason),
                )
            )
    return parts


def _photo_uri(subject: DataSubject) -> str:
    if not subject.photo:
        return ""
    encoded = base64.b64encode(bytes(subject.photo)).decode("ascii")
    return f"data:{subject.photo_content_type or 'image/png'};base64,{encoded}"


def _retention_lines(subject: DataSubject, *, as_of: dt.date, language: str) -> list[RetentionLine]:
    lines = []
    for group in subject_deadlines(subject, as_of=as_of):
        seen: set[int] = set()
        for line in group.lines:
            deadline = line.deadline
            if deadline is None or deadline.rule.pk in seen:
                continue
            seen.add(deadline.rule.pk)
            lines.append(
                RetentionLine(
                    what=group.label,
                    rule=str(_(deadline.rule.name)),
                    period=str(deadline.period),
                    starts=str(deadline.record_type.anchors.get(deadline.rule.anchor, "")),
                    until=_deadline_text(deadline, language),
                )
            )
    return lines


def collect(
    subject: DataSubject,
    *,
    language: str,
    as_of: dt.date | None = None,
    on_section: Callable[[int, int], object] | None = None,
) -> SubjectData:
    """Gather the person's data; `on_section(done, total)` reports progress."""
    as_of = as_of or legal_today()
    subject = DataSubject.objects.select_related("organisation").get(pk=subject.pk)
    with translation.override(language):
        purposes = purposes_for_subject(subject)
        states = {
            entry.purpose.pk: consent_state(subject, entry.purpose)
            for entry in purposes
            if entry.only_with_consent
        }
        # A consent-based purpose applies only while the person has consented.
        processing = [
            p for p in purposes if p.purpose.pk not in states or states[p.purpose.pk].permitted
        ]
        context = Portability.of(
            [p.purpose for p in processing], provided_by_person=subject.source == Source.SUBJECT
        )
        files: list[EmbeddedFile] = []
        categories = list(DataCategory.objects.order_by("id"))
        person, _shown = _person_groups(subject, language, categories)
        sections = []
        for done, section in enumerate(SECTIONS, start=1):
            records = list(section.rows(subject))
            decision = section.portable(context, section.category)
            sections.append(
                SectionData(
                    section=section,
                    headers=[capfirst(str(c.label)) for c in section.columns],
                    rows=[
                        [format_value(r, c, language, files.append) for c in section.columns]
                        for r in records
                    ],
                    kept_until=_kept_until(
                        section.model_label.lower(), records, as_of=as_of, language=language
                    )
                    if records
                    else None,
                    raw=[{c.field: raw_value(r, c) for c in section.columns} for r in records],
                    portable=decision.portable,
                    why=str(decision.reason),
                )
            )
            if on_section is not None:
                on_section(done, len(SECTIONS))
        for section, headers, rows, raw, portable, why in platform_sections(
            subject, language=language, context=context
        ):
            sections.append(
                SectionData(
                    section=section,
                    headers=headers,
                    rows=rows,
                    kept_until=None,
                    raw=raw,
                    portable=portable,
                    why=why,
                )
            )
        purpose_lines = [
            PurposeLine(
                name=_(entry.purpose.name),
                description=_(entry.purpose.description) if entry.purpose.description else "",
                basis=str(entry.purpose.get_legal_basis_display()),
                applies=states[entry.purpose.pk].label
                if entry.purpose.pk in states
                else _("Applies to you"),
            )
            for entry in purposes
        ]
        return SubjectData(
            subject=subject,
            language=language,
            as_of=as_of,
            person=person,
            person_raw={c.field: raw_value(subject, c) for c in PERSON_FIELDS},
            person_parts=_person_parts(categories, context),
            photo_uri=_photo_uri(subject),
            sections=sections,
            purposes=purpose_lines,
            # GDPR Art. 15(1)(c): the processors and recipients that hold this person's data,
            # so not those serving only a consent-based purpose they have not consented to.
            holders=holders_of_subject_data(subject, processing),
            storage=list(subject.storage_locations),
            retention=_retention_lines(subject, as_of=as_of, language=language),
            source=str(subject.get_source_display()),
            collected_on=format_date(legal_date(subject.collected_at), language),
            informed_on=format_moment(subject.informed_at, language) if subject.informed_at else "",
            not_from_person=subject.needs_information_notice,
            files=files,
        )


def collect_register(subject: DataSubject, *, language: str, as_of: dt.date) -> SubjectData:
    """Only who holds the person's data and where (the information sheet): no records read."""
    subject = DataSubject.objects.select_related("organisation").get(pk=subject.pk)
    with translation.override(language):
        purposes = purposes_for_subject(subject)
        return SubjectData(
            subject=subject,
            language=language,
            as_of=as_of,
            person=[],
            person_raw={},
            person_parts=[],
            photo_uri="",
            sections=[],
            purposes=[],
            holders=holders_of_subject_data(subject, purposes),
            storage=list(subject.storage_locations),
            retention=[],
            source=str(subject.get_source_display()),
            collected_on=format_date(legal_date(subject.collected_at), language),
            informed_on="",
            not_from_person=subject.needs_information_notice,
        )
