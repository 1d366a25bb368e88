"""The register as the privacy policy describes it: categories, purposes, processors, transfers.

Idempotent: rows are matched by a code an Admin cannot change (a category's, a purpose's and a
processor category's `code`, a processor's and a recipient's `seed_key`, a transfer by its
seeded processor and country), never by a name, and only missing rows are created, so an
Admin's later edits, renaming included, survive reseeding (every `migrate` reseeds). The
words stored are English and marked for the catalogues (`N_`): documents for people show them
in the reader's language while they are the seeded words
(`core.templatetags.portal.register_words`); an Admin's own words show as typed.
"""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify
from django.utils.translation import gettext_noop as N_

from core.timeutil import legal_today
from processing import rules
from processing.category_fields import category_field_problems

CATEGORIES = [
    (
        "identification",
        N_("Identification"),
        N_("First name, last name, date of birth, photo"),
        ["first_name", "last_name", "date_of_birth", "photo"],
    ),
    (
        "contact",
        N_("Contact"),
        N_("Work address, work phone, work e-mail"),
        ["work_address", "work_phone", "work_email"],
    ),
    ("employment", N_("Employment"), N_("Client company, position"), ["organisation", "position"]),
    ("communication", N_("Communication"), N_("E-mails and messages sent to the operator"), []),
    ("usage", N_("Usage"), N_("Information about use of the platform and services"), []),
]

ALL_KINDS = [
    "client",
    "client_representative",
    "user",
    "prospect",
    "prospect_representative",
    "other",
]

# The legitimate-interest assessment of each seeded purpose on Art. 6(1)(f), from the
# policy's own reasons (quoted in Latvian where it gives them).
LEGITIMATE_INTEREST_ASSESSMENTS: dict[str, dict[str, str]] = {
    "service": {
        "lia_purpose": (
            "The operator's interest in providing the platform it has sold, and the client's "
            "interest in having its representatives and users work on it as the client asked "
            '("nodrošināt lietojumu", "lietot ... saskaņā ar Klienta lūgumu"). These people '
            "are not party to the contract, so Art. 6(1)(b) does not cover them."
        ),
        "lia_necessity": (
            "Accounts, sign-in, support and service messages cannot work without the person's "
            "name, work contact, company and position and a record of their use of the "
            "platform. Nothing outside the five categories of the register is processed; date "
            "of birth and photo are optional and only what the person or the client gives."
        ),
        "lia_balancing": (
            "Work data in a work context, there because the person's employer put them on the "
            "platform, so they reasonably expect it (Recital 47). The effect on them is small: "
            "no special categories, no profiling beyond the service, no decision with legal "
            "effect. The client, who holds the relationship with them, sees their data as the "
            "policy says. The interest is held to prevail."
        ),
        "lia_safeguards": (
            "Shared only with their client and the processors in this register; encrypted "
            "storage, access by role and every look logged; kept only under the retention "
            "rules of this register; the person may object at any time (Art. 21(1)), with "
            "processing restricted while the DPO decides (Art. 18(1)(d)), and can check and "
            "update their data themselves."
        ),
    },
    "prospect-marketing": {
        "lia_purpose": (
            "Marketing the platform to companies that tried it, asked for a demo or were found "
            'by marketing, so that a contract can be concluded with them ("mārketinga '
            'nolūkos, lai mūsu uzņēmums ar jums varētu noslēgt Līgumu"). Direct marketing may '
            "be a legitimate interest (Recital 47)."
        ),
        "lia_necessity": (
            "Only name, work e-mail and phone, company, position, communication and use of the "
            "trial or demo: no date of birth, photo or address. Kept 1 year after the trial's "
            "end, the demo or the collection for marketing, and no longer."
        ),
        "lia_balancing": (
            "B2B data about the person's professional role, reached through work channels; "
            "someone who tried the platform or asked for a demo expects to hear from the "
            "operator. The intrusion is a few work e-mails or calls that one click stops. The "
            "policy holds that the person's privacy rights do not prevail over the interest "
            '("jūsu privātuma tiesības nav prioritāras").'
        ),
        "lia_safeguards": (
            "Every marketing e-mail carries an unsubscribe link; an objection is absolute "
            "(Art. 21(2)): marketing stops, the prospect data is erased (Art. 17(1)(c)) and "
            "only a keyed hash of the e-mail stays, so a later import does not bring the "
            "person back; people not asked directly are told the source within a month "
            "(Art. 14)."
        ),
    },
    "legal-claims": {
        "lia_purpose": (
            "Establishing, exercising and defending the operator's legal claims (\"izvirzīt, "
            'īstenot un aizstāvēt tiesisku prasījumu"), an interest the GDPR itself '
            "recognises (Art. 17(3)(e), Art. 21(1))."
        ),
        "lia_necessity": (
            "Only the data linked to a claim (the contract, the invoice, the correspondence "
            "about it), and for at most 10 years from the day the claim fell due, the longest "
            "limitation period under Estonian law; without it the operator could not prove "
            "its case."
        ),
        "lia_balancing": (
            "The person knows the relationship the claim arises from; keeping its evidence "
            "starts no new use of their data, and courts rely on the parties keeping it. The "
            "data serves nothing else, so the interest is held to prevail for as long as a "
            "claim can be brought."
        ),
        "lia_safeguards": (
            "Used for the claim only, never for marketing or everyday service; deleted by the "
            "nightly purge when its period ends, unless a legal hold set and reviewed by the "
            "DPO keeps it; an objection (Art. 21(1)) goes to the DPO's balancing decision; an "
            "erasure request is answered with the reason the data stays (Art. 17(3)(e))."
        ),
    },
}

