"""The register as the privacy policy describes it (DOMAIN.md sections B, C and E).

Idempotent: rows are matched by code or name, and only missing rows are created, so an
Admin's later edits survive reseeding.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

CATEGORIES = [
    (
        "identification",
        "Identification",
        "First name, last name, date of birth, photo",
        ["first_name", "last_name", "date_of_birth", "photo"],
    ),
    (
        "contact",
        "Contact",
        "Work address, work phone, work e-mail",
        ["work_address", "work_phone", "work_email"],
    ),
    ("employment", "Employment", "Client company, position", ["organisation", "position"]),
    ("communication", "Communication", "E-mails and messages sent to the operator", []),
    ("usage", "Usage", "Information about use of the platform and services", []),
]

ALL_KINDS = [
    "client",
    "client_representative",
    "user",
    "prospect",
    "prospect_representative",
    "other",
]

LI_SERVICE = (
    "Interest: the operator and the client need the platform to work for the people the "
    "client puts on it. Necessity: their name, work contact and usage are the least needed "
    "to run accounts and support them. Balance: work data only, expected by the person, "
    "no profiling beyond the service; they may object (Art. 21(1))."
)
LI_PROSPECTS = (
    "Interest: marketing the platform to companies. Necessity: work contact of the company's "
    "people only (no date of birth, photo or address). Balance: B2B data in a professional "
    "context, so the interest is held to prevail; an objection is absolute (Art. 21(2)) and "
    "ends all marketing, with erasure of the prospect data."
)
LI_CLAIMS = (
    "Interest: establishing, exercising and defending legal claims. Necessity: only data "
    "linked to a claim, kept at most 10 years from the day it fell due. Balance: a "
    "recognised interest (Art. 17(3)(e), Art. 21(1)) limited to the claim."
)

# code, name, description, basis, kinds, categories, balancing test, direct marketing
PURPOSES = [
    (
        "contract",
        "Conclude and perform the contract",
        "Conclude and perform the contract with the client, including customer support and "
        "service communication; steps at the person's request before a contract.",
        "contract",
        ["client"],
        ["identification", "contact", "employment", "communication", "usage"],
        "",
        False,
    ),
    (
        "service",
        "Provide the service to representatives and users",
        "Provide the platform to client representatives and users.",
        "legitimate_interest",
        ["client_representative", "user"],
        ["identification", "contact", "employment", "communication", "usage"],
        LI_SERVICE,
        False,
    ),
    (
        "prospect-marketing",
        "Market the platform to prospects",
        "Market the platform to trial and demo clients and leads gathered by marketing.",
        "legitimate_interest",
        ["prospect", "prospect_representative"],
        ["identification", "contact", "employment", "communication", "usage"],
        LI_PROSPECTS,
        True,
    ),
    (
        "legal-claims",
        "Establish, exercise and defend legal claims",
        "Establish, exercise and defend legal claims.",
        "legitimate_interest",
        ALL_KINDS,
        ["identification", "contact", "employment", "communication", "usage"],
        LI_CLAIMS,
        False,
    ),
    (
        "direct-marketing",
        "Direct marketing",
        "Newsletters and offers to anyone who agreed to receive them.",
        "consent",
        ALL_KINDS,
        ["identification", "contact", "employment"],
        "",
        True,
    ),
    (
        "legal-obligation",
        "Auditors and accounting records",
        "Share data with auditors and keep accounting records as law requires.",
        "legal_obligation",
        ["client"],
        ["identification", "contact", "employment"],
        "",
        False,
    ),
]

PROCESSOR_CATEGORIES = [
    ("storage", "Data collection, management and storage"),
    ("email", "E-mail"),
    ("messaging", "Messaging"),
    ("popup", "Pop-up"),
    ("crm", "Customer relationship and feedback"),
    ("direct-marketing", "Direct marketing"),
    ("payment", "Payment"),
    ("accountants", "Accountants"),
    ("advisers", "Legal and other advisers"),
]

# name, category, country, purposes
PROCESSORS = [
    (
        "Cloud hosting (EU)",
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
    ("Cloud storage (Australia)", "storage", "AU", ["contract", "service", "prospect-marketing"]),
    (
        "E-mail delivery service",
        "email",
        "US",
        ["contract", "service", "prospect-marketing", "direct-marketing"],
    ),
    ("Messaging service", "messaging", "IE", ["contract", "service"]),
    ("Pop-up service", "popup", "EE", ["service", "direct-marketing"]),
    (
        "Customer relationship and feedback service",
        "crm",
        "IE",
        ["contract", "service", "prospect-marketing"],
    ),
    (
        "Direct marketing service",
        "direct-marketing",
        "IE",
        ["prospect-marketing", "direct-marketing"],
    ),
    ("Payment provider", "payment", "NL", ["contract"]),
    ("Accountants", "accountants", "EE", ["contract", "legal-obligation"]),
    ("Legal advisers", "advisers", "EE", ["legal-claims"]),
]

RECIPIENTS = [
    (
        "The client (the person's company)",
        "client",
        "legitimate_interest",
        ["service"],
        "Users' and representatives' data is shared with the client they work for.",
    ),
    (
        "Auditors",
        "auditor",
        "legal_obligation",
        ["legal-obligation"],
        "Auditors of the operator's accounts.",
    ),
    (
        "Authorities",
        "authority",
        "legal_obligation",
        ["legal-claims"],
        "Only when law requires it.",
    ),
]


def seed_policy(apps: Any) -> None:
    DataCategory = apps.get_model("processing", "DataCategory")
    Purpose = apps.get_model("processing", "Purpose")
    ProcessorCategory = apps.get_model("processing", "ProcessorCategory")
    Processor = apps.get_model("processing", "Processor")
    Recipient = apps.get_model("processing", "Recipient")
    Transfer = apps.get_model("processing", "Transfer")

    categories = {}
    for code, name, description, fields in CATEGORIES:
        categories[code], _ = DataCategory.objects.get_or_create(
            code=code, defaults={"name": name, "description": description, "fields": fields}
        )
    purposes = {}
    for code, name, description, basis, kinds, cats, balancing, marketing in PURPOSES:
        purpose, created = Purpose.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": description,
                "legal_basis": basis,
                "subject_kinds": kinds,
                "balancing_test": balancing,
                "is_direct_marketing": marketing,
            },
        )
        if created:
            purpose.categories.set([categories[c] for c in cats])
        purposes[code] = purpose
    processor_categories = {}
    for code, name in PROCESSOR_CATEGORIES:
        processor_categories[code], _ = ProcessorCategory.objects.get_or_create(
            code=code, defaults={"name": name}
        )
    processors = {}
    for name, category, country, purpose_codes in PROCESSORS:
        processor, created = Processor.objects.get_or_create(
            name=name,
            defaults={"category": processor_categories[category], "country": country},
        )
        if created:
            processor.purposes.set([purposes[c] for c in purpose_codes])
        processors[name] = processor
    for name, kind, basis, purpose_codes, description in RECIPIENTS:
        recipient, created = Recipient.objects.get_or_create(
            name=name, defaults={"kind": kind, "legal_basis": basis, "description": description}
        )
        if created:
            recipient.purposes.set([purposes[c] for c in purpose_codes])

    us = processors["E-mail delivery service"]
    if not Transfer.objects.filter(processor=us, destination_country="US").exists():
        Transfer.objects.create(
            processor=us,
            destination_country="US",
            ground="dpf",
            # Seeded as the day the register was created; the DPO re-checks the recipient's
            # certification on the Data Privacy Framework list and updates this date.
            certification_checked_on=dt.date.today(),
            description=(
                "Adequacy decision for the USA, valid only while the recipient is certified "
                "under the EU–US Data Privacy Framework (the policy's 2018 text names "
                "Privacy Shield, since invalidated)."
            ),
        )
    au = processors["Cloud storage (Australia)"]
    if not Transfer.objects.filter(processor=au, destination_country="AU").exists():
        Transfer.objects.create(
            processor=au,
            destination_country="AU",
            ground="scc",
            subject_countries=["AU", "KH", "MY", "NZ", "SG"],
            description=(
                "People located in Australia, Cambodia, Malaysia, New Zealand or Singapore "
                "also have their data stored in Australia, which has no EU adequacy "
                "decision: standard contractual clauses."
            ),
        )
