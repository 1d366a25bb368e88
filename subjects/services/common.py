"""Helpers every subjects service shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.audit import Actor


def user_of(actor: Actor) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def check_fields(fields: Mapping[str, object], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        # A programming error, not bad input: fail loudly.
        raise TypeError(f"Unknown fields: {', '.join(sorted(unknown))}")


def add_error(errors: dict[str, list[str]], field: str, messages: list[str] | str) -> None:
    if isinstance(messages, str):
        messages = [messages]
    if messages:
        errors.setdefault(field, []).extend(messages)
