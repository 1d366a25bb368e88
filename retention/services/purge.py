"""The purge: every rule in force, as of a legal day, set-based, in bounded batches.

Safe to kill: each batch is one transaction holding its erasure ledger entry (written before
the statements, `retention.ledger`), its UPDATE/DELETE statements, its `PurgeBatch` log row
and the run's counters, so the log never claims more or less than the data shows. Rows
already anonymised or deleted no longer match a rule's `pending` predicate, so a rerun after
a crash does only what is left and never touches a row twice.

One at a time: on PostgreSQL a session advisory lock (released by the server when a killed
process's connection drops); on every database a running-run marker (a partial unique index
allows one) with a heartbeat. Holding the advisory lock proves a running marker belongs to a
dead process, so it is taken over at once; without advisory locks (SQLite) a marker is taken
over once its heartbeat is older than `PURGE_STALE_AFTER_SECONDS`. A connection can outlive
its process (a host that vanished leaves the server waiting for TCP keepalive, for hours), so
on PostgreSQL, once the running run's heartbeat is that stale, a session that holds the lock
and has sent no statement for `SILENT_SECONDS` is ended and the run taken over too. A run
that finds the purge taken is skipped (`PurgeRunStatus.SKIPPED`, exit status 75 of
`manage.py purge`), and its note says from when a stalled run will be taken over.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.audit import Actor, record_event
from core.display import staff_datetime
from core.locks import try_advisory_lock
from core.timeutil import legal_today
from retention import hooks
from retention.ledger import record_erasure
from retention.models import (
    ErasureSource,
    PurgeBatch,
    PurgeRun,
    PurgeRunStatus,
    RetentionRule,
    id_list,
)
from retention.registry import RecordType, registry

# Rows of the primary model per batch. Measured on PostgreSQL (bench/purge.py, 100 000
# expired prospects): 20 000 prospects with their records take ~1 s per batch, so a kill
# loses at most that much work and memory holds 20 000 ids; each batch's own statements
# (its selection, the ledger, the log row, the commit) cost ~0.15 s, and at 5 000 a batch
# that made the purge 1.55 times the raw SQL, at 20 000 1.3 times (no gain beyond). SQLite
# binds each id of a statement separately, at most 32 766: 5 000 there.
BATCH_SIZE = 20_000
SQLITE_BATCH_SIZE = 5_000

# pg_try_advisory_lock key: "PURGE" in ASCII, unique to this job.
ADVISORY_LOCK_KEY = 0x5055524745

SYSTEM_ACTOR = "nightly-purge"

# A live run sends a statement every fraction of a second (a batch takes ~0.15 s): a session
# that holds the lock and sent none for this long is not working (capped by the stale limit).
SILENT_SECONDS = 30

logger = logging.getLogger(__name__)


class PurgeRefused(ValueError):
    """A purge that must not run as asked (e.g. a real purge as of a future day)."""


def default_batch_size() -> int:
    """Primary records per batch on this database (see BATCH_SIZE)."""
    return BATCH_SIZE if connection.vendor == "postgresql" else SQLITE_BATCH_SIZE


def rules_in_purge_order() -> list[RetentionRule]:
    """Rules in force, in their record types' purge order (see `RecordType.purge_order`)."""
    rules = [r for r in RetentionRule.objects.in_force() if r.record_type in registry]
    return sorted(rules, key=lambda r: (registry.get(r.record_type).purge_order, r.code))


