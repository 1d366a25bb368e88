"""Erasure in a system the portal reaches by SQL: the DPO's dry run before it, one person's
erasure carried out by the manifest's plan (written to the erasure ledger first, kept on the
task after each batch so a retry resumes from it, certified by looking for the person again),
and the people a retention rule removed, erased together in one run.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from django.utils import timezone

from processing.databases.bulk import erase_many
from processing.databases.certify import hash_key, record
from processing.databases.erase import DELETE, KEEP, Plan, PlanRefused, plan_erasure, refind
from processing.databases.manifest import Manifest, ManifestError, parse
from processing.databases.schema import Unreachable, engine_for, reflect
from processing.databases.statements import Batch, execute
from processing.models import Connector, DatabaseManifest, PlatformDatabase, System
from processing.selectors import systems_holding
from subject_requests.choices import Operation, TaskStatus
from subject_requests.models import SubjectRequest, SystemTask
from subject_requests.services.platform_tasks import (
    Outcome,
    first_line,
    identities_from,
    manifest_in_force,
)
from subjects.models import DataSubject


@dataclass(frozen=True)
class Preview:
    """What an erasure would do in one system's database (the DPO's dry run)."""

    system: System
    steps: list[dict[str, Any]]
    error: str = ""


def dry_run(system: System, person: dict[str, Any]) -> Preview:
    """Plan the person's erasure in the system's database without running it: per table, the
    rows and what happens to them; or why it cannot be planned."""
    connected = manifest_in_force(system.pk)
    if connected is None:
        return Preview(system, [], "the system has no database connection or manifest")
    database, version = connected
    identities = identities_from(person)
    if not identities:
        return Preview(system, [], "the person has no e-mail, external id or phone to find")
    engine = engine_for(str(database.url))
    try:
        manifest = parse(version.text)
        with engine.connect() as connection:
            plan = plan_erasure(connection, manifest, reflect(str(engine.url)), identities)
    except ManifestError as exc:
        return Preview(system, [], f"the manifest v{version.version} is invalid: {exc}")
    except (Unreachable, sa.exc.SQLAlchemyError) as exc:
        return Preview(system, [], first_line(exc))
    except PlanRefused as refused:
        return Preview(system, [], f"erasure refused: {refused}")
    finally:
        engine.dispose()
    return Preview(
        system,
        [
            {
                "table": step.table,
                "action": step.action,
                "rows": len(step.keys),
                "columns": [
                    f"{column} ({ERASE_WORDS[how]})" for column, how in step.columns.items()
                ],
                "reason": step.reason,
            }
            for step in plan.steps
        ],
    )


def certificates(request: SubjectRequest) -> list[SystemTask]:
    """The request's erasures carried out by the portal in a system's database: each task's
    evidence is its certificate."""
    return list(
        request.system_tasks.filter(
            operation=Operation.ERASE, status=TaskStatus.DONE, completed_via="database"
        )
        .select_related("system", "subject")
        .order_by("completed_at", "id")
    )


ERASE_WORDS = {"clear": "emptied", "hash": "replaced by a keyed hash", "value": "overwritten"}


def previews_for(person: DataSubject) -> list[Preview]:
    """The dry run of the person's erasure in each active system the portal erases itself."""
    from subject_requests.services.systems import every_category, identifiers_of

    systems = systems_holding(kind=person.kind, categories=every_category())
    return [
        dry_run(system, identifiers_of(person))
        for system in systems
        if system.connector == Connector.DATABASE
    ]


def erase(
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
        entry = record(
            system_id=task.system_id,
            task_id=task.pk,
            manifest_version=version.version,
            plan=plan,
            reason=_reason(task),
        )
        state = {
            "plan": plan.as_json(),
            "done": [],
            "manifest": version.version,
            "ledger": str(entry.uuid),
        }
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
    return Outcome(
        True,
        evidence=_certificate(
            plan,
            version=state["manifest"],
            ledger=str(state.get("ledger", "")),
            by=_instructed_by(task),
            now=now,
        ),
    )


def erase_people(
    task: SystemTask,
    database: PlatformDatabase,
    manifest: Manifest,
    version: DatabaseManifest,
    *,
    now: dt.datetime,
) -> Outcome:
    """The people a purge run removed under one rule, erased in one run (`erase_many`: a plan
    per group of people, each in the erasure ledger before it runs). A rerun finishes what a
    killed one left: the people already erased are no longer found."""
    people = [identities_from(person) for person in task.payload["people"]]
    people = [p for p in people if p]
    url = str(database.url)
    rows: dict[str, int] = {}
    refused: list[str] = []
    left: dict[str, int] = {}

    def recorded(plan: Plan) -> None:
        record(
            system_id=task.system_id,
            task_id=task.pk,
            manifest_version=version.version,
            plan=plan,
            reason=_reason(task),
        )

    engine = engine_for(url)
    try:
        for group in erase_many(
            engine, manifest, reflect(url), people, hash_key=hash_key(), on_plan=recorded
        ):
            for table, n in group.rows.items():
                rows[table] = rows.get(table, 0) + n
            refused.extend(group.refused.values())
            for table, n in group.left.items():
                left[table] = left.get(table, 0) + n
    except (Unreachable, sa.exc.SQLAlchemyError) as exc:
        return Outcome(False, error=first_line(exc))
    finally:
        engine.dispose()
    if refused:
        return Outcome(
            False, error=f"erasure refused for {len(refused)} of {len(people)}: {refused[0]}"
        )
    if left:
        still = ", ".join(f"{table} ({n})" for table, n in sorted(left.items()))
        return Outcome(False, error=f"still found after the erasure: {still}")
    rule = (task.payload.get("retention") or {}).get("name") or task.rule_code
    lines = [
        f"Erased by the portal on {timezone.localtime(now):%d.%m.%Y %H:%M}, following the "
        f"manifest v{version.version}: the {len(people)} people the retention rule “{rule}” "
        "removed from the portal."
    ]
    lines += [f"- {table}: {n} row(s) deleted or changed" for table, n in sorted(rows.items())]
    lines.append(
        "Looked for again by every identity: nothing identifying found. Each group's plan is "
        "in the erasure ledger: made again if the database is restored from an earlier backup."
    )
    return Outcome(True, evidence="\n".join(lines))


def _reason(task: SystemTask) -> str:
    """Why the ledger entry's erasure is made: the request's reference, or what started it."""
    why = task.request.reference if task.request is not None else task.get_cause_display()
    return f"{task.system.name}: task {task.pk}, {why}"


def _instructed_by(task: SystemTask) -> str:
    action = task.action
    user = action.done_by if action is not None else None
    if user is not None:
        return user.get_full_name() or user.get_username()
    return str(task.get_cause_display())


def _keep(task: SystemTask, payload: dict[str, Any], state: dict[str, Any]) -> None:
    payload["database"] = state
    SystemTask.objects.filter(pk=task.pk).update(payload=payload)


def _certificate(plan: Plan, *, version: int, ledger: str, by: str, now: dt.datetime) -> str:
    lines = [
        f"Erased by the portal on {timezone.localtime(now):%d.%m.%Y %H:%M}, following the "
        f"manifest v{version}, on the instruction of {by}:"
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
    if ledger:
        lines.append(
            f"Recorded in the erasure ledger as entry {ledger}: made again if the database is "
            "restored from an earlier backup."
        )
    return "\n".join(lines)
