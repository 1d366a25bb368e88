"""The shapes of the access report's sections (`sections`, `request_sections`): a column, a
section, and the rules deciding whether a section goes into the portability package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from processing.models import LegalBasis
from subjects.models import DataSubject

Label = str | Promise


@dataclass(frozen=True)
class Portability:
    """What decides whether a section goes into the portability package, for one person."""

    bases: frozenset[str]  # legal bases of the purposes that cover the person
    provided_by_person: bool  # the person's own record came from them

    @property
    def on_contract(self) -> bool:
        return LegalBasis.CONTRACT in self.bases

    @property
    def on_consent(self) -> bool:
        return LegalBasis.CONSENT in self.bases


# A section's portability rule: None to include it, or why it is left out.
PortableRule = Callable[[Portability], Label | None]


def not_on_contract_or_consent(context: Portability) -> Label | None:
    if context.on_contract or context.on_consent:
        return None
    return _(
        "Processed on legitimate interest (GDPR Art. 6(1)(f)); the right to data portability "
        "covers data processed on consent or a contract (Art. 20(1)(a))."
    )


def not_provided(_context: Portability) -> Label | None:
    return _("Written by us, not provided by you: outside the right to data portability.")


def client_content(_context: Portability) -> Label | None:
    return _(
        "Content of your company's trial account: your company, as its controller, can "
        "export it from the platform."
    )


def ledger_on_consent(context: Portability) -> Label | None:
    if context.on_consent:
        return None
    return _("You have not given consent to anything: there is no consent record to port.")


@dataclass(frozen=True)
class Column:
    field: str  # attribute path on the row, e.g. "purpose.name"
    label: Label
    # text | date | datetime | json | choice | money | file (embedded in the PDF) | photo
    # (shown as the image) | described (by its size only: a copy of what the report holds)
    # | words (`words(row)` says it in sentences: a stored structure, never shown raw)
    format: str = "text"
    # Files: the column holding the file's own name, for the copy embedded in the report.
    name_field: str = ""
    words: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class ReportSection:
    code: str
    model_label: str
    title: Label
    category: Label  # the category of data (DOMAIN.md B) the section holds
    source: Label  # where the data came from
    columns: tuple[Column, ...]
    rows: Callable[[DataSubject], QuerySet[Any]]
    portable: PortableRule
    note: Label = ""
    # How the rows are laid out: "table"; "lines", one line of text per row (long sections:
    # WeasyPrint lays out lines many times faster than table cells); or "cards", a block of
    # "label: value" per row (rows too wide for a table).
    layout: str = "table"

    @property
    def fields(self) -> set[str]:
        """The fields shown: each column's, and the file name given to an embedded file."""
        return {column.field.split(".")[0] for column in self.columns} | {
            column.name_field for column in self.columns if column.name_field
        }
