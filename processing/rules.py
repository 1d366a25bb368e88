"""The register's rules, each stated once: legal bases (GDPR Art. 6(1)) and transfers (Art. 44-49).

`Purpose.clean()` and `Transfer.clean()` refuse a row that breaks them (so the admin, the seed
and any later API refuse it alike), and `register_findings` lists the stored rows that break
them (rows saved before a rule existed). The functions take the row and nothing else from the
model, so the seed can apply them to a migration's historical models too, which have no
`clean()` of their own.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from core import outbound
from processing.adequacy import adequacy_decision_for, is_in_eea
from processing.models import Connector, LegalBasis, SubjectKind, SystemKind, TransferGround

if TYPE_CHECKING:
    from processing.models import Processor, Purpose, System, Transfer

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
    problems.update(
        _subject_kind_problems(
            purpose.subject_kinds,
            missing=_("Choose the kinds of data subject this purpose covers: %(kinds)s."),
        )
    )
    return problems


def assessment_review_problems(purpose: Purpose, *, today: dt.date) -> Problems:
    """A legitimate-interest assessment past its review date no longer shows that the
    interest still prevails (Art. 5(2): the controller must be able to demonstrate it)."""
    if purpose.legal_basis != LegalBasis.LEGITIMATE_INTEREST:
        return {}
    due = purpose.lia_review_due_on
    if due is not None and due < today:
        return {
            "lia_review_due_on": [
                _("The assessment was due for review on %(due)s: review it and set the next date.")
                % {"due": f"{due:%Y-%m-%d}"}
            ]
        }
    return {}


def processor_problems(processor: Processor, *, today: dt.date) -> Problems:
    """GDPR Art. 28(3): processing by a processor is governed by a contract (the DPA)."""
    if not processor.dpa_reference.strip():
        return {
            "dpa_reference": [
                _(
                    "No data processing agreement is recorded (GDPR Art. 28(3)): record its "
                    "reference and date."
                )
            ]
        }
    due = processor.dpa_review_due_on
    if due is not None and due < today:
        return {
            "dpa_review_due_on": [
                _("The data processing agreement was due for review on %(due)s.")
                % {"due": f"{due:%Y-%m-%d}"}
            ]
        }
    return {}


def _subject_kind_problems(kinds: object, *, missing: str) -> Problems:
    known = ", ".join(str(label) for label in SubjectKind.labels)
    if not isinstance(kinds, list) or not kinds:
        return {"subject_kinds": [missing % {"kinds": known}]}
    if unknown := [k for k in kinds if k not in SubjectKind.values]:
        return {
            "subject_kinds": [
                _("Unknown kinds of data subject: %(unknown)s. Known kinds: %(kinds)s.")
                % {"unknown": ", ".join(map(str, unknown)), "kinds": known}
            ]
        }
    return {}


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


def system_field_problems(system: System) -> Problems:
    """What is wrong with a system row, by field. The categories it holds are a many-to-many
    relation, checked by the services (a row must exist before it has any)."""
    problems: Problems = {}
    kind = system.kind
    if system.processor_id is not None and system.recipient_id is not None:
        problems["recipient"] = [
            _("A system is one processor or one recipient, not both: clear one of them.")
        ]
    elif system.processor_id is not None and kind != SystemKind.PROCESSOR:
        problems["processor"] = [_("Only a system of the kind “processor” names a processor.")]
    elif system.recipient_id is not None and kind != SystemKind.RECIPIENT:
        problems["recipient"] = [_("Only a system of the kind “recipient” names a recipient.")]
    if system.owner_id is None and system.seed_key is None:
        problems["owner"] = [
            _("Choose the owner: the portal user who answers for this system and gets its tasks.")
        ]
    problems.update(
        _subject_kind_problems(
            system.subject_kinds,
            missing=_("Choose the kinds of data subject this system holds data on: %(kinds)s."),
        )
    )
    url = system.webhook_url
    if system.connector == Connector.DATABASE and not _has_database(system):
        problems["connector"] = [
            _(
                "Connect the system's database and its manifest first: save the system as it "
                "is, then “Connect its database” on its page."
            )
        ]
    if system.connector == Connector.WEBHOOK:
        if not url:
            problems["webhook_url"] = [_("A webhook system needs the HTTPS address to call.")]
        elif message := _webhook_url_problem(url):
            problems["webhook_url"] = [message]
    else:
        if url:
            problems["webhook_url"] = [
                _("A manual system is not called: clear the address or choose the webhook.")
            ]
        if system.synchronous:
            problems["synchronous"] = [_("Only a webhook system can answer synchronously.")]
    return problems


def _has_database(system: System) -> bool:
    from processing.models import DatabaseManifest

    return bool(system.pk) and DatabaseManifest.objects.filter(database__system=system).exists()


def _webhook_url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 — raises ValueError for a port out of range
    except ValueError:
        return _("Enter a valid address.")
    if parts.username is not None or parts.password is not None:
        # The address is shown to every reader of the register; the call is authenticated by
        # its signature, so a password in the address would only leak.
        return _("Leave user names and passwords out of the address: the call is signed.")
    typed = outbound.typed_addresses(host)
    loopback = bool(typed) and all(address.is_loopback for address in typed)
    if parts.scheme == "http" and loopback and settings.WEBHOOK_ALLOW_LOCAL_HTTP:
        return None
    if parts.scheme != "https" or not host:
        return _("Webhooks are called over HTTPS only: the address starts with https://.")
    if (refused := outbound.typed_address_refusal(host)) is not None:
        # The same rule as the call's (core.outbound.may_call), on the address as typed; a
        # name is checked by each call, on what it resolves to then.
        return _(
            "This address is %(address)s, an internal one (private, shared, loopback, "
            "link-local or another network that is not public), not an outside system. An "
            "on-premise system is called only on a network the operator allows "
            "(OUTBOUND_ALLOWED_NETWORKS)."
        ) % {"address": refused}
    return None


def refuse(problems: Problems) -> None:
    if problems:
        raise ValidationError(problems)


def _country_name(code: str) -> str:
    return str(countries.name(code) or code)