def run_purge(
    *,
    as_of: dt.date,
    dry_run: bool,
    actor: Actor,
    now: dt.datetime | None = None,
    batch_size: int | None = None,
) -> PurgeRun:
    """Delete or anonymise what every rule in force has made due as of `as_of`."""
    now = now or timezone.now()
    if batch_size is None:
        batch_size = default_batch_size()
    if as_of > legal_today(now) and not dry_run:
        raise PurgeRefused(
            f"A purge as of {as_of:%Y-%m-%d} is in the future: only a dry run may look ahead."
        )
    if dry_run:
        return _dry_run(as_of=as_of, actor=actor)
    with _purge_lock(now=now) as locked:
        if not locked:
            return _skipped(as_of=as_of, actor=actor)
        run = _claim_marker(as_of=as_of, actor=actor, lock_held=connection.vendor == "postgresql")
        if run.status == PurgeRunStatus.SKIPPED:
            return run
        _crash_point("claimed")
        try:
            for rule in rules_in_purge_order():
                _purge_rule(run, rule, batch_size=batch_size)
            _crash_point("before-finish")
        except BaseException as exc:
            _close(run, status=PurgeRunStatus.FAILED, note=f"failed: {type(exc).__name__}")
            raise
        _close(run, status=PurgeRunStatus.SUCCEEDED, note="")
    run.refresh_from_db()
    return run


def _purge_rule(run: PurgeRun, rule: RetentionRule, *, batch_size: int) -> None:
    record_type = registry.get(rule.record_type)
    last_id = 0
    entry = run.counts.setdefault(rule.code, {"records": 0, "rows": {}})
    while True:
        with transaction.atomic():
            due = record_type.due(period=rule.period, action=rule.action, as_of=run.as_of)
            ids, people = _next_batch(record_type, due.filter(pk__gt=last_id), batch_size)
            if not ids:
                break
            now = timezone.now()
            # The ledger first: a restored backup replays the batch from it.
            record_erasure(
                source=ErasureSource.PURGE,
                record_type=rule.record_type,
                action=rule.action,
                ids=ids,
                reason=rule.legal_reference,
                rule_code=rule.code,
                purge_run=run.pk,
                now=now,
            )
            if people:
                for before in hooks.before_batch_purged:
                    before(run=run, rule=rule, subject_ids=people)
            applied = record_type.apply(ids, action=rule.action, now=now)
            _crash_point("in-batch")
            rows = sum(applied.counts.values())
            PurgeBatch.objects.create(
                run=run,
                rule=rule,
                rule_code=rule.code,
                record_type=rule.record_type,
                action=rule.action,
                counts=applied.counts,
                rows=rows,
                object_ids=id_list(ids),
                subject_ids=id_list(people),
                kept_ids=id_list(applied.kept_ids),
            )
            entry["records"] += len(ids)
            for label, n in applied.counts.items():
                entry["rows"][label] = entry["rows"].get(label, 0) + n
            run.total += len(ids)
            run.heartbeat_at = timezone.now()
            PurgeRun.objects.filter(pk=run.pk).update(
                counts=run.counts, total=run.total, heartbeat_at=run.heartbeat_at
            )
        _crash_point("after-batch")
        last_id = ids[-1]
    _crash_point("before-summary")
    with transaction.atomic():
        _summarise(run, rule.code, interrupted=False)
        PurgeRun.objects.filter(pk=run.pk).update(
            counts=run.counts, summarised_rules=run.summarised_rules, heartbeat_at=timezone.now()
        )


def _next_batch(record_type: RecordType, due: Any, size: int) -> tuple[list[int], list[int]]:
    """The next batch's primary ids, in order, and the people they belong to (sorted, each
    once; the ids themselves when the records are the people)."""
    due = due.order_by("pk")
    if record_type.subject_path in (None, "pk"):
        ids = list(due.values_list("pk", flat=True)[:size])
        return ids, ids if record_type.subject_path == "pk" else []
    rows = list(due.values_list("pk", record_type.subject_path)[:size])
    return [pk for pk, _ in rows], sorted({s for _, s in rows if s is not None})


