"""The suppression check `subjects.services.create_subject` calls before storing anyone.

An address that objected to direct marketing (GDPR Art. 21(2)-(3)) stays as a keyed hash so a
later import does not bring the person back. What happens then is the DPO's choice
(`ConsentSettings.on_suppressed_import`): refuse, or store the person flagged — a flagged
person is never marketed to, because `marketable()` excludes every suppressed address.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from consent.models import ConsentSettings, SuppressedImport, SuppressionEntry
from core.audit import Actor, record_event
from core.crypto import blind_index

if TYPE_CHECKING:
    from subjects.models import DataSubject

FLAG = "flag"


def check_new_subject_email(email: str | None) -> Literal["flag"] | None:
    """Raise `ValidationError({"work_email": …})` to refuse, return "flag", or None if clear."""
    index = blind_index(email)
    if not index:
        return None
    entry = SuppressionEntry.objects.filter(email_index=index).order_by("suppressed_on").first()
    if entry is None:
        return None
    if ConsentSettings.load().on_suppressed_import == SuppressedImport.FLAG:
        return "flag"
    raise ValidationError(
        {
            "work_email": _(
                "This address objected to marketing on %(date)s and is on the suppression "
                "list, so the person is not stored again. Ask the DPO if they contacted us "
                "themselves."
            )
            % {"date": entry.suppressed_on.isoformat()}
        }
    )


def flag_subject(*, subject: DataSubject, actor: Actor) -> None:
    """Record that a suppressed address was stored again (the DPO sees it on the list)."""
    record_event(
        action="consent.suppressed_address_stored",
        actor=actor,
        target=subject,
        details={"on_suppressed_import": SuppressedImport.FLAG},
    )


def suppression_errors(email: str | None) -> list[str]:
    """For `work_email_errors`: the refusal messages, or none (clear or "flag" mode)."""
    try:
        check_new_subject_email(email)
    except ValidationError as refused:
        return list(refused.message_dict["work_email"])
    return []


def flag_if_suppressed(*, subject: DataSubject, actor: Actor) -> bool:
    """After `create_subject` stored someone: flag them if their address is suppressed."""
    if check_new_subject_email(getattr(subject, "work_email", None)) == FLAG:
        flag_subject(subject=subject, actor=actor)
        return True
    return False
