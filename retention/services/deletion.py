"""Set-based deletion, the machinery every record type's `apply` may use.

Deletion never goes through Django's per-object collector: children are deleted or unlinked
by subquery, then the rows themselves (`_raw_delete`). What each model loses on
anonymisation is stated by the app that owns it (e.g. `subjects.anonymisation`).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import models, router

# SQLite's bound-parameter limit is 32 766; 500 ids per statement stays far below it.
STATEMENT_CHUNK = 500


def label_of(model: type[models.Model]) -> str:
    return model._meta.label_lower


def protected_ids(model: type[models.Model], ids: Collection[int]) -> set[int]:
    """Ids that a PROTECT or RESTRICT foreign key (or a many-to-many) points at."""
    found: set[int] = set()
    for rel in model._meta.related_objects:
        on_delete = getattr(rel, "on_delete", None)
        if not (rel.many_to_many or on_delete in (models.PROTECT, models.RESTRICT)):
            continue
        if rel.many_to_many:
            found |= set(
                model._base_manager.filter(
                    pk__in=list(ids), **{f"{rel.get_accessor_name()}__isnull": False}
                ).values_list("pk", flat=True)
            )
            continue
        related: Any = rel.related_model
        found |= set(
            related._base_manager.filter(**{f"{rel.field.name}__in": list(ids)}).values_list(
                rel.field.attname, flat=True
            )
        )
    return found


def delete_set_based(model: type[models.Model], where: dict[str, Any]) -> int:
    """DELETE rows matching `where`, handling reverse foreign keys by subquery first:
    CASCADE children are deleted (recursively), SET_NULL children unlinked. The caller
    has excluded rows protected by PROTECT/RESTRICT (see `protected_ids`)."""
    doomed = model._base_manager.filter(**where)
    for rel in model._meta.related_objects:
        if rel.many_to_many:
            continue
        related: Any = rel.related_model
        name = rel.field.name
        on_delete = getattr(rel, "on_delete", None)
        children = {f"{name}__in": doomed.values("pk")}
        if on_delete is models.CASCADE:
            delete_set_based(related, children)
        elif on_delete is models.SET_NULL:
            related._base_manager.filter(**children).update(**{name: None})
        elif (
            on_delete in (models.PROTECT, models.RESTRICT)
            and related._base_manager.filter(**children).exists()
        ):
            raise models.ProtectedError(
                f"{label_of(related)} protects {label_of(model)} rows", set()
            )
    # No row to delete (an empty id list): Django runs no statement and returns None.
    return int(doomed._raw_delete(router.db_for_write(model)) or 0)
