"""Internals said in the domain's words on the staff pages: an audit
event's details as labelled values instead of a Python dict, a table label (`subjects.demo`)
as the records' name ("Demos"), a language code as the language's name. No page shows a repr."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from core.display import staff_date, staff_datetime


def field_label(key: str) -> str:
    """`period_years` → "Period years"; `subjects.demo` → "Demos"."""
    model_name = records_name(key) if "." in key else ""
    return model_name or str(capfirst(key.replace("_", " ")))


def records_name(label: str) -> str:
    """The plural name of the model behind an `app_label.model` label, or "" if none."""
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return ""
    return str(capfirst(model._meta.verbose_name_plural))


def value_in_words(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.datetime):
        return staff_datetime(value)
    if isinstance(value, dt.date):
        return staff_date(value)
    if isinstance(value, str):
        moment = parse_datetime(value) if "T" in value and len(value) >= 16 else None
        if moment is not None:
            return staff_datetime(moment)
        day = parse_date(value) if len(value) == 10 else None
        return staff_date(day) if day is not None else value
    if isinstance(value, Mapping):
        if not value:
            return "—"
        return "; ".join(f"{field_label(str(k))}: {value_in_words(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set):
        return ", ".join(value_in_words(v) for v in value) if value else "—"
    return str(value)


def details_in_words(details: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """An audit event's details as (label, value) pairs; the names of changed fields are
    said as labels too."""
    pairs = []
    for key, value in (details or {}).items():
        if key == "fields" and isinstance(value, list):
            pairs.append((field_label(key), ", ".join(field_label(str(v)) for v in value) or "—"))
        else:
            pairs.append((field_label(str(key)), value_in_words(value)))
    return pairs


def action_in_words(action: str) -> str:
    """`retention.rule.changed` → "Retention rule changed"."""
    return str(capfirst(action.replace(".", " ").replace("_", " ")))


def target_in_words(target_type: str, target_id: str) -> str:
    """`retention.retentionrule`, `3` → "Retention rule #3"."""
    if not target_type:
        return ""
    try:
        model = apps.get_model(target_type)
    except (LookupError, ValueError):
        name = target_type
    else:
        name = str(capfirst(model._meta.verbose_name))
    return f"{name} #{target_id}" if target_id else name


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES).get(code, code)
