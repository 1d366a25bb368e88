"""The demo's systems register in service: the seeded internal systems given owners among the
demo logins and activated, and the auditors reachable for Art. 19 notices (development only;
a real Admin does this on the systems pages)."""

from __future__ import annotations

from typing import Any

from processing.models import System
from processing.services.systems import SystemValues, reactivate_system, update_system

# Seed key → the demo login that owns it.
DEMO_OWNERS = {
    "internal:platform": "admin",
    "internal:crm": "staff",
    "internal:email-tool": "staff",
    "internal:accounting": "admin",
    "recipient:auditors": "admin",
}
DEMO_CONTACTS = {"recipient:auditors": "privacy@auditors.example"}


def configure_demo_systems(*, owners: dict[str, Any], actor: Any) -> int:
    configured = 0
    for key, login in DEMO_OWNERS.items():
        system = System.objects.filter(seed_key=key, owner__isnull=True).first()
        if system is None:
            continue
        values = SystemValues(
            name=system.name,
            kind=system.kind,
            owner=owners[login],
            subject_kinds=list(system.subject_kinds),
            categories=list(system.categories.all()),
            connector=system.connector,
            processor=system.processor,
            recipient=system.recipient,
            contact_email=DEMO_CONTACTS.get(key, system.contact_email),
        )
        reactivate_system(
            system=update_system(system=system, values=values, actor=actor), actor=actor
        )
        configured += 1
    return configured