def _summarise(run: PurgeRun, rule_code: str, *, interrupted: bool) -> None:
    """One audit summary per rule per run (ids are in the batch log, not the audit log)."""
    if rule_code in run.summarised_rules:
        return
    entry = run.counts.get(rule_code, {"records": 0, "rows": {}})
    rule = RetentionRule.objects.filter(code=rule_code).first()
    record_event(
        action="retention.purge.rule",
        actor=run.actor if run.actor_id else (run.actor_label or SYSTEM_ACTOR),
        target=rule,
        target_type="retention.retentionrule",
        details={
            "run": run.pk,
            "rule": rule_code,
            "as_of": run.as_of.isoformat(),
            "records": entry["records"],
            "rows": entry["rows"],
            "interrupted": interrupted,
        },
    )
    run.summarised_rules = [*run.summarised_rules, rule_code]
    if entry["records"] and rule is not None:
        # The systems outside the portal hear of what the rule removed (once per rule and run).
        for hook in hooks.after_rule_purged:
            hook(run=run, rule=rule, records=entry["records"])


def _close(run: PurgeRun, *, status: str, note: str) -> None:
    with transaction.atomic():
        run.refresh_from_db()
        if run.status != PurgeRunStatus.RUNNING:
            return  # already taken over by a later run
        for code in run.counts:
            _summarise(run, code, interrupted=status != PurgeRunStatus.SUCCEEDED)
        run.status = status
        run.note = note[:300]
        run.finished_at = run.heartbeat_at = timezone.now()
        run.save(
            update_fields=["status", "note", "finished_at", "heartbeat_at", "summarised_rules"]
        )
        record_event(
            action=f"retention.purge.{status}",
            actor=run.actor if run.actor_id else (run.actor_label or SYSTEM_ACTOR),
            target=run,
            details={"as_of": run.as_of.isoformat(), "records": run.total, "note": run.note},
        )


def _claim_marker(*, as_of: dt.date, actor: Actor, lock_held: bool) -> PurgeRun:
    now = timezone.now()
    stale_before = now - dt.timedelta(seconds=settings.PURGE_STALE_AFTER_SECONDS)
    try:
        with transaction.atomic():
            for old in PurgeRun.objects.select_for_update().running():
                if not lock_held and old.heartbeat_at >= stale_before:
                    return _skipped(as_of=as_of, actor=actor)
                _close(old, status=PurgeRunStatus.FAILED, note="interrupted; taken over")
            run = PurgeRun.objects.create(
                status=PurgeRunStatus.RUNNING, as_of=as_of, **_actor_fields(actor)
            )
    except IntegrityError:
        # Another process created its marker between our check and our insert.
        return _skipped(as_of=as_of, actor=actor)
    return run


def _takeover_at(run: PurgeRun) -> dt.datetime:
    """From when a later run takes `run` over if its heartbeat stays where it is."""
    return run.heartbeat_at + dt.timedelta(seconds=settings.PURGE_STALE_AFTER_SECONDS)


def _busy_note() -> str:
    """Why a run was skipped, and from when a stalled run will be taken over."""
    running = PurgeRun.objects.running().order_by("pk").first()
    if running is None:  # PostgreSQL: a session holds the lock, no run is recorded yet
        minutes = math.ceil(settings.PURGE_STALE_AFTER_SECONDS / 60)
        return (
            "Another purge holds the lock and has recorded no run yet. If it has stopped, a "
            f"run {minutes} minutes after its last statement takes it over."
        )
    # Shown to the minute, rounded up: a run at the time shown takes a stalled run over.
    seconds = math.ceil(_takeover_at(running).timestamp() / 60) * 60
    return (
        f"Purge #{running.pk} is running (last heartbeat "
        f"{staff_datetime(running.heartbeat_at)}). If it has stopped, a run from "
        f"{staff_datetime(dt.datetime.fromtimestamp(seconds, tz=dt.UTC))} takes it over."
    )


def _skipped(*, as_of: dt.date, actor: Actor) -> PurgeRun:
    now = timezone.now()
    note = _busy_note()
    run = PurgeRun.objects.create(
        status=PurgeRunStatus.SKIPPED,
        as_of=as_of,
        finished_at=now,
        note=note,
        **_actor_fields(actor),
    )
    record_event(
        action="retention.purge.skipped",
        actor=actor or SYSTEM_ACTOR,
        target=run,
        details={"as_of": as_of.isoformat(), "note": note},
    )
    return run


