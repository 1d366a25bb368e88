"""Check and update: the person corrects their own contact and employment
data; identity data goes to the DPO.

A direct correction is a rectification like any other: it is filed as a verified
rectification request of the person's own and carried out at once by
`subject_requests.services.changes.rectify` — `update_subject`'s checks, encryption and audit
with the person as actor, the before and after kept, and the systems that hold the changed
categories given their tasks and Art. 19 notices. The request then waits, as every
rectification does, until the systems confirm and the DPO closes it.

Name, date of birth, work e-mail (the address the person signs in with) and company need a
check before they change, so they become a rectification request to the DPO stating what the
person asked for.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import subject_actor
from subject_requests.choices import RequestType
from subject_requests.models import SubjectRequest
from subject_requests.services import submit_verified_request
from subject_requests.services.changes import rectification_diff, rectify
from subjects.models import DataSubject

# What the person changes themselves: their work contact and position.
DIRECT_FIELDS = ("work_phone", "work_address", "position")
# What the DPO checks first: identity data, and the address that signs them in.
CHECKED_FIELDS = ("first_name", "last_name", "date_of_birth", "work_email", "organisation")


@dataclass(frozen=True)
class CorrectionOutcome:
    changed: list[str]
    applied: SubjectRequest | None
    asked: SubjectRequest | None


def _checked_diff(subject: DataSubject, fields: dict[str, Any]) -> dict[str, list[str]]:
    diff = {}
    for name in CHECKED_FIELDS:
        if name not in fields:
            continue
        before = getattr(subject, name)
        before_text = (
            ""
            if before is None
            else (before.isoformat() if isinstance(before, dt.date) else str(before))
        )
        after = fields[name]
        after_text = (
            ""
            if after is None
            else (after.isoformat() if isinstance(after, dt.date) else str(after).strip())
        )
        if before_text != after_text:
            diff[name] = [before_text, after_text]
    return diff


@transaction.atomic
def correct_own_data(
    *, subject: DataSubject, fields: dict[str, Any], language: str, now: dt.datetime | None = None
) -> CorrectionOutcome:
    """Apply the direct changes and ask the DPO for the checked ones. A refused value raises
    `update_subject`'s ValidationError naming its field, and nothing is stored."""
    now = now or timezone.now()
    actor = subject_actor(subject.pk)
    direct = {k: v for k, v in fields.items() if k in DIRECT_FIELDS}
    direct_diff = rectification_diff(subject, direct)
    checked = _checked_diff(subject, fields)
    if not direct_diff and not checked:
        raise ValidationError("nothing changes")
    applied = asked = None
    if direct_diff:
        applied = submit_verified_request(
            type=RequestType.RECTIFICATION, subject=subject, language=language, actor=actor,
            now=now, description="Corrected by the person on the self-service pages: "
            + ", ".join(sorted(direct_diff)),
        )  # fmt: skip
        rectify(
            request=applied,
            subject=subject,
            fields={k: direct[k] for k in direct_diff},
            actor=actor,
            now=now,
        )
    if checked:
        lines = [f"{name}: “{before}” → “{after}”" for name, (before, after) in checked.items()]
        asked = submit_verified_request(
            type=RequestType.RECTIFICATION, subject=subject, language=language, actor=actor,
            now=now, description="Asked on the self-service pages (identity data: check "
            "before correcting):\n" + "\n".join(lines),
        )  # fmt: skip
    return CorrectionOutcome(changed=sorted([*direct_diff, *checked]), applied=applied, asked=asked)
