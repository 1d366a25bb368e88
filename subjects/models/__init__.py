"""Who the data subjects are and what is stored about them (DOMAIN.md sections A and B)."""

from __future__ import annotations

from processing.models import SubjectKind
from subjects.models.names import NamePart, NameToken
from subjects.models.people import (
    COUNTRY_LANGUAGES,
    PROSPECT_KINDS,
    PROSPECT_STATUSES,
    SOURCES_NEEDING_NOTICE,
    DataSubject,
    DataSubjectQuerySet,
    KindChange,
    LegalHold,
    Organisation,
    OrganisationQuerySet,
    OrganisationStatus,
    RestrictionGround,
    Source,
    held_condition,
    hold_in_force,
    in_use_condition,
    restricted_condition,
)
from subjects.models.records import (
    Claim,
    Communication,
    CommunicationChannel,
    CommunicationDirection,
    Demo,
    Invoice,
    Trial,
    TrialContent,
    UsageRecord,
)

__all__ = [
    "COUNTRY_LANGUAGES",
    "PROSPECT_KINDS",
    "PROSPECT_STATUSES",
    "SOURCES_NEEDING_NOTICE",
    "Claim",
    "Communication",
    "CommunicationChannel",
    "CommunicationDirection",
    "DataSubject",
    "DataSubjectQuerySet",
    "Demo",
    "Invoice",
    "KindChange",
    "LegalHold",
    "NamePart",
    "NameToken",
    "Organisation",
    "OrganisationQuerySet",
    "OrganisationStatus",
    "RestrictionGround",
    "Source",
    "SubjectKind",
    "Trial",
    "TrialContent",
    "UsageRecord",
    "held_condition",
    "hold_in_force",
    "in_use_condition",
    "restricted_condition",
]
