"""What was done on a person's requests, and what our systems were asked, in the reader's
words: the access report shows these instead of the stored structures.
Every value of the stored record is still given, labelled as the person knows it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from processing.models import DataCategory, Purpose
from subject_requests.choices import ActionKind
from subject_requests.models import RightAction, SystemTask
from subjects.erasure_preview import ERASED_LABELS, KeptItem
from subjects.models import DataSubject, RestrictionGround, SubjectKind

# What a system is given to find the person, labelled as on the person's own record.
IDENTIFIERS = ("first_name", "last_name", "work_email", "work_phone", "organisation")


def field_label(name: str) -> str:
    return str(getattr(DataSubject._meta.get_field(name), "verbose_name", name))


def _categories(codes: list[str]) -> str:
    names = dict(DataCategory.objects.values_list("code", "name"))
    return ", ".join(_(names[code]) for code in codes if code in names)


def _changes(changes: dict[str, list[Any]]) -> list[str]:
    return [
        _("%(field)s from “%(before)s” to “%(after)s”")
        % {"field": label, "before": before or "—", "after": after or "—"}
        for label, before, after in change_items(changes)
    ]


def _ground(ground: str) -> str:
    return str(RestrictionGround(ground).label) if ground in RestrictionGround.values else ""


def describe_action(action: RightAction) -> str:
    """What the action did to the person's data, in sentences."""
    details: dict[str, Any] = action.details or {}
    lines: list[str] = []
    if action.kind == ActionKind.ERASURE:
        erased = [
            str(ERASED_LABELS[i["code"]])
            for i in details.get("erased", [])
            if i["code"] in ERASED_LABELS
        ]
        if erased:
            lines.append(_("Erased: %(what)s.") % {"what": "; ".join(erased)})
        for item in details.get("kept", []):
            kept = KeptItem.from_json(item)
            lines.append(
                _("Kept: %(what)s (%(count)s), until %(until)s: %(why)s.")
                % {
                    "what": kept.label,
                    "count": kept.count,
                    "until": kept.until_text,
                    "why": str(kept.reason).rstrip("."),
                }
            )
        if details.get("everything_kept"):
            lines.append(_("Everything else was kept for the reason above."))
    elif action.kind == ActionKind.RECTIFICATION:
        changes = _changes(details.get("changes", {}))
        if changes:
            lines.append(_("Corrected: %(changes)s.") % {"changes": "; ".join(changes)})
    elif action.kind in (ActionKind.RESTRICTION, ActionKind.RESTRICTION_LIFT):
        ground = _ground(details.get("ground", ""))
        if ground:
            lines.append(_("Ground: %(ground)s.") % {"ground": ground})
    elif action.kind == ActionKind.OBJECTION:
        names = dict(Purpose.objects.values_list("code", "name"))
        purposes = [_(names[c]) for c in details.get("purposes", []) if c in names]
        if purposes:
            lines.append(_("Objected to: %(purposes)s.") % {"purposes": ", ".join(purposes)})
    return "\n".join(lines)


def identifier_items(person: dict[str, Any]) -> list[tuple[str, str]]:
    """What a task gives a system to find the person, as (label, value) pairs in the active
    language: the task's page and the person's report say it the same way."""
    items = [(field_label(key), str(person[key])) for key in IDENTIFIERS if person.get(key)]
    if code := person.get("organisation_registry_code"):
        items.append((_("company registry code"), str(code)))
    if person.get("kind") in SubjectKind.values:
        items.append((_("how we know you"), str(SubjectKind(person["kind"]).label)))
    return items


def change_items(changes: dict[str, list[Any]]) -> list[tuple[str, Any, Any]]:
    """A rectification's (field label, before, after) rows."""
    return [(field_label(name), before, after) for name, (before, after) in changes.items()]


def describe_task(task: SystemTask) -> str:
    """What the system or recipient was given: the details that let it find the person, the
    kinds of data concerned, and the corrections or the restriction's ground it had to apply."""
    payload: dict[str, Any] = task.payload or {}
    found = [f"{label}: {value}" for label, value in identifier_items(payload.get("person") or {})]
    lines = []
    if found:
        lines.append(_("To find you: %(details)s.") % {"details": "; ".join(found)})
    categories = _categories(list(payload.get("categories") or []))
    if categories:
        lines.append(_("Data concerned: %(categories)s.") % {"categories": categories})
    changes = _changes(payload.get("changes") or {})
    if changes:
        lines.append(_("Corrections to make: %(changes)s.") % {"changes": "; ".join(changes)})
    ground = _ground(str(payload.get("ground") or ""))
    if ground:
        lines.append(_("Ground of the restriction: %(ground)s.") % {"ground": ground})
    return "\n".join(lines)
