"""The purge as the tests run it: one place, so every test runs it as the nightly job does."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from retention.models import PurgeRun
from retention.services.purge import run_purge

TALLINN = ZoneInfo("Europe/Tallinn")


def purge(as_of: dt.date) -> PurgeRun:
    """Run the purge as of a day, at 02:00 Tallinn time that day (when the beat schedule
    runs it), on a frozen clock; the run must succeed."""
    with time_machine.travel(dt.datetime.combine(as_of, dt.time(2), tzinfo=TALLINN), tick=False):
        run = run_purge(as_of=as_of, dry_run=False, actor="test")
    assert run.status == "succeeded", run.note
    return run
