"""The systems register as seeded: one system per seeded processor and recipient, and the
operator's own systems (GDPR Art. 30(1)(d)). Idempotent, and every row passes the register's
rules, as in `processing.seed`, whose lists and helpers it reads."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as N_

from processing import rules
from processing.seed import ALL_KINDS, PROCESSORS, RECIPIENTS, _create, seed_key, seeded_row

# The operator's own systems holding personal data, and the purposes whose data each holds
# (its categories and subject kinds follow from them). Seeded manual and without an owner:
# the Admin names each owner, and a webhook where the system can take one.
INTERNAL_SYSTEMS = [
    (
        "internal:platform",
        N_("The platform"),
        [
            "contract",
            "service",
            "prospect-marketing",
            "legal-claims",
            "direct-marketing",
            "legal-obligation",
        ],
    ),
    ("internal:crm", N_("CRM"), ["contract", "service", "prospect-marketing"]),
    (
        "internal:email-tool",
        N_("E-mail tool"),
        ["contract", "service", "prospect-marketing", "direct-marketing"],
    ),
    ("internal:accounting", N_("Accounting"), ["contract", "legal-obligation"]),
]


def seed_systems(apps: Any) -> None:
    """One system per seeded processor and recipient and the internal systems, each manual,
    ownerless and inactive, holding what its purposes hold. Rows are found again by
    `seed_key`, so an Admin's renaming, owner or webhook survives reseeding, and a deactivated
    one stays so."""
    try:
        System = apps.get_model("processing", "System")
    except LookupError:
        return  # an early migration's registry: 0006_seed_systems seeds them later
    Purpose = apps.get_model("processing", "Purpose")
    Processor = apps.get_model("processing", "Processor")
    Recipient = apps.get_model("processing", "Recipient")

    entries: list[tuple[str, dict[str, Any], Any]] = []
    for name, *_rest in PROCESSORS:
        processor = seeded_row(Processor, name)
        if processor is not None:
            fields = {"name": name, "kind": "processor", "processor": processor}
            entries.append((f"processor:{seed_key(name)}", fields, processor.purposes.all()))
    for name, *_rest in RECIPIENTS:
        recipient = seeded_row(Recipient, name)
        if recipient is not None:
            fields = {"name": name, "kind": "recipient", "recipient": recipient}
            entries.append((f"recipient:{seed_key(name)}", fields, recipient.purposes.all()))
    for key, name, codes in INTERNAL_SYSTEMS:
        fields = {"name": name, "kind": "internal"}
        entries.append((key, fields, Purpose.objects.filter(code__in=codes)))
    for key, fields, purposes in entries:
        if System.objects.filter(seed_key=key).exists():
            continue
        categories, kinds = _held_through(purposes)
        # Inactive until the Admin names its owner and activates it: a task for nobody would
        # stop every request, and the register lists these as waiting (`seeded_waiting`).
        system = System(
            seed_key=key, connector="manual", subject_kinds=kinds, active=False, **fields
        )
        _create(system, rules.system_field_problems(system))
        system.categories.set(categories)


def _held_through(purposes: Any) -> tuple[list[Any], list[str]]:
    """The data categories and subject kinds of these purposes, in the register's order."""
    purposes = list(purposes.prefetch_related("categories"))
    categories = {c.pk: c for p in purposes for c in p.categories.all()}
    kinds = {kind for p in purposes for kind in p.subject_kinds}
    return [categories[pk] for pk in sorted(categories)], [k for k in ALL_KINDS if k in kinds]
