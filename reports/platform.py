"""The access report's sections from the systems the portal reaches by SQL: what it found of
the person in a platform database (`SystemTask.found`, written when it answered the access
question), one section per data category and table, labelled as the manifest in force then
labels them for people. Only the person's rows: the search followed their identities and the
references to their rows, never the other way.

Each section goes into the portability package as the portal's own data does: where a purpose
processing that category stands on consent or a contract (GDPR Art. 20(1)(a)).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.display import format_date
from core.timeutil import legal_date
from processing.databases.manifest import Manifest, ManifestError, parse
from processing.models import DatabaseManifest, DataCategory
from reports.section_types import (
    CATEGORY_LABELS,
    Column,
    Portability,
    ReportSection,
    by_purpose,
)
from reports.values import EMPTY
from subject_requests.choices import Operation, TaskStatus
from subject_requests.models import SystemTask
from subjects.models import DataSubject

# Columns past which a row reads better as a card than as a table's row.
CARD_COLUMNS = 4


def _none(_subject: DataSubject) -> QuerySet[Any]:
    return SystemTask.objects.none()  # the rows come from the task, not a query


def latest_answers(subject: DataSubject) -> list[SystemTask]:
    """Per system, the last access question the portal answered in its database."""
    tasks = (
        SystemTask.objects.filter(
            subject=subject,
            operation=Operation.ACCESS,
            status=TaskStatus.DONE,
            completed_via="database",
            found__isnull=False,
        )
        .select_related("system")
        .order_by("system_id", "-completed_at", "-id")
    )
    latest: dict[int, SystemTask] = {}
    for task in tasks:
        latest.setdefault(task.system_id, task)
    return list(latest.values())


def _manifest(task: SystemTask, version: int) -> Manifest | None:
    text = (
        DatabaseManifest.objects.filter(database__system_id=task.system_id, version=version)
        .values_list("text", flat=True)
        .first()
    )
    try:
        return parse(text) if text else None
    except ManifestError:
        return None


def _cell(value: Any, language: str) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            return format_date(dt.date.fromisoformat(value), language)
        except ValueError:
            pass
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)


def platform_sections(
    subject: DataSubject, *, language: str, context: Portability
) -> list[tuple[ReportSection, list[str], list[list[str]], list[dict[str, Any]], bool, str]]:
    """(section, headers, rows, raw rows, portable, why) per category and table of each
    system's last answer."""
    names = dict(DataCategory.objects.values_list("code", "name"))
    out = []
    for task in latest_answers(subject):
        found: dict[str, Any] = task.found or {}
        manifest = _manifest(task, int(found.get("manifest") or 0))
        day = format_date(legal_date(task.completed_at or task.created_at), language)
        for part in found.get("parts", []):
            spec = manifest.tables.get(part["table"]) if manifest else None
            table_label = spec.label_in(language) if spec else part["table"].replace("_", " ")
            columns = part["columns"]
            labels = [
                spec.columns[c].label_in(language)
                if spec and c in spec.columns
                else c.replace("_", " ")
                for c in columns
            ]
            category = part["category"]
            section = ReportSection(
                code=f"platform.{task.system_id}.{part['table']}.{category}",
                model_label="processing.platformdatabase",
                title=_("%(system)s: %(what)s")
                % {"system": task.system.name, "what": capfirst(table_label)},
                category=category,
                category_name=""
                if category in CATEGORY_LABELS
                else _(names.get(category, category)),
                source=_("Found in %(system)s by the portal on %(day)s")
                % {"system": task.system.name, "day": day},
                columns=tuple(Column(c, label) for c, label in zip(columns, labels, strict=True)),
                rows=_none,
                portable=by_purpose,
                layout="cards" if len(columns) > CARD_COLUMNS else "table",
            )
            decision = by_purpose(context, category)
            out.append(
                (
                    section,
                    [capfirst(label) for label in labels],
                    [[_cell(v, language) for v in row] for row in part["rows"]],
                    [dict(zip(columns, row, strict=True)) for row in part["rows"]],
                    decision.portable,
                    str(decision.reason),
                )
            )
    return out


FOUND_LABEL = gettext_lazy("what the portal found there")


def describe_found(task: SystemTask) -> str:
    """The system tasks section's word on the rows found: where in the report they are."""
    parts = (task.found or {}).get("parts", [])
    if not task.found:
        return ""
    if not parts:
        return _("Nothing about you.")
    per_table: dict[str, int] = {}
    for part in parts:  # a table's rows appear once per category they hold
        per_table[part["table"]] = max(per_table.get(part["table"], 0), len(part["rows"]))
    rows = sum(per_table.values())
    return _("%(rows)s record(s), shown in the sections from %(system)s.") % {
        "rows": rows,
        "system": task.system.name,
    }
