"""How a purpose is named to the person it concerns: its public wording, not the register's
internal name.

The seeded description says what the person receives ("Newsletters and offers to anyone who
agreed to receive them."), in the reader's language through the catalogues while it is the
seeded text; an Admin's own words show as typed. A purpose without a description falls back
to its name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

# The seeded descriptions of the purposes a person can withdraw from or object to, marked here
# so that the catalogues carry them (the seed marks its words with an alias `makemessages`
# does not read); `tests/test_selfservice_preferences.py` checks they match the seed.
SEEDED_PUBLIC_WORDING = (
    gettext_noop("Newsletters and offers to anyone who agreed to receive them."),
    gettext_noop("Market the platform to trial and demo clients and leads gathered by marketing."),
    gettext_noop("Provide the platform to client representatives and users."),
    gettext_noop("Establish, exercise and defend legal claims."),
)

if TYPE_CHECKING:
    from processing.models import Purpose


def public_wording(purpose: Purpose) -> str:
    """In the active language: call it inside `translation.override` for an e-mail."""
    text = (purpose.description or purpose.name or "").strip()
    return _(text) if text else ""


def grant_wording(purpose: Purpose) -> str:
    """The sentence a person agrees to on their preference centre (the ledger keeps it)."""
    return _(
        "I agree that the operator may use my work contact data for: %(purpose)s I can "
        "withdraw this consent at any time on my preference page, with the unsubscribe link "
        "in every such e-mail or by writing to the privacy address; withdrawal does not affect "
        "earlier processing."
    ) % {"purpose": public_wording(purpose)}
