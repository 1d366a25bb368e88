"""The register's rules, each stated once (DOMAIN.md sections C and E).

`Purpose.clean()` and `Transfer.clean()` refuse a row that breaks them (so the admin, the seed
and any later API refuse it alike), and `register_findings` lists the stored rows that break
them (rows saved before a rule existed). The functions take the row and nothing else from the
model, so the seed can apply them to a migration's historical models too, which have no
`clean()` of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from processing.adequacy import adequacy_decision_for, is_in_eea
from processing.models import LegalBasis, SubjectKind, TransferGround

if TYPE_CHECKING:
    from processing.models import Purpose, Transfer

Problems = dict[str, list[str]]


# The four parts of a legitimate-interest assessment (GDPR Art. 6(1)(f), Recital 47), by
# field, each refused with what its text must say.
LEGITIMATE_INTEREST_PARTS = {
    "lia_purpose": gettext_lazy(
        "Legitimate interest (Art. 6(1)(f)) needs its purpose test: which interest is pursued, "
        "and whose."
    ),
    "lia_necessity": gettext_lazy(
        "Legitimate interest (Art. 6(1)(f)) needs its necessity test: why this processing, and "
        "no less, is needed for that interest."
    ),
    "lia_balancing": gettext_lazy(
        "Legitimate interest (Art. 6(1)(f)) needs its balancing test: why the person's "
        "interests, rights and freedoms do not override that interest."
    ),
    "lia_safeguards": gettext_lazy(
        "Legitimate interest (Art. 6(1)(f)) needs its safeguards: what limits the effect on "
        "the person (objection, minimisation, retention, access)."
    ),
}


def purpose_problems(purpose: Purpose) -> Problems:
    problems: Problems = {}
    # GDPR Art. 6(1)(f): legitimate interest is a basis only once it is weighed.
    if purpose.legal_basis == LegalBasis.LEGITIMATE_INTEREST:
        for field, missing in LEGITIMATE_INTEREST_PARTS.items():
            if not str(getattr(purpose, field) or "").strip():
                problems[field] = [str(missing)]
    # GDPR Art. 30(1)(c): the record names the categories of data subjects.
    kinds = purpose.subject_kinds
    if not isinstance(kinds, list) or not kinds:
        problems["subject_kinds"] = [
            _("Name the kinds of data subject this purpose covers, as a list: %(kinds)s.")
            % {"kinds": ", ".join(SubjectKind.values)}
        ]
    elif unknown := [k for k in kinds if k not in SubjectKind.values]:
        problems["subject_kinds"] = [
            _("Unknown kinds of data subject: %(unknown)s. Known kinds: %(kinds)s.")
            % {"unknown": ", ".join(map(str, unknown)), "kinds": ", ".join(SubjectKind.values)}
        ]
    return problems


def transfer_problems(transfer: Transfer, *, today: dt.date) -> Problems:
    problems: Problems = {}
    country = str(transfer.destination_country or "")
    ground = transfer.ground
    if country and is_in_eea(country):
        # GDPR Art. 44: Chapter V governs transfers to third countries only.
        problems["destination_country"] = [
            _(
                "%(country)s is in the European Economic Area: data sent there is not a "
                "transfer and needs no ground. Record the party as a processor or recipient "
                "without a transfer."
            )
            % {"country": _country_name(country)}
        ]
    elif country and ground == TransferGround.ADEQUACY:
        if country == "US":
            problems["ground"] = [
                _(
                    "The USA has no adequacy decision for the whole country: a US recipient "
                    "is covered only while certified under the EU–US Data Privacy Framework. "
                    "Choose that ground and record when its certification was checked, or "
                    "use standard contractual clauses or binding corporate rules."
                )
            ]
        elif adequacy_decision_for(country) is None:
            problems["ground"] = [
                _(
                    "%(country)s has no EU adequacy decision (GDPR Art. 45): use standard "
                    "contractual clauses or binding corporate rules, with their reference."
                )
                % {"country": _country_name(country)}
            ]
    if ground == TransferGround.DPF:
        if country and country != "US":
            problems["ground"] = [
                _(
                    "The EU–US Data Privacy Framework covers only recipients in the USA; "
                    "%(country)s needs another ground."
                )
                % {"country": _country_name(country)}
            ]
        checked_on = transfer.certification_checked_on
        if checked_on is None:
            problems["certification_checked_on"] = [
                _(
                    "Record the day the recipient's certification was last checked on the "
                    "Data Privacy Framework List."
                )
            ]
        elif checked_on > today:
            problems["certification_checked_on"] = [
                _("The certification cannot have been checked after today.")
            ]
    # GDPR Art. 46(2)(b) and (c): the safeguard is a document the DPO can produce.
    if ground in (TransferGround.SCC, TransferGround.BCR) and not transfer.document_reference:
        problems["document_reference"] = [
            _("Standard contractual clauses need the reference of the signed clauses.")
            if ground == TransferGround.SCC
            else _("Binding corporate rules need the reference of the approved rules.")
        ]
    located = transfer.subject_countries
    if not isinstance(located, list) or any(str(c) not in countries for c in located):
        problems["subject_countries"] = [
            _('List two-letter country codes, e.g. ["AU", "NZ"], or leave the list empty.')
        ]
    return problems


def refuse(problems: Problems) -> None:
    if problems:
        raise ValidationError(problems)


def _country_name(code: str) -> str:
    return str(countries.name(code) or code)
