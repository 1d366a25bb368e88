"""A record's values in words (the access report, the package's CSV) and as data (its JSON),
in the reader's language: the one place cells are formatted."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from core.display import format_date, format_moment
from core.pdf import EmbeddedFile
from core.timeutil import legal_zone
from reports.section_types import Column

# A cell with nothing in it.
EMPTY = "—"


def _attr(row: Any, path: str) -> Any:
    value = row
    for part in path.split("."):
        if value is None:
            return None
        value = getattr(value, part)
    return value


Attach = Callable[[EmbeddedFile], object]


def format_value(row: Any, column: Column, language: str, attach: Attach | None = None) -> str:
    """One cell in words: the same for the PDF and the CSV files of the package. A file is
    handed to `attach` (to travel inside the PDF) and named in the cell."""
    value = _attr(row, column.field)
    if column.format == "choice":
        return _choice_label(row, column, value)
    if value is None or value == "":
        return EMPTY
    if column.format == "words" and column.words is not None:
        return column.words(row) or EMPTY
    if column.format == "date":
        return format_date(value, language)
    if column.format == "datetime":
        return format_moment(value, language)
    if column.format == "json":
        if isinstance(value, dict):
            return "; ".join(f"{k}: {v}" for k, v in value.items())
        return json.dumps(value, ensure_ascii=False)
    if column.format == "money":
        return f"{value} {getattr(row, 'currency', '')}".strip()
    if column.format not in ("photo", "file", "described"):
        return str(value)
    size = f"{len(bytes(value)):,}"
    if column.format == "photo":
        return _("shown above (%(size)s bytes)") % {"size": size}
    if column.format == "file":
        own_name = getattr(row, column.name_field, "") if column.name_field else ""
        name = f"{row._meta.model_name}-{row.pk}-{_safe_name(own_name or column.field)}"
        if attach is not None:
            attach(EmbeddedFile(name=name, content=bytes(value)))
        return _("attached to this PDF as “%(name)s” (%(size)s bytes)") % {
            "name": name,
            "size": size,
        }
    return _("a document of %(size)s bytes") % {"size": size}


def _choice_label(row: Any, column: Column, value: Any) -> str:
    if value in (None, ""):
        return "—"
    owner = _attr(row, column.field.rsplit(".", 1)[0]) if "." in column.field else row
    field = owner._meta.get_field(column.field.split(".")[-1])
    return _choices_of(field).get(str(value), str(value))


def _choices_of(field: Any) -> dict[str, str]:
    """A field's choices in the active language, translated once per report (a label per
    cell cost a third of a busy report's time)."""
    key = (id(field), translation.get_language())
    if key not in _CHOICES:
        _CHOICES[key] = {str(k): str(label) for k, label in field.flatchoices}
    return _CHOICES[key]


_CHOICES: dict[tuple[int, str | None], dict[str, str]] = {}


def _safe_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)[:60]


def raw_value(row: Any, column: Column) -> Any:
    """A cell as data (JSON-ready): dates in ISO 8601, files by size."""
    value = _attr(row, column.field)
    if isinstance(value, dt.datetime):
        return value.astimezone(legal_zone()).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return {"file_size": len(bytes(value))}
    if value is None or isinstance(value, str | int | float | bool | dict | list):
        return value
    return str(value)  # a related row, a country: in words
