"""The consent receipt of one ledger event (issue 14 item 4): a readable page and a download.

`consent_record(event) -> dict` is the ISO/IEC TS 27560-shaped record of the consent API
work (`consent.iso27560`). Until that module is in this branch, `_ledger_record` below renders
the same event in that shape from the ledger row alone, behind the same name, so the page and
the download swap to the shared module without change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from consent.models import ConsentEvent
from consent.wording import public_wording


def _ledger_record(event: ConsentEvent) -> dict[str, Any]:
    version = event.policy_version
    purpose = event.purpose
    return {
        "schema_version": "ISO/IEC TS 27560:2023",
        "record_id": f"consent-event-{event.pk}",
        "timestamp": event.recorded_at.isoformat(),
        "data_controller": {
            "name": settings.PRIVACY_CONTROLLER_NAME,
            "contact": settings.PRIVACY_CONTACT_EMAIL,
        },
        # The person by the portal's id only: a receipt holds no name or address.
        "data_subject": {"id": f"subject-{event.subject_id}"},
        "purpose": {
            "id": purpose.code,
            "name": purpose.name,
            "legal_basis": purpose.legal_basis,
            "direct_marketing": purpose.is_direct_marketing,
        },
        "event": {
            "type": event.kind,
            "time": event.occurred_at.isoformat(),
            "channel": event.channel,
            "actor": event.actor_label or "staff",
        },
        "notice": {
            "text": event.wording,
            "policy_version": version.version if version else None,
            "policy_effective_on": version.effective_on.isoformat() if version else None,
        },
    }


def _shared() -> Callable[[ConsentEvent], dict[str, Any]]:
    try:
        from consent import iso27560  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return _ledger_record
    record: Callable[[ConsentEvent], dict[str, Any]] = iso27560.consent_record
    return record


def consent_record(event: ConsentEvent) -> dict[str, Any]:
    return _shared()(event)


def receipt_lines(event: ConsentEvent) -> list[tuple[str, str]]:
    """The receipt for reading, in the person's language."""
    version = event.policy_version
    return [
        (_("Receipt number"), str(event.pk)),
        (_("Controller"), f"{settings.PRIVACY_CONTROLLER_NAME} ({settings.PRIVACY_CONTACT_EMAIL})"),
        (_("Purpose"), public_wording(event.purpose)),
        (_("What you did"), str(event.get_kind_display())),
        (_("When"), timezone.localtime(event.occurred_at).strftime("%Y-%m-%d %H:%M")),
        (_("How"), str(event.get_channel_display())),
        (_("Wording you agreed to"), event.wording or "—"),
        (_("Privacy policy in force"), version.version if version else "—"),
    ]
