"""Writes of the retention app: rule changes and the purge. Erasure on request belongs to
the app that stores the people (`subjects.services.erase_subjects`)."""

from __future__ import annotations

from retention.services.purge import PurgeRefused, run_purge

__all__ = ["PurgeRefused", "run_purge"]
