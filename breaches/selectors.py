"""Reads of the breach register: the people a selection finds, the running clocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import transaction

from breaches.clock import Clock
from breaches.models import Breach
from processing.models import System
from subjects.models import DataSubject, DataSubjectQuerySet, Organisation


def people_for_selection(
    *,
    organisation: Organisation | None = None,
    system: System | None = None,
    kind: str = "",
    country: str = "",
) -> DataSubjectQuerySet:
    """The people a breach selection covers; conditions combine (an organisation's people in
    one system). A system holds the people of the kinds it lists (`System.subject_kinds`).
    Everyone whose data is stored counts, those kept for a claim after asking for erasure
    too."""
    people = DataSubject.objects.stored()
    if organisation is not None:
        people = people.filter(organisation=organisation)
    if system is not None:
        people = people.filter(kind__in=list(system.subject_kinds))
    if kind:
        people = people.filter(kind=kind)
    if country:
        people = people.filter(country=country)
    return people


@dataclass(frozen=True)
class RunningClock:
    breach: Breach
    clock: Clock


def running_clocks(*, now: dt.datetime) -> list[RunningClock]:
    """Breaches whose 72 hours are running, the nearest deadline first (one query)."""
    breaches = Breach.objects.clock_running().order_by("aware_at", "id")
    return [RunningClock(breach=b, clock=b.clock(now)) for b in breaches]


# Every DPO page shows the running clocks: kept in the cache, so a page costs no query for
# them; each service that can start or stop a clock drops the entry after its commit.
CLOCKS_CACHE_KEY = "breaches:running-clocks"
CLOCKS_CACHE_SECONDS = 3600


@dataclass(frozen=True)
class ClockLine:
    pk: int
    reference: str
    aware_at: dt.datetime


def running_clock_lines() -> list[ClockLine]:
    lines: list[ClockLine] | None = cache.get(CLOCKS_CACHE_KEY)
    if lines is None:
        lines = [
            ClockLine(pk=b.pk, reference=b.reference, aware_at=b.aware_at)
            for b in Breach.objects.clock_running().order_by("aware_at", "id")
        ]
        cache.set(CLOCKS_CACHE_KEY, lines, CLOCKS_CACHE_SECONDS)
    return lines


def forget_running_clocks() -> None:
    transaction.on_commit(lambda: cache.delete(CLOCKS_CACHE_KEY))


def breach_rows(*, now: dt.datetime) -> list[dict[str, Any]]:
    breaches = Breach.objects.all().order_by("-aware_at", "-id")
    return [{"breach": b, "clock": b.clock(now) if b.clock_running else None} for b in breaches]
