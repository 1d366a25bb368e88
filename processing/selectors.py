"""Reads over the register: which purposes cover a person, who holds their data (GDPR Art. 30,
Art. 15(1)(c)). Each runs a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from core.permissions import Role, holding_role
from processing import rules
from processing.adequacy import dpf_recheck_due, is_dpf_check_stale
from processing.category_fields import category_field_problems
from processing.models import (
    DataCategory,
    Processor,
    ProcessorCategory,
    Purpose,
    Recipient,
    SubjectKind,
    System,
    SystemKind,
    Transfer,
    TransferGround,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class PurposeForSubject:
    purpose: Purpose
    # Consent-based purposes cover the person only while they have consented; the consent
    # ledger, not the register, says whether they have.
    only_with_consent: bool


@dataclass
class Holder:
    """A processor or recipient holding a person's data, and why."""

    party: Processor | Recipient
    purposes: list[Purpose] = field(default_factory=list)
    transfers: list[Transfer] = field(default_factory=list)

    @property
    def only_with_consent(self) -> bool:
        return all(p.is_consent_based for p in self.purposes)


@dataclass
class DataHolders:
    processors: list[Holder]
    recipients: list[Holder]
    transfers: list[Transfer]


def purposes_for_subject(subject: Any) -> list[PurposeForSubject]:
    """The purposes covering the person: the active ones whose subject kinds include the
    person's kind. The one rule for every page and letter; the register's `subject_kinds`
    states whom a purpose covers, consent-based ones included (one query)."""
    # Six purposes: filtering the JSON list in Python works the same on SQLite and PostgreSQL.
    purposes = Purpose.objects.active().prefetch_related("categories").order_by("id")
    return [
        PurposeForSubject(purpose=p, only_with_consent=p.is_consent_based)
        for p in purposes
        if p.applies_to_kind(subject.kind)
    ]


def purposes_to_withdraw_or_object(subject: Any) -> list[Purpose]:
    """Of the purposes covering the person, those they can withdraw consent from or object to:
    what the consent pages offer."""
    return [
        entry.purpose
        for entry in purposes_for_subject(subject)
        if entry.purpose.person_can_withdraw_or_object
    ]


# Everyone's data is kept in the EEA (the operator's own hosting); the register's transfers
# limited to people located in certain countries add where theirs is stored as well.
HOME_STORAGE = "EU"


@dataclass(frozen=True)
class RegionalStorage:
    """Storage destinations by the countries whose people they hold, beyond the EU
    where everyone's is (Australia for people located in AU, KH, MY, NZ and SG)."""

    destinations_by_country: dict[str, frozenset[str]]

    def locations_for(self, country: str) -> list[str]:
        return [HOME_STORAGE, *sorted(self.destinations_by_country.get(country, ()))]


def regional_storage() -> RegionalStorage:
    """The register's transfers that carry `subject_countries` (the Australian storage), read
    with one query, so a page of people needs one query whatever its length."""
    destinations: dict[str, set[str]] = {}
    rows = Transfer.objects.values_list("destination_country", "subject_countries")
    for destination, located in rows:
        for country in located or ():
            destinations.setdefault(str(country), set()).add(str(destination))
    return RegionalStorage({c: frozenset(d) for c, d in destinations.items()})


def storage_locations_for(country: str) -> list[str]:
    """Where the data of a person located in `country` is stored (one query)."""
    return regional_storage().locations_for(country)


def _applies(transfer: Transfer, country: str) -> bool:
    return transfer.applies_to_country(country)


def holders_of_subject_data(
    subject: Any, purposes: list[PurposeForSubject] | None = None
) -> DataHolders:
    """Processors and recipients holding the person's data through their purposes, and the
    transfers outside the EEA that apply to them.

    A processor whose every transfer is limited to people located elsewhere (the Australian
    storage, for people in AU, KH, MY, NZ and SG) does not hold this person's data.
    """
    if purposes is None:
        purposes = purposes_for_subject(subject)
    country = str(subject.country or "")
    return holders_by_country(purposes, [country])[country]


