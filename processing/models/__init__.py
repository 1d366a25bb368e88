"""The processing register (GDPR Art. 30) and the systems register beside it."""

from __future__ import annotations

from processing.models.databases import DatabaseManifest, ManifestState, PlatformDatabase
from processing.models.record import RecordVersion, SecurityMeasures
from processing.models.register import (
    DataCategory,
    LegalBasis,
    Processor,
    ProcessorCategory,
    Purpose,
    PurposeQuerySet,
    Recipient,
    RecipientKind,
    SubjectKind,
    SubProcessor,
    Transfer,
    TransferGround,
)
from processing.models.systems import Connector, System, SystemKind, SystemQuerySet

__all__ = [
    "Connector",
    "DataCategory",
    "DatabaseManifest",
    "LegalBasis",
    "ManifestState",
    "PlatformDatabase",
    "Processor",
    "ProcessorCategory",
    "Purpose",
    "PurposeQuerySet",
    "Recipient",
    "RecipientKind",
    "RecordVersion",
    "SecurityMeasures",
    "SubProcessor",
    "SubjectKind",
    "System",
    "SystemKind",
    "SystemQuerySet",
    "Transfer",
    "TransferGround",
]
