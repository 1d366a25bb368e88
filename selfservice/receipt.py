"""The consent receipt of one ledger event: a readable page and a download.

The download is the ISO/IEC TS 27560-shaped record of the consent API work
(`consent.iso27560.consent_record`), the same document the DPO's ledger exports; the page
states the same event in the person's words and language.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from consent.iso27560 import consent_record
from consent.models import ConsentEvent, EventKind
from consent.wording import public_wording
from core.display import format_moment

__all__ = ["consent_record", "receipt_lines"]


def _wording_label(event: ConsentEvent) -> str:
    """What the wording was to the person: what they agreed to, or what they withdrew."""
    if event.kind == EventKind.GRANTED:
        return _("Wording you agreed to")
    if event.kind == EventKind.WITHDRAWN:
        return _("Wording of the consent you withdrew")
    return _("Wording shown to you")


def receipt_lines(event: ConsentEvent) -> list[tuple[str, str]]:
    """The receipt for reading, in the person's language."""
    version = event.policy_version
    return [
        (_("Receipt number"), str(event.pk)),
        (_("Controller"), f"{settings.PRIVACY_CONTROLLER_NAME} ({settings.PRIVACY_CONTACT_EMAIL})"),
        (_("Purpose"), public_wording(event.purpose)),
        (_("What you did"), str(event.get_kind_display())),
        (_("When"), format_moment(event.occurred_at, get_language() or "en")),
        (_("How"), str(event.get_channel_display())),
        (_wording_label(event), event.wording or "—"),
        (_("Privacy policy in force"), version.version if version else "—"),
    ]
