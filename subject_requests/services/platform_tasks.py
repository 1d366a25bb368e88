"""A system task the portal carries out itself, on a system connected by SQL (issue 23): an
access request's question answered by finding the person's rows, an erasure carried out by
the manifest and certified by looking for the person again. Other operations (rectification,
restriction) stay with the system's owner until the manifest says how (`HANDLED`).

The erasure's plan (the rows' keys) and the batches committed are kept in the task's
encrypted payload after each batch, so a retry after a crash resumes from the plan, even once
the person can no longer be found. The certificate — tables, rows, what was done, the
re-find's answer, when, the manifest's version — is the task's evidence, filed with the
request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from django.utils import timezone
from django.utils.crypto import salted_hmac

from processing.databases.erase import (
    DELETE,
    KEEP,
    Batch,
    Plan,
    PlanRefused,
    execute,
    plan_erasure,
    refind,
)
from processing.databases.manifest import Manifest, ManifestError, parse
from processing.databases.reach import find, identities_of
from processing.databases.schema import Unreachable, reflect
from processing.models import DatabaseManifest, DataCategory, PlatformDatabase
from subject_requests.choices import Operation
from subject_requests.models import SystemTask

HANDLED = frozenset({Operation.ACCESS, Operation.ERASE})


@dataclass(frozen=True)
class Outcome:
    ok: bool
    evidence: str = ""
    error: str = ""


def hash_key() -> bytes:
    """The key of the keyed hashes written over erased identifiers: derived from the
    portal's secret, so the same value hashes alike across runs (rows stay joinable)."""
    return salted_hmac("processing.databases.erase", "platform-identifiers").digest()


def run(task: SystemTask, *, now: dt.datetime | None = None) -> Outcome:
    now = now or timezone.now()
    database = PlatformDatabase.objects.filter(system_id=task.system_id).first()
    version = database.manifest() if database is not None else None
    if database is None or version is None:
        return Outcome(False, error="the system has no database connection or manifest")
    try:
        manifest = parse(version.text)
    except ManifestError as exc:
        return Outcome(False, error=f"the manifest v{version.version} is invalid: {exc}")
    identities = _identities(task)
    if not identities:
        return Outcome(False, error="the task names no e-mail, external id or phone to find")
    engine = sa.create_engine(str(database.url))
    try:
        if task.operation == Operation.ACCESS:
            return _access(engine, manifest, identities)
        return _erase(task, engine, manifest, version, identities, now=now)
    except (Unreachable, sa.exc.SQLAlchemyError) as exc:
        return Outcome(False, error=_first_line(exc))
    except PlanRefused as refused:
        return Outcome(False, error=f"erasure refused: {refused}")
    finally:
        engine.dispose()


def _identities(task: SystemTask) -> dict[str, list[str]]:
    """How the person is found there: their e-mail and the platform's id for them. A work
    phone is often a company's switchboard, shared by colleagues: it finds the person only
    when nothing else can."""
    person = (task.payload or {}).get("person") or {}
    email = str(person.get("work_email") or "")
    external_id = str(person.get("external_id") or "")
    phone = "" if email or external_id else str(person.get("work_phone") or "")
    return identities_of(email=email, external_id=external_id, phone=phone)


def _access(engine: sa.Engine, manifest: Manifest, identities: dict[str, list[str]]) -> Outcome:
    with engine.connect() as connection:
        found = find(connection, manifest, identities)
    told = found.personal(manifest)
    if not told:
        return Outcome(True, evidence="Looked for in the database by the portal: nothing held.")
    names = dict(DataCategory.objects.values_list("code", "name"))
    lines = ["Found in the database by the portal:"]
    for category, tables in told.items():
        for table, rows in tables.items():
            values = "; ".join(
                ", ".join(
                    f"{column.replace('_', ' ')}: {value}"
                    for column, value in row.items()
                    if value not in (None, "")
                )
                for row in rows
            )
            lines.append(f"- {names.get(category, category)}, {table} ({len(rows)}): {values}")
    return Outcome(True, evidence="\n".join(lines))


def _erase(
    task: SystemTask,
    engine: sa.Engine,
    manifest: Manifest,
    version: DatabaseManifest,
    identities: dict[str, list[str]],
    *,
    now: dt.datetime,
) -> Outcome:
    payload: dict[str, Any] = dict(task.payload or {})
    state = dict(payload.get("database") or {})
    if "plan" in state:
        plan = Plan.from_json(state["plan"])
    else:
        with engine.connect() as connection:
            plan = plan_erasure(connection, manifest, reflect(str(engine.url)), identities)
        state = {"plan": plan.as_json(), "done": [], "manifest": version.version}
        _keep(task, payload, state)
    done = {(table, index) for table, index in state["done"]}

    def committed(batch: Batch) -> None:
        state["done"].append([batch.table, batch.index])
        _keep(task, payload, state)

    execute(engine, plan, hash_key=hash_key(), done=done, on_done=committed)
    with engine.connect() as connection:
        left = refind(connection, manifest, identities)
    if left:
        still = ", ".join(f"{table} ({n})" for table, n in sorted(left.items()))
        return Outcome(False, error=f"still found after the erasure: {still}")
    return Outcome(True, evidence=_certificate(plan, version=state["manifest"], now=now))


def _keep(task: SystemTask, payload: dict[str, Any], state: dict[str, Any]) -> None:
    payload["database"] = state
    SystemTask.objects.filter(pk=task.pk).update(payload=payload)


def _certificate(plan: Plan, *, version: int, now: dt.datetime) -> str:
    lines = [
        f"Erased by the portal on {timezone.localtime(now):%d.%m.%Y %H:%M}, following the "
        f"manifest v{version}:"
    ]
    for step in plan.steps:
        if step.action == DELETE:
            lines.append(f"- {step.table}: {len(step.keys)} row(s) deleted")
        elif step.action == KEEP:
            lines.append(f"- {step.table}: {len(step.keys)} row(s) kept: {step.reason}")
        else:
            changed = ", ".join(f"{c} {how}" for c, how in sorted(step.columns.items()))
            lines.append(f"- {step.table}: {len(step.keys)} row(s) changed ({changed})")
    lines.append("Looked for again by every identity: nothing identifying found.")
    return "\n".join(lines)


def _first_line(exc: Exception) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0][
        :250
    ]