# The Australian storage rests on the Commission's standard contractual clauses.
AU_SCC_REFERENCE = (
    "Standard contractual clauses, Commission Implementing Decision (EU) 2021/914, "
    "module two (controller to processor), annexed to the processing agreement"
)

# code, name, description, basis, kinds, categories, direct marketing
PURPOSES = [
    (
        "contract",
        N_("Conclude and perform the contract"),
        N_(
            "Conclude and perform the contract with the client, including customer support "
            "and service communication; steps at the person's request before a contract."
        ),
        "contract",
        ["client"],
        ["identification", "contact", "employment", "communication", "usage"],
        False,
    ),
    (
        "service",
        N_("Provide the service to representatives and users"),
        N_("Provide the platform to client representatives and users."),
        "legitimate_interest",
        ["client_representative", "user"],
        ["identification", "contact", "employment", "communication", "usage"],
        False,
    ),
    (
        "prospect-marketing",
        N_("Market the platform to prospects"),
        N_("Market the platform to trial and demo clients and leads gathered by marketing."),
        "legitimate_interest",
        ["prospect", "prospect_representative"],
        ["identification", "contact", "employment", "communication", "usage"],
        True,
    ),
    (
        "legal-claims",
        N_("Establish, exercise and defend legal claims"),
        N_("Establish, exercise and defend legal claims."),
        "legitimate_interest",
        ALL_KINDS,
        ["identification", "contact", "employment", "communication", "usage"],
        False,
    ),
    (
        "direct-marketing",
        N_("Direct marketing"),
        N_("Newsletters and offers to anyone who agreed to receive them."),
        "consent",
        ALL_KINDS,
        ["identification", "contact", "employment"],
        True,
    ),
    (
        "legal-obligation",
        N_("Auditors and accounting records"),
        N_("Share data with auditors and keep accounting records as law requires."),
        "legal_obligation",
        ["client"],
        ["identification", "contact", "employment"],
        False,
    ),
]

PROCESSOR_CATEGORIES = [
    ("storage", N_("Data collection, management and storage")),
    ("email", N_("E-mail")),
    ("messaging", N_("Messaging")),
    ("popup", N_("Pop-up")),
    ("crm", N_("Customer relationship and feedback")),
    ("direct-marketing", N_("Direct marketing")),
    ("payment", N_("Payment")),
    ("accountants", N_("Accountants")),
    ("advisers", N_("Legal and other advisers")),
]

# name, category, country, purposes
PROCESSORS = [
    (
        N_("Cloud hosting (EU)"),
        "storage",
        "DE",
        [
            "contract",
            "service",
            "prospect-marketing",
            "legal-claims",
            "direct-marketing",
            "legal-obligation",
        ],
    ),
    (
        N_("Cloud storage (Australia)"),
        "storage",
        "AU",
        ["contract", "service", "prospect-marketing"],
    ),
    (
        N_("E-mail delivery service"),
        "email",
        "US",
        ["contract", "service", "prospect-marketing", "direct-marketing"],
    ),
    (N_("Messaging service"), "messaging", "IE", ["contract", "service"]),
    (N_("Pop-up service"), "popup", "EE", ["service", "direct-marketing"]),
    (
        N_("Customer relationship and feedback service"),
        "crm",
        "IE",
        ["contract", "service", "prospect-marketing"],
    ),
    (
        N_("Direct marketing service"),
        "direct-marketing",
        "IE",
        ["prospect-marketing", "direct-marketing"],
    ),
    (N_("Payment provider"), "payment", "NL", ["contract"]),
    (N_("Accountants"), "accountants", "EE", ["contract", "legal-obligation"]),
    (N_("Legal advisers"), "advisers", "EE", ["legal-claims"]),
]

RECIPIENTS = [
    (
        N_("The client (the person's company)"),
        "client",
        "legitimate_interest",
        ["service"],
        N_("Users' and representatives' data is shared with the client they work for."),
    ),
    (
        N_("Auditors"),
        "auditor",
        "legal_obligation",
        ["legal-obligation"],
        N_("Auditors of the operator's accounts."),
    ),
    (
        N_("Authorities"),
        "authority",
        "legal_obligation",
        ["legal-claims"],
        N_("Only when law requires it."),
    ),
]