def holders_by_country(
    purposes: list[PurposeForSubject], countries: Iterable[str]
) -> dict[str, DataHolders]:
    """`holders_of_subject_data` for everyone with these purposes, per country they are
    located in: the same queries whatever the number of countries (notice batches)."""
    ids = [entry.purpose.pk for entry in purposes]
    covered = Purpose.objects.filter(pk__in=ids).order_by("id")

    processors = (
        Processor.objects.filter(purposes__in=ids)
        .distinct()
        .select_related("category")
        .prefetch_related(Prefetch("purposes", queryset=covered, to_attr="covering"))
        .order_by("category_id", "name")
    )
    recipients = (
        Recipient.objects.filter(purposes__in=ids)
        .distinct()
        .prefetch_related(Prefetch("purposes", queryset=covered, to_attr="covering"))
        .order_by("id")
    )
    parties: dict[str, list[Any]] = {"processors": list(processors), "recipients": list(recipients)}
    # The register's few transfers, read once for processors and recipients alike.
    transfers = list(Transfer.objects.order_by("id"))
    for party in parties["processors"]:
        party.all_transfers = [t for t in transfers if t.processor_id == party.pk]
    for party in parties["recipients"]:
        party.all_transfers = [t for t in transfers if t.recipient_id == party.pk]
    return {country: _holders_in(parties, country) for country in set(countries)}


def _holders_in(parties: dict[str, list[Any]], country: str) -> DataHolders:
    holders: dict[str, list[Holder]] = {"processors": [], "recipients": []}
    transfers: list[Transfer] = []
    for key, found in parties.items():
        for party in found:
            all_transfers: list[Transfer] = party.all_transfers
            applying = [t for t in all_transfers if _applies(t, country)]
            if all_transfers and not applying:
                continue
            holders[key].append(
                Holder(party=party, purposes=list(party.covering), transfers=applying)
            )
            transfers.extend(applying)
    return DataHolders(
        processors=holders["processors"], recipients=holders["recipients"], transfers=transfers
    )


@dataclass
class Register:
    purposes: list[Purpose]
    categories: list[DataCategory]
    processor_categories: list[ProcessorCategory]
    processors: list[Processor]
    recipients: list[Recipient]
    transfers: list[Transfer]


def processing_register() -> Register:
    """The whole record of processing activities (GDPR Art. 30) for the printable page."""
    return Register(
        purposes=list(Purpose.objects.prefetch_related("categories").order_by("id")),
        categories=list(DataCategory.objects.order_by("id")),
        processor_categories=list(ProcessorCategory.objects.order_by("id")),
        processors=list(
            Processor.objects.select_related("category")
            .prefetch_related("purposes", "sub_processors", "systems")
            .order_by("category_id", "name")
        ),
        recipients=list(Recipient.objects.prefetch_related("purposes").order_by("id")),
        transfers=list(Transfer.objects.select_related("processor", "recipient").order_by("id")),
    )


@dataclass(frozen=True)
class RegisterFinding:
    """A row of the register the DPO and Admin must put right, and what is wrong with it."""

    row: Purpose | Transfer | Processor | DataCategory
    problem: str

    @property
    def admin_url_name(self) -> str:
        return f"admin:processing_{self.row._meta.model_name}_change"


def register_findings(*, today: dt.date) -> list[RegisterFinding]:
    """Rows that break the register's rules (saved before a rule existed, or changed outside
    the admin), DPF certifications whose yearly check is overdue, processors without a DPA or
    past its review, assessments past their review (four queries)."""
    findings: list[RegisterFinding] = []
    for category in DataCategory.objects.order_by("id"):
        findings += _findings(category, category_field_problems(category.fields))
    for purpose in Purpose.objects.order_by("id"):
        findings += _findings(purpose, rules.purpose_problems(purpose))
        if purpose.active:
            findings += _findings(purpose, rules.assessment_review_problems(purpose, today=today))
    for processor in Processor.objects.order_by("name", "id"):
        findings += _findings(processor, rules.processor_problems(processor, today=today))
    transfers = Transfer.objects.select_related("processor", "recipient").order_by("id")
    for transfer in transfers:
        findings += _findings(transfer, rules.transfer_problems(transfer, today=today))
        checked_on = transfer.certification_checked_on
        if (
            transfer.ground == TransferGround.DPF
            and checked_on is not None
            and is_dpf_check_stale(checked_on, today=today)
        ):
            findings.append(
                RegisterFinding(
                    row=transfer,
                    problem=_(
                        "The recipient's certification under the EU–US Data Privacy "
                        "Framework was last checked on %(checked)s; a check counts for 12 "
                        "months, so it was due again by %(due)s. Look the recipient up on the "
                        "Data Privacy Framework List and record the new check date, or change "
                        "the ground."
                    )
                    % {
                        "checked": f"{checked_on:%Y-%m-%d}",
                        "due": f"{dpf_recheck_due(checked_on):%Y-%m-%d}",
                    },
                )
            )
    return findings


