"""Which of a person's fields a data category lists (`DataCategory.fields`), and how the pages
read that list.

The person's page, the access report, the portability package and rectification all group a
person's fields by these lists, so one wrong value stored in the admin would break them for
everyone. `DataCategory.clean()` refuses anything but a list of distinct names of the person's
fields; the names are the people app's (`subjects.fields`), which this app may not import
(the layering puts `subjects` above `processing`), so that app registers them from its
`AppConfig.ready()`. A value stored before the rule existed is read as the names it does hold,
logged, and listed among the register's findings, never raised into a page.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from processing.models import DataCategory

logger = logging.getLogger(__name__)

_person_fields: list[str] = []


def register_person_fields(names: Iterable[str]) -> None:
    for name in names:
        if name not in _person_fields:
            _person_fields.append(name)


def person_fields() -> tuple[str, ...]:
    return tuple(_person_fields)


def category_field_problems(fields: object) -> dict[str, list[str]]:
    """What is wrong with a category's list of fields, by field (empty: nothing)."""
    if not isinstance(fields, list) or not all(isinstance(n, str) and n for n in fields):
        return {
            "fields": [
                _(
                    'List the names of the person\'s fields, e.g. ["first_name", "last_name"], '
                    "or leave the list empty."
                )
            ]
        }
    if twice := sorted({n for n in fields if fields.count(n) > 1}):
        return {"fields": [_("Name each field once: %(names)s.") % {"names": ", ".join(twice)}]}
    known = person_fields()
    if unknown := [n for n in fields if n not in known]:
        return {
            "fields": [
                _("Not a field of a person: %(unknown)s. A person's fields: %(known)s.")
                % {"unknown": ", ".join(unknown), "known": ", ".join(known)}
            ]
        }
    return {}


def readable_fields(category: DataCategory) -> list[str]:
    """The category's field names as the pages read them: a value of another shape (saved
    before `clean()` refused it) reads as the names it holds, logged, rather than failing the
    page of every person."""
    fields = category.fields
    if isinstance(fields, list) and all(isinstance(n, str) for n in fields):
        return list(dict.fromkeys(fields))
    logger.error(
        "data category %r has fields that are not a list of names; read as the names in it",
        category.code,
    )
    names = fields if isinstance(fields, list) else []
    return list(dict.fromkeys(n for n in names if isinstance(n, str)))
