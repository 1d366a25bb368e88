"""Writes of the retention app: rule changes, the purge, anonymisation on request."""

from __future__ import annotations

from retention.services.anonymise import (
    ErasureOutcome,
    SubjectsOnLegalHold,
    anonymise_subjects,
    erase_subjects,
)
from retention.services.purge import PurgeRefused, run_purge

__all__ = [
    "ErasureOutcome",
    "PurgeRefused",
    "SubjectsOnLegalHold",
    "anonymise_subjects",
    "erase_subjects",
    "run_purge",
]