def _findings(
    row: Purpose | Transfer | Processor | DataCategory, problems: rules.Problems
) -> list[RegisterFinding]:
    return [
        RegisterFinding(row=row, problem=message)
        for messages in problems.values()
        for message in messages
    ]


# --- the systems register --------------------------------------------------------------------


def systems_holding(*, kind: str, categories: Iterable[str]) -> list[System]:
    """The active systems holding data of a subject of this kind in any of these data
    categories (codes): where a request about that person must go (one query)."""
    if kind not in SubjectKind.values:
        raise ValueError(f"{kind!r} is not a kind of data subject")
    codes = list(categories)
    if not codes:
        return []
    systems = (
        System.objects.active()
        .holding_any_of(codes)
        .select_related("owner", "processor", "recipient")
        .order_by("name", "id")
    )
    # A few dozen systems: reading the JSON list in Python works alike on SQLite and
    # PostgreSQL (SQLite has no JSON containment lookup), as for purposes.
    return [system for system in systems if kind in system.subject_kinds]


def warnings_for(system: System) -> list[str]:
    """What keeps a system from receiving its tasks and notices, in words the Admin can act
    on. Reads the system and its owner only."""
    warnings: list[str] = []
    owner = system.owner
    if owner is None:
        warnings.append(
            _("No owner: nobody gets this system's tasks. Edit it and choose its owner.")
        )
    elif not owner.is_active:
        warnings.append(
            _("Its owner, %(owner)s, can no longer log in: choose another owner.")
            % {"owner": owner.get_username()}
        )
    if system.is_webhook and not system.has_secret:
        warnings.append(_("No signing secret: the webhook cannot be called. Generate the secret."))
    if system.kind == SystemKind.RECIPIENT and not system.is_webhook and not system.contact_email:
        warnings.append(
            _(
                "No contact e-mail: this recipient cannot be sent notices of rectification, "
                "erasure or restriction (GDPR Art. 19)."
            )
        )
    for messages in rules.system_field_problems(system).values():
        warnings.extend(messages)
    return warnings


@dataclass(frozen=True)
class SystemProblem:
    system: System
    problem: str


def seeded_waiting() -> int:
    """Seeded systems still inactive without an owner: the register's part not yet in service
    (no request reaches them until the Admin names an owner and activates them)."""
    return System.objects.filter(seed_key__isnull=False, owner__isnull=True, active=False).count()


def system_problems() -> list[SystemProblem]:
    """Every warning about the active systems, for the list page and the register (one
    query)."""
    systems = System.objects.active().select_related("owner").order_by("name", "id")
    return [
        SystemProblem(system=system, problem=problem)
        for system in systems
        for problem in warnings_for(system)
    ]


def systems_out_of_reach(*, kinds: Iterable[str]) -> list[SystemProblem]:
    """The systems of the register that hold data of people of these kinds but that a
    request about them would not reach (inactive), or would reach with nobody able to act
    (`warnings_for`): a warning on the request before it is answered (one query)."""
    wanted = set(kinds)
    if not wanted:
        return []
    systems = (
        System.objects.filter(categories__isnull=False)
        .distinct()
        .select_related("owner")
        .order_by("name", "id")
    )
    problems = []
    for system in systems:
        if not wanted & set(system.subject_kinds):
            continue
        if not system.active:
            problems.append(SystemProblem(system, _("inactive: it gets no task and no notice")))
            continue
        problems.extend(SystemProblem(system, problem) for problem in warnings_for(system))
    return problems


def systems_for_list(
    *, kind: str = "", connector: str = "", state: str = "all"
) -> QuerySet[System]:
    """The systems page's rows, filtered; warnings are read per row from what this loads."""
    systems = System.objects.select_related("owner", "processor", "recipient").prefetch_related(
        "categories"
    )
    if kind:
        systems = systems.filter(kind=kind)
    if connector:
        systems = systems.filter(connector=connector)
    if state == "active":
        systems = systems.filter(active=True)
    elif state == "inactive":
        systems = systems.filter(active=False)
    return systems.order_by("name", "id")


def system_owner_candidates() -> QuerySet[User]:
    """Who may own a system: active users of a role that works on requests or configures the
    portal (an Auditor only reads)."""
    return (
        get_user_model()
        .objects.filter(holding_role(Role.DPO, Role.STAFF, Role.ADMIN), is_active=True)
        .distinct()
        .order_by("username")
    )


def purpose_names() -> dict[str, str]:
    """Each purpose's name by its code (the audit log's details store codes)."""
    return dict(Purpose.objects.values_list("code", "name"))


def category_names() -> dict[str, str]:
    return dict(DataCategory.objects.values_list("code", "name"))
