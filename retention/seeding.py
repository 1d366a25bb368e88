"""Seeding retention rules, for the apps that declare record types.

Each app seeds the policy's rules for its own records from its `seed.py` (data migrations
call it with the historical registry, `seed_policy` with the live one). Idempotent: a rule
whose code exists is left alone, so an Admin's confirmed changes survive reseeding.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def seed_rules(apps: Any, specs: Iterable[dict[str, Any]]) -> None:
    try:
        RetentionRule = apps.get_model("retention", "RetentionRule")
    except LookupError:
        # A data migration that runs before retention's own: `post_migrate` seeds it later.
        return
    for spec in specs:
        if RetentionRule.objects.filter(code=spec["code"]).exists():
            continue
        values = dict(spec)
        if RetentionRule.objects.filter(record_type=values["record_type"], active=True).exists():
            # An Admin already governs this record type with a rule of their own.
            values["active"] = False
        RetentionRule.objects.create(**values)