def seed_policy(apps: Any) -> None:
    DataCategory = apps.get_model("processing", "DataCategory")
    Purpose = apps.get_model("processing", "Purpose")
    ProcessorCategory = apps.get_model("processing", "ProcessorCategory")
    Processor = apps.get_model("processing", "Processor")
    Recipient = apps.get_model("processing", "Recipient")
    Transfer = apps.get_model("processing", "Transfer")
    today = legal_today()

    categories = {}
    for code, name, description, fields in CATEGORIES:
        categories[code] = _existing(DataCategory, code=code) or _create(
            DataCategory(code=code, name=name, description=description, fields=fields),
            category_field_problems(fields),
        )
    purposes = {}
    for code, name, description, basis, kinds, cats, marketing in PURPOSES:
        purpose = _existing(Purpose, code=code)
        if purpose is None:
            purpose = Purpose(
                code=code,
                name=name,
                description=description,
                legal_basis=basis,
                subject_kinds=kinds,
                is_direct_marketing=marketing,
                **LEGITIMATE_INTEREST_ASSESSMENTS.get(code, {}),
            )
            _create(purpose, rules.purpose_problems(purpose))
            purpose.categories.set([categories[c] for c in cats])
        purposes[code] = purpose
    processor_categories = {}
    for code, name in PROCESSOR_CATEGORIES:
        processor_categories[code] = _existing(ProcessorCategory, code=code) or _create(
            ProcessorCategory(code=code, name=name)
        )
    processors = {}
    for name, category, country, purpose_codes in PROCESSORS:
        processor = seeded_row(Processor, name)
        if processor is None:
            processor = _create(
                Processor(name=name, category=processor_categories[category], country=country),
                key=seed_key(name),
            )
            processor.purposes.set([purposes[c] for c in purpose_codes])
        processors[name] = processor
    for name, kind, basis, purpose_codes, description in RECIPIENTS:
        if seeded_row(Recipient, name) is None:
            recipient = _create(
                Recipient(name=name, kind=kind, legal_basis=basis, description=description),
                key=seed_key(name),
            )
            recipient.purposes.set([purposes[c] for c in purpose_codes])

    us = processors["E-mail delivery service"]
    if not Transfer.objects.filter(processor=us, destination_country="US").exists():
        transfer = Transfer(
            processor=us,
            destination_country="US",
            ground="dpf",
            # Seeded as the day the register was created; the DPO re-checks the recipient's
            # certification on the Data Privacy Framework List and updates this date.
            certification_checked_on=today,
            description=(
                "Adequacy decision for the USA, valid only while the recipient is certified "
                "under the EU–US Data Privacy Framework (the policy's 2018 text names "
                "Privacy Shield, since invalidated)."
            ),
        )
        _create(transfer, rules.transfer_problems(transfer, today=today))
    au = processors["Cloud storage (Australia)"]
    if not Transfer.objects.filter(processor=au, destination_country="AU").exists():
        transfer = Transfer(
            processor=au,
            destination_country="AU",
            ground="scc",
            document_reference=AU_SCC_REFERENCE,
            subject_countries=["AU", "KH", "MY", "NZ", "SG"],
            description=(
                "People located in Australia, Cambodia, Malaysia, New Zealand or Singapore "
                "also have their data stored in Australia, which has no EU adequacy "
                "decision: standard contractual clauses."
            ),
        )
        _create(transfer, rules.transfer_problems(transfer, today=today))
    # Imported here: the systems' seed reads this module's processors and recipients.
    from processing.systems_seed import seed_systems

    seed_systems(apps)


def _existing(model: Any, **lookup: Any) -> Any:
    return model.objects.filter(**lookup).first()


def seed_key(name: str) -> str:
    """The key of a seeded processor or recipient: its seeded name's slug, for good."""
    return slugify(name)


def _has_seed_key(model: Any) -> bool:
    # The migrations that seeded the register before processors and recipients had a key
    # (0002, 0004) run with models without it; the migration adding it keys their rows.
    return any(field.name == "seed_key" for field in model._meta.get_fields())


def seeded_row(model: Any, name: str) -> Any:
    """The processor or recipient seeded as `name`, whatever the Admin has renamed it to."""
    if not _has_seed_key(model):
        return _existing(model, name=name)
    return _existing(model, seed_key=seed_key(name))


def _create(row: Any, problems: rules.Problems | None = None, *, key: str = "") -> Any:
    """Save a seeded row only if it is valid, so a bad seed fails loudly.

    A migration's historical models have no custom `clean()`, so `full_clean()` checks the
    fields and constraints and the register's own rules are applied here by name.
    """
    if key and _has_seed_key(type(row)):
        row.seed_key = key
    row.full_clean()
    rules.refuse(problems or {})
    row.save()
    return row
