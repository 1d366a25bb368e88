"""This app's records as the retention engine sees them, declared through the
registry exactly as every other app declares its own (autodiscovered by `retention`).

Each `expired` is the set-based form of `anchor + period < as_of`: it compares the anchor
columns with `purge_cutoff(as_of, period)`, which is exact (tests prove it against
`anchor_of` at 29 February and 31 December). What each model loses is in
`subjects.anonymisation`.

The package is imported by the retention app's autodiscovery; importing it registers the
record types and the hold source.
"""

from __future__ import annotations

from subjects.retention.people import (
    ErasureRequestedData,
    FormerClientData,
    FormerUserData,
    ProspectData,
    PurgeHolds,
    live_claim_of_person,
)
from subjects.retention.records import ClaimData, InvoiceData, TrialContentData

__all__ = [
    "ClaimData",
    "ErasureRequestedData",
    "FormerClientData",
    "FormerUserData",
    "InvoiceData",
    "ProspectData",
    "PurgeHolds",
    "TrialContentData",
    "live_claim_of_person",
]
