"""A system task the portal carries out itself, on a system connected by SQL: an access
request's question answered by finding the person's rows (kept on the task, `found`, for the
access report's sections from that system), an erasure carried out by the manifest and
certified by looking for the person again (`platform_erasure`), a restriction set and lifted on
the flag column the manifest names. Rectification stays with the system's owner (`handles`).

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

from processing.databases.erase import PlanRefused
from processing.databases.manifest import Manifest, ManifestError, parse
from processing.databases.reach import find, identities_of
from processing.databases.schema import Unreachable, engine_for
from processing.models import DatabaseManifest, PlatformDatabase
from subject_requests.choices import Operation
from subject_requests.models import SystemTask

HANDLED = frozenset({Operation.ACCESS, Operation.ERASE})
RESTRICTING = frozenset({Operation.RESTRICT, Operation.LIFT_RESTRICTION})


@dataclass(frozen=True)
class Outcome:
    ok: bool
    evidence: str = ""
    error: str = ""
    found: dict[str, Any] | None = None


def manifest_in_force(system_id: int) -> tuple[PlatformDatabase, DatabaseManifest] | None:
    database = PlatformDatabase.objects.filter(system_id=system_id).first()
    version = database.manifest() if database is not None else None
    if database is None or version is None:
        return None
    return database, version


def handles(system_id: int, operation: str) -> bool:
    """Whether the portal carries the operation out in the system's database: access and
    erasure always; a restriction where the manifest names a flag column."""
    if operation in HANDLED:
        return True
    if operation not in RESTRICTING:
        return False
    connected = manifest_in_force(system_id)
    if connected is None:
        return False
    try:
        manifest = parse(connected[1].text)
    except ManifestError:
        return False
    return any(t.restrict for t in manifest.tables.values())


def run(task: SystemTask, *, now: dt.datetime | None = None) -> Outcome:
    # The erasure's module builds on this one's outcome and connection: imported when needed.
    from subject_requests.services.platform_erasure import erase, erase_people

    now = now or timezone.now()
    connected = manifest_in_force(task.system_id)
    if connected is None:
        return Outcome(False, error="the system has no database connection or manifest")
    database, version = connected
    try:
        manifest = parse(version.text)
    except ManifestError as exc:
        return Outcome(False, error=f"the manifest v{version.version} is invalid: {exc}")
    if (task.payload or {}).get("people") is not None:
        return erase_people(task, database, manifest, version, now=now)
    identities = _identities(task)
    if not identities:
        return Outcome(False, error="the task names no e-mail, external id or phone to find")
    engine = engine_for(str(database.url))
    try:
        if task.operation == Operation.ACCESS:
            return _access(engine, manifest, version, identities)
        if task.operation in RESTRICTING:
            return _restrict(task, engine, manifest, identities, now=now)
        return erase(task, engine, manifest, version, identities, now=now)
    except (Unreachable, sa.exc.SQLAlchemyError) as exc:
        return Outcome(False, error=first_line(exc))
    except PlanRefused as refused:
        return Outcome(False, error=f"erasure refused: {refused}")
    finally:
        engine.dispose()


def _identities(task: SystemTask) -> dict[str, list[str]]:
    return identities_from((task.payload or {}).get("person") or {})


def identities_from(person: dict[str, Any]) -> dict[str, list[str]]:
    """How the person is found there: their e-mail and the platform's id for them. A work
    phone is often a company's switchboard, shared by colleagues: it finds the person only
    when nothing else can."""
    email = str(person.get("work_email") or "")
    external_id = str(person.get("external_id") or "")
    phone = "" if email or external_id else str(person.get("work_phone") or "")
    return identities_of(email=email, external_id=external_id, phone=phone)


def _access(
    engine: sa.Engine,
    manifest: Manifest,
    version: DatabaseManifest,
    identities: dict[str, list[str]],
) -> Outcome:
    """The person's rows, their personal columns by data category and table: the access
    report's sections from this system. The evidence counts them; the values are in `found`."""
    with engine.connect() as connection:
        found = find(connection, manifest, identities)
    told = found.personal(manifest)
    parts = [
        {
            "category": category,
            "table": table,
            "columns": list(rows[0]),
            "rows": [[_jsonable(value) for value in row.values()] for row in rows],
        }
        for category, tables in told.items()
        for table, rows in tables.items()
    ]
    if not parts:
        return Outcome(
            True,
            evidence="Looked for in the database by the portal: nothing held.",
            found={"manifest": version.version, "parts": []},
        )
    counts: dict[str, int] = {}
    for part in parts:
        table = str(part["table"])
        counts[table] = max(counts.get(table, 0), len(part["rows"]))
    held = ", ".join(f"{table} ({n})" for table, n in counts.items())
    return Outcome(
        True,
        evidence=f"Found in the database by the portal: {held}. The values are in the access "
        "report's sections from this system.",
        found={"manifest": version.version, "parts": parts},
    )


def _jsonable(value: Any) -> Any:
    """A database value as the report and the portability package carry it."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        return f"({len(bytes(value))} bytes)"
    return str(value)


def _restrict(
    task: SystemTask,
    engine: sa.Engine,
    manifest: Manifest,
    identities: dict[str, list[str]],
    *,
    now: dt.datetime,
) -> Outcome:
    """Set (or clear, when lifting) the flag column on the person's rows of each table whose
    manifest names one; one UPDATE per table and chunk of keys."""
    flag = task.operation == Operation.RESTRICT
    with engine.connect() as connection:
        found = find(connection, manifest, identities)
    changed: dict[str, int] = {}
    metadata = sa.MetaData()
    flagged = {n: r for n, r in found.rows.items() if r and manifest.tables[n].restrict}
    with engine.connect() as connection:
        tables = {n: sa.Table(n, metadata, autoload_with=connection) for n in flagged}
    for name, table in tables.items():
        if len(table.primary_key.columns) != 1:
            return Outcome(False, error=f"{name}: a restriction needs a one-column primary key")
    with engine.begin() as connection:  # every table or none
        for name, rows in flagged.items():
            table, column = tables[name], manifest.tables[name].restrict
            primary = [c.name for c in table.primary_key.columns]
            keys = [row[primary[0]] for row in rows]
            changed[name] = 0
            for start in range(0, len(keys), 900):
                chunk = keys[start : start + 900]
                result = connection.execute(
                    sa.update(table).where(table.c[primary[0]].in_(chunk)).values({column: flag})
                )
                changed[name] += int(result.rowcount)
    if not changed:
        return Outcome(True, evidence="Looked for in the database by the portal: nothing held.")
    what = "Restricted" if flag else "Restriction lifted"
    said = ", ".join(
        f"{name} ({n} row(s), {manifest.tables[name].restrict} = {str(flag).lower()})"
        for name, n in changed.items()
    )
    return Outcome(
        True,
        evidence=f"{what} by the portal on {timezone.localtime(now):%d.%m.%Y %H:%M}: {said}.",
    )


def first_line(exc: Exception) -> str:
    return (str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__])[0][
        :250
    ]
