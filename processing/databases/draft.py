"""A first manifest drafted from the live schema (`manage.py draft_manifest SYSTEM`): every
table and column, every foreign key as a reference, and a data category guessed from each
column's name. What it cannot guess it marks `review`, which the coverage gate refuses: a
draft is a start for the Admin, never a manifest by itself."""

from __future__ import annotations

import re

import yaml

from processing.databases.manifest import FORMAT, NOT_PERSONAL, TO_REVIEW
from processing.databases.schema import LiveSchema, LiveTable

# (pattern on the column's name, its annotation): the first that matches wins.
CLEAR, HASH = "clear", "hash"
GUESSES: list[tuple[str, object]] = [
    (r"^(id|uuid|(created|updated|deleted)(_at|_on)?|version)$", NOT_PERSONAL),
    (r"e_?mail", {"category": "contact", "identity": "email", "erase": HASH}),
    (r"phone|mobile", {"category": "contact", "identity": "phone", "erase": CLEAR}),
    (
        r"^external_id$|^(user|customer)_?(ref|key)$",
        {"category": "identification", "identity": "external_id", "erase": HASH},
    ),
    (
        r"(^|_)(first|last|full|display|given|family|sur)_?name$|^name$",
        {"category": "identification", "erase": CLEAR},
    ),
    (r"address|street|city|postcode|zip", {"category": "contact", "erase": CLEAR}),
    (r"title|position|job|department", {"category": "employment", "erase": CLEAR}),
    (
        r"body|text|content|message|comment|note|subject",
        {"category": "communication", "erase": {"value": "[removed]"}},
    ),
    (
        r"(^|_)ip(_address)?$|user_agent|last_(seen|login)|login",
        {"category": "usage", "erase": CLEAR},
    ),
]


def guess(column: str) -> object:
    for pattern, annotation in GUESSES:
        if re.search(pattern, column, flags=re.IGNORECASE):
            return annotation
    return TO_REVIEW


def draft(live: LiveSchema) -> str:
    """The draft as YAML, with a comment per table on what to check."""
    lines = [
        "# A draft from the live schema: review every guess before saving it as the manifest.",
        f"manifest: {FORMAT}",
        "tables:",
    ]
    for name in sorted(live.tables):
        lines += _table(live.tables[name])
    return "\n".join(lines) + "\n"


def _table(table: LiveTable) -> list[str]:
    references = {
        fk.columns[0]: f"{fk.table}.{fk.referred[0]}"
        for fk in table.foreign_keys
        if len(fk.columns) == 1
    }
    lines = [f"  {_key(table.name)}:", "    columns:"]
    for column in table.columns:
        annotation = {"references": references[column]} if column in references else guess(column)
        lines.append(f"      {_key(column)}: {_flow(annotation)}")
    return lines


def _key(name: str) -> str:
    return yaml.safe_dump(name, default_style=None).strip().removesuffix("...").strip()


def _flow(value: object) -> str:
    return (
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1000)
        .strip()
        .removesuffix("...")
        .strip()
    )
