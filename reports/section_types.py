"""The shapes of the access report's sections (`sections`, `request_sections`): a column, a
section, and the rules deciding whether a section goes into the portability package.

GDPR Art. 20(1)(a): data is portable where it is processed on the person's consent or on a
contract with them. The register says which purposes process which categories of data, so the
decision is taken per section by its category: portable only if a purpose on consent (while
the person consents) or on a contract that covers the person processes that category. Consent
to the newsletter makes the person's contact data portable, not their platform usage, which
the register processes on legitimate interest."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from processing.models import LegalBasis, Purpose
from subjects.models import DataSubject

Label = str | Promise

# The register's data categories (`processing.DataCategory.code`: identification, contact,
# employment, communication, usage), as a section names the one its data belongs to.
CATEGORY_LABELS: dict[str, Label] = {
    "identification": _("Identification"),
    "contact": _("Contact"),
    "employment": _("Employment"),
    "communication": _("Communication"),
    "usage": _("Usage"),
}
PORTABLE_BASES = (LegalBasis.CONSENT, LegalBasis.CONTRACT)
# The legal bases as a reason names them ("on …"), in the person's words.
# Their translations' context, a literal for makemessages: the case "on" asks for.
BASIS_WORDS: dict[str, Label] = {
    LegalBasis.CONSENT: pgettext_lazy("on the legal basis of", "your consent"),
    LegalBasis.CONTRACT: pgettext_lazy("on the legal basis of", "a contract with you"),
    LegalBasis.LEGAL_OBLIGATION: pgettext_lazy(
        "on the legal basis of", "a legal obligation (GDPR Art. 6(1)(c))"
    ),
    LegalBasis.VITAL_INTERESTS: pgettext_lazy(
        "on the legal basis of", "vital interests (GDPR Art. 6(1)(d))"
    ),
    LegalBasis.PUBLIC_TASK: pgettext_lazy(
        "on the legal basis of", "a public task (GDPR Art. 6(1)(e))"
    ),
    LegalBasis.LEGITIMATE_INTEREST: pgettext_lazy(
        "on the legal basis of", "legitimate interest (GDPR Art. 6(1)(f))"
    ),
}


@dataclass(frozen=True)
class Decision:
    """Whether a section goes into the portability package, and why, in the reader's words."""

    portable: bool
    reason: Label


@dataclass(frozen=True)
class Portability:
    """For one person: the purposes that process their data now (those covering them, a
    consent-based one only while they consent), and whether their own record came from them."""

    purposes: tuple[Purpose, ...]
    provided_by_person: bool

    @classmethod
    def of(cls, purposes: Iterable[Purpose], *, provided_by_person: bool) -> Portability:
        return cls(purposes=tuple(purposes), provided_by_person=provided_by_person)

    def processing(self, category: str) -> list[Purpose]:
        """The purposes processing this category of the person's data (categories are
        prefetched by `processing.selectors.purposes_for_subject`)."""
        return [p for p in self.purposes if category in {c.code for c in p.categories.all()}]

    @property
    def on_consent(self) -> bool:
        return any(p.legal_basis == LegalBasis.CONSENT for p in self.purposes)


def _grounds(purposes: Iterable[Purpose]) -> str:
    """The purposes by legal basis, in the reader's language: "on your consent, for “Direct
    marketing”; on legitimate interest (…), for “…”, “…”"."""
    by_basis: dict[str, list[str]] = {}
    for purpose in purposes:
        by_basis.setdefault(purpose.legal_basis, []).append(f"“{gettext(purpose.name)}”")
    return "; ".join(
        gettext("on %(basis)s, for %(purposes)s")
        % {"basis": BASIS_WORDS.get(basis, basis), "purposes": ", ".join(names)}
        for basis, names in by_basis.items()
    )


def by_purpose(context: Portability, category: str) -> Decision:
    """The rule of Art. 20(1)(a), by the register: see the module's docstring."""
    processing = context.processing(category)
    portable = [p for p in processing if p.legal_basis in PORTABLE_BASES]
    if portable:
        reason = gettext(
            "We process this data %(grounds)s: it is within the right to data portability "
            "(GDPR Art. 20(1)(a))."
        )
        return Decision(True, reason % {"grounds": _grounds(portable)})
    if processing:
        reason = gettext(
            "We process this data only %(grounds)s, not on your consent or a contract with "
            "you: it is outside the right to data portability (GDPR Art. 20(1)(a))."
        )
        return Decision(False, reason % {"grounds": _grounds(processing)})
    return Decision(
        False,
        _(
            "No purpose processes this data of yours on your consent or a contract with you: "
            "it is outside the right to data portability (GDPR Art. 20(1)(a))."
        ),
    )


def not_provided(_context: Portability, _category: str) -> Decision:
    return Decision(
        False, _("Written by us, not provided by you: outside the right to data portability.")
    )


def client_content(_context: Portability, _category: str) -> Decision:
    return Decision(
        False,
        _(
            "Content of your company's trial account: your company, as its controller, can "
            "export it from the platform."
        ),
    )


def ledger_on_consent(context: Portability, _category: str) -> Decision:
    if context.on_consent:
        return Decision(True, _("The consents you gave us: processed on your consent."))
    return Decision(
        False, _("You have not given consent to anything: there is no consent record to port.")
    )


# A section's portability rule: given the person and the section's category, the decision.
PortableRule = Callable[[Portability, str], Decision]


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
    category: str  # the register's category of the data: a CATEGORY_LABELS key
    source: Label  # where the data came from
    columns: tuple[Column, ...]
    rows: Callable[[DataSubject], QuerySet[Any]]
    portable: PortableRule
    note: Label = ""
    # How the rows are laid out: "table"; "lines", one line of text per row (long sections:
    # WeasyPrint lays out lines many times faster than table cells); or "cards", a block of
    # "label: value" per row (rows too wide for a table).
    layout: str = "table"
    # The category's name where it is not one of `CATEGORY_LABELS` (a category the Admin
    # added to the register, named by a platform database's manifest).
    category_name: Label = ""

    @property
    def category_label(self) -> Label:
        return self.category_name or CATEGORY_LABELS[self.category]

    @property
    def fields(self) -> set[str]:
        """The fields shown: each column's, and the file name given to an embedded file."""
        return {column.field.split(".")[0] for column in self.columns} | {
            column.name_field for column in self.columns if column.name_field
        }
