"""Which of a person's fields a reader sees: one policy for the person's page, the API's
answers (its reads and the answers of its writes) and the CSV exports of people.

Least privilege (GDPR Art. 5(1)(c), Art. 32): Staff handle requests and consent, so they see
the name, the work contact and what places the person (kind, organisation, country), never
the date of birth, photo, address, position or the record's history. The DPO sees every
field; an integration's key with `subjects:read` every field the API carries; any other key
(`subjects:write` alone included) none, so a write answers such a key with the id of the
person it touched and nothing stored. The id itself is shown to whoever may reach the
person at all. A user with several matrix keys, or a key with several scopes, sees the union
of their rows.

docs/admin-guide.md shows this policy as a table generated here (`manage.py field_policy`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.api.models import Scope
from core.permissions import MATRIX, Role, has_permission
from subjects.fields import PERSON_FIELD_NAMES

# Every field of a person a reader may be shown, in the order the table and the API list them.
PERSON_FIELDS: tuple[str, ...] = ("external_id", *PERSON_FIELD_NAMES, "created_at", "updated_at")
EVERY_FIELD = frozenset(PERSON_FIELDS)
STAFF_FIELDS = frozenset(
    {"kind", "first_name", "last_name", "work_email", "work_phone", "organisation", "country"}
)
NO_FIELD: frozenset[str] = frozenset()

# A user: the union of the rows of the matrix keys they hold (`core.permissions.MATRIX`).
BY_PERMISSION: dict[str, frozenset[str]] = {
    "subjects.detail.all": EVERY_FIELD,
    "subjects.detail": STAFF_FIELDS,
}
# A key: the union of the rows of its scopes; a scope not named here shows no field. The photo
# is a portal upload, not an integration's field.
BY_SCOPE: dict[str, frozenset[str]] = {Scope.SUBJECTS_READ: EVERY_FIELD - {"photo"}}
# The scopes of the people's own endpoints, the table's key columns.
PEOPLE_SCOPES = (Scope.SUBJECTS_READ, Scope.SUBJECTS_WRITE)


def fields_for_user(user: Any) -> frozenset[str]:
    return frozenset().union(
        *(fields for key, fields in BY_PERMISSION.items() if has_permission(user, key))
    )


def fields_for_scopes(scopes: Iterable[str]) -> frozenset[str]:
    return frozenset().union(*(BY_SCOPE.get(scope, NO_FIELD) for scope in scopes))


def _fields_for_role(role: Role) -> frozenset[str]:
    return frozenset().union(
        *(fields for key, fields in BY_PERMISSION.items() if role in MATRIX[key].roles)
    )


def markdown_table() -> str:
    """The policy as docs/admin-guide.md shows it: a field per row, a reader per column."""
    roles = list(Role)
    readers = [role.label for role in roles] + [f"key `{scope}`" for scope in PEOPLE_SCOPES]
    columns = [_fields_for_role(role) for role in roles] + [
        fields_for_scopes([scope]) for scope in PEOPLE_SCOPES
    ]
    lines = [
        "| field | " + " | ".join(readers) + " |",
        "|" + " --- |" * (len(readers) + 1),
    ]
    for name in PERSON_FIELDS:
        cells = ["yes" if name in fields else "—" for fields in columns]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
