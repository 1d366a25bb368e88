"""The portability package (GDPR Art. 20): the data the person provided and the data their use
of the service generated, where a purpose on their consent or a contract with them processes
that category of data (`section_types.by_purpose`), as JSON (one documented, versioned schema)
and CSV per record type, with a README in their language saying, section by section, why it is
in the package or left out.

Deterministic: entries are sorted and dated with the package's day, so building twice gives
the same bytes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext

from core.timeutil import legal_today
from reports.collect import SubjectData, collect
from reports.documents import Progress, _quiet
from reports.sections import OPERATOR_NOTES, PERSON_FIELDS
from subject_requests.models import SubjectRequest
from subjects.models import DataSubject

SCHEMA_ID = "https://privacyops.example/schemas/portability/1"
SCHEMA_VERSION = "1"


def package_data(data: SubjectData, *, reference: str) -> dict[str, Any]:
    """The content of `data.json`: what `PORTABILITY_SCHEMA` describes."""
    included: list[dict[str, str]] = []
    left_out: list[dict[str, str]] = []
    for part in data.person_parts:
        entry = {
            "section": f"person.{part.code}",
            "title": gettext("Your own record: %(category)s") % {"category": part.name},
            "reason": part.why,
        }
        (included if part.portable else left_out).append(entry)
    records: dict[str, list[dict[str, Any]]] = {}
    for section in data.sections:
        entry = {
            "section": section.section.code,
            "title": str(section.section.title),
            "reason": section.why,
        }
        if section.rows:
            (included if section.portable else left_out).append(entry)
        if section.portable:
            records[section.section.code] = section.raw
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "reference": reference,
        "generated_on": data.as_of.isoformat(),
        "person": _person(data),
        "records": records,
        "included": included,
        "left_out": left_out,
    }


def _person(data: SubjectData) -> dict[str, Any] | None:
    """The person's own record: the fields of its portable categories, with the facts about
    the record that belong to no category (country, language, source, dates); None when no
    category of it is portable. Never the operator's notes (Art. 20(4))."""
    portable = {name for part in data.person_parts if part.portable for name in part.fields}
    if not portable:
        return None
    categorised = {name for part in data.person_parts for name in part.fields}
    return {
        k: v
        for k, v in data.person_raw.items()
        if not isinstance(v, dict)
        and k not in OPERATOR_NOTES
        and (k.split(".")[0] in portable or k.split(".")[0] not in categorised)
    }


REQUIRED_KEYS = [
    "$schema", "schema_version", "controller", "reference", "generated_on", "person", "records",
    "left_out",
]  # fmt: skip

# A record type the package includes or leaves out, and why.
SECTION_AND_REASON = {
    "type": "object",
    "required": ["section", "reason"],
    "properties": {
        "section": {"type": "string"},
        "title": {"type": "string"},
        "reason": {"type": "string"},
    },
}

PORTABILITY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": SCHEMA_ID,
    "title": "Portable personal data (GDPR Art. 20)",
    "type": "object",
    "required": REQUIRED_KEYS,
    "properties": {
        "$schema": {"const": SCHEMA_ID},
        "schema_version": {"const": SCHEMA_VERSION},
        "controller": {"type": "string", "description": "Who sends the data"},
        "reference": {"type": "string", "description": "The request it answers"},
        "generated_on": {"type": "string", "format": "date"},
        "person": {
            "description": "The person's own record, field by field (null: left out)",
            "type": ["object", "null"],
            "properties": {
                c.field: {"type": ["string", "null"]}
                for c in PERSON_FIELDS
                if c.field not in OPERATOR_NOTES
            },
        },
        "records": {
            "description": "Per record type, its rows; every value a string, number or null. "
            "Dates are ISO 8601, times with their offset.",
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "object"}},
        },
        "included": {
            "description": "Record types included, and why (the purposes on consent or "
            "contract that process their category of data); `person.<category>` for the "
            "person's own record",
            "type": "array",
            "items": SECTION_AND_REASON,
        },
        "left_out": {
            "description": "Record types not included, and why; `person.<category>` for the "
            "person's own record",
            "type": "array",
            "items": SECTION_AND_REASON,
        },
    },
}


def _csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def build_portability_package(
    *,
    subject: DataSubject,
    request: SubjectRequest | None = None,
    as_of: dt.date | None = None,
    progress: Progress = _quiet,
) -> bytes:
    language = request.language if request is not None else subject.letter_language()
    as_of = as_of or legal_today()
    data = collect(
        subject,
        language=language,
        as_of=as_of,
        on_section=lambda done, total: progress(5 + 70 * done // total, "Collecting the records"),
    )
    reference = request.reference or "" if request is not None else ""
    with translation.override(language):
        content = package_data(data, reference=reference)
    files: dict[str, str] = {
        "data.json": json.dumps(content, ensure_ascii=False, indent=2, sort_keys=True),
        "schema.json": json.dumps(PORTABILITY_SCHEMA, ensure_ascii=False, indent=2),
    }
    if content["person"] is not None:
        files["person.csv"] = _csv([content["person"]])
    for code, rows in content["records"].items():
        if rows:
            files[f"{code}.csv"] = _csv(rows)
    with translation.override(language):
        files["README.txt"] = render_to_string(
            "reports/portability_readme.txt",
            {"content": content, "files": sorted(files), "data": data},
        )
    progress(90, "Packing the files")
    stamp = (as_of.year, as_of.month, as_of.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name].encode("utf-8"))
    return buffer.getvalue()


def portability_package(*, subject: DataSubject) -> bytes:
    return build_portability_package(subject=subject)
