"""The portability package (GDPR Art. 20): the data the person provided and the data their use
of the service generated, processed on consent or a contract, as JSON (one documented,
versioned schema) and CSV per record type, with a README in their language saying what each
file holds and what was left out and why.

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

from core.timeutil import legal_today
from subject_requests.models import SubjectRequest
from subject_requests.reports.collect import SubjectData, collect
from subject_requests.reports.documents import Progress, _quiet
from subject_requests.reports.sections import OPERATOR_NOTES, PERSON_FIELDS
from subjects.models import DataSubject

SCHEMA_ID = "https://privacyops.example/schemas/portability/1"
SCHEMA_VERSION = "1"


def package_data(data: SubjectData, *, reference: str) -> dict[str, Any]:
    """The content of `data.json`: what `PORTABILITY_SCHEMA` describes."""
    left_out = []
    records: dict[str, list[dict[str, Any]]] = {}
    for section in data.sections:
        if section.left_out is not None:
            if section.rows:
                left_out.append(
                    {"section": section.section.code, "title": str(section.section.title),
                     "reason": section.left_out}
                )  # fmt: skip
            continue
        records[section.section.code] = section.raw
    person: dict[str, Any] | None = None
    if data.person_left_out is None:
        person = {
            k: v
            for k, v in data.person_raw.items()
            if not isinstance(v, dict) and k not in OPERATOR_NOTES
        }
    else:
        left_out.insert(0, {"section": "person", "title": "", "reason": data.person_left_out})
    return {
        "$schema": SCHEMA_ID,
        "schema_version": SCHEMA_VERSION,
        "controller": settings.PRIVACY_CONTROLLER_NAME,
        "reference": reference,
        "generated_on": data.as_of.isoformat(),
        "person": person,
        "records": records,
        "left_out": left_out,
    }


REQUIRED_KEYS = [
    "$schema", "schema_version", "controller", "reference", "generated_on", "person", "records",
    "left_out",
]  # fmt: skip

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
        "left_out": {
            "description": "Record types not included, and why",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["section", "reason"],
                "properties": {
                    "section": {"type": "string"},
                    "title": {"type": "string"},
                    "reason": {"type": "string"},
                },
            },
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