def _dry_run(*, as_of: dt.date, actor: Actor) -> PurgeRun:
    counts: dict[str, Any] = {}
    total = 0
    for rule in rules_in_purge_order():
        due = registry.get(rule.record_type).due(
            period=rule.period, action=rule.action, as_of=as_of
        )
        records = due.count()
        counts[rule.code] = {"records": records, "rows": {}}
        total += records
    return PurgeRun.objects.create(
        status=PurgeRunStatus.SUCCEEDED,
        as_of=as_of,
        dry_run=True,
        counts=counts,
        total=total,
        finished_at=timezone.now(),
        **_actor_fields(actor),
    )


def _actor_fields(actor: Actor) -> dict[str, Any]:
    if isinstance(actor, str) or actor is None:
        return {"actor": None, "actor_label": actor or SYSTEM_ACTOR}
    if getattr(actor, "is_authenticated", False):
        return {"actor": actor, "actor_label": ""}
    return {"actor": None, "actor_label": "anonymous"}


@contextmanager
def _purge_lock(*, now: dt.datetime) -> Iterator[bool]:
    """The purge's advisory lock for the block (True), or False while another run holds it;
    taken over from a session gone silent for a stalled run (see the module's docstring)."""
    with try_advisory_lock(ADVISORY_LOCK_KEY) as locked:
        if locked or not _ended_silent_holder(now=now):
            with _without_jit():
                yield locked
            return
    with try_advisory_lock(ADVISORY_LOCK_KEY) as locked, _without_jit():
        yield locked


def _ended_silent_holder(*, now: dt.datetime) -> bool:
    """End the sessions that hold the purge's lock in this database and sent no statement for
    `SILENT_SECONDS`, when the running run's heartbeat is stale: a dead or hung run (a kill is
    what every batch is built to survive). The application role may end its own sessions.
    Returns whether one was ended."""
    if connection.vendor != "postgresql":
        return False
    silent = min(SILENT_SECONDS, settings.PURGE_STALE_AFTER_SECONDS)
    if not PurgeRun.objects.running().exists():
        # Stopped between taking the lock and recording its run: no heartbeat to go by.
        silent = settings.PURGE_STALE_AFTER_SECONDS
    elif not PurgeRun.objects.stale(now=now).exists():
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT locks.pid, pg_terminate_backend(locks.pid, 10000)
            FROM pg_locks locks JOIN pg_stat_activity activity ON activity.pid = locks.pid
            WHERE locks.locktype = 'advisory' AND locks.granted AND locks.objsubid = 1
              AND locks.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND locks.classid = CAST(%s AS oid) AND locks.objid = CAST(%s AS oid)
              AND activity.state_change < now() - make_interval(secs => %s)
            """,
            [ADVISORY_LOCK_KEY >> 32, ADVISORY_LOCK_KEY & 0xFFFFFFFF, silent],
        )
        ended = [pid for pid, done in cursor.fetchall() if done]
    if ended:
        logger.warning("purge: ended the silent session(s) %s that held the purge's lock", ended)
    return bool(ended)


@contextmanager
def _without_jit() -> Iterator[None]:
    """The batch queries are short but look costly to the planner, so PostgreSQL would
    JIT-compile each one: ~0.7 s per batch measured, more than the batch's own work."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")


# --- crash points for the kill-and-rerun test -----------------------------------------------
_crash_counts: dict[str, int] = {}


def _crash_point(name: str) -> None:
    """`PRIVACYOPS_PURGE_KILL_AT=in-batch:3` SIGKILLs this process the 3rd time it passes
    the point `in-batch`: the test of "safe to kill" kills the real command, not a mock."""
    spec = os.environ.get("PRIVACYOPS_PURGE_KILL_AT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _crash_counts[name] = _crash_counts.get(name, 0) + 1
    if _crash_counts[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
