"""The heartbeat of a claimed job: whether the worker that claimed a row is still alive.

A long job (an answer document, an erasure in a system's database) claims its row with a
conditional UPDATE and then beats: a thread writes the time on the row every `BEAT_EVERY`
while the job runs. The broker cannot tell a running task from a dead one for hours (its
visibility timeout is above the longest task's hard limit, `privacyops.queues`); the row can,
within `STALE_AFTER`: a SIGKILLed or vanished worker stops beating with it, and a claim whose
last beat is older is stale — the DPO may take the work over, and a second delivery of the
same message claims it again. A live claim is never taken: at most one worker does the work.

The thread beats whatever the job is doing (a page layout, a slow statement): the hard time
limit, not the heartbeat, ends a job that hangs, and its beats end with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)

# Four beats may be missed (a busy database, a pause) before a live job looks stopped.
BEAT_EVERY = dt.timedelta(seconds=20)
# A claim whose last beat is older than this belongs to a worker that stopped: the DPO is
# offered to take it over, and a redelivered message claims it.
STALE_AFTER = dt.timedelta(minutes=2)


def stale_before(now: dt.datetime) -> dt.datetime:
    """A claim whose last beat is before this instant is stale."""
    return now - STALE_AFTER


def is_stale(heartbeat_at: dt.datetime | None, *, now: dt.datetime) -> bool:
    """Whether a claim beaten last at `heartbeat_at` has stopped (no beat at all: yes)."""
    return heartbeat_at is None or heartbeat_at < stale_before(now)


@contextmanager
def beating(beat: Callable[[], bool]) -> Iterator[None]:
    """Call `beat` every `BEAT_EVERY` in a thread of its own while the block runs. `beat`
    returns False once the claim is no longer this worker's (taken over): the thread stops."""
    stop = threading.Event()
    every = BEAT_EVERY.total_seconds()

    def run() -> None:
        try:
            while not stop.wait(every):
                try:
                    if not beat():
                        return
                except DatabaseError:
                    # A missed beat; the next one may get through. Four missed make the
                    # claim stale, which is the truth about a worker that cannot reach the
                    # database.
                    logger.warning("a heartbeat could not be written", exc_info=True)
        finally:
            # The thread's own connection, opened by its first beat.
            connections.close_all()

    thread = threading.Thread(target=run, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # A beat blocked on the row (the caller's transaction holds it) must not hold the job
        # up: it writes nothing once the claim is gone, and ends by itself.
        thread.join(timeout=5)
