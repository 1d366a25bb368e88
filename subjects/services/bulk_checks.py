"""The checks of a bulk upsert, every row at once: cleaned by the model's field validation,
matched to the stored people (by external id, then by the e-mail's blind index), held to the
same guards as `create_subject` and `update_subject`, and to no two rows for one person —
a constant number of queries whatever the size of the batch."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.crypto import blind_index
from core.timeutil import legal_today
from subjects import guards
from subjects.models import DataSubject, Organisation
from subjects.services.common import add_error
from subjects.services.people import (
    SUBJECT_FIELDS,
    change_errors,
    email_refusals,
    minor_error,
    new_subject_errors,
    normalise,
    taken_email_error,
)

# The API's promise: up to 10 000 people per call, validated together.
MAX_ROWS = 10_000
BULK_FIELDS = SUBJECT_FIELDS | {"external_id"}
# What a bulk write needs of a stored person besides the fields the rows give.
_MATCH_FIELDS = ("id", "external_id", "kind", "work_email_index", "anonymised_at")
_MINIMISED_FIELDS = tuple(guards.NOT_FOR_PROSPECTS)
_TEXT_FIELDS = frozenset(
    {"first_name", "last_name", "position", "work_email", "work_phone", "work_address"}
    | {"country", "external_id"}
)

Action = Literal["create", "update", "unchanged", "refuse"]


@dataclass
class Row:
    index: int
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    target: DataSubject | None = None
    changed: dict[str, Any] = field(default_factory=dict)

    @property
    def action(self) -> Action:
        if self.errors:
            return "refuse"
        if self.target is None:
            return "create"
        return "update" if self.changed else "unchanged"


def _messages(exc: ValidationError) -> list[str]:
    """A field's messages without the value itself ("“1990-13-45” value has an invalid date
    format"): an error names the field, never the personal data sent."""
    return [
        str(error.message % ({**error.params, "value": "…"} if error.params else {}))
        if error.params
        else str(error.message)
        for error in exc.error_list
    ]


@cache
def _choices(name: str) -> frozenset[str] | None:
    model_field = DataSubject._meta.get_field(name)
    if not isinstance(model_field, models.Field) or not model_field.choices:
        return None
    return frozenset(str(key) for key, _label in model_field.flatchoices)


def _clean_field(name: str, value: Any) -> Any:
    """`Field.clean` with the choices looked up in a set: a country's validation walks its
    ~250 choices on every call, which was half the time of a 10 000-row batch."""
    model_field = DataSubject._meta.get_field(name)
    assert isinstance(model_field, models.Field)
    try:
        value = model_field.to_python(value)
    except TypeError:
        # Django's date and time fields hand a JSON object or list to the parser unchecked.
        raise ValidationError(
            model_field.error_messages["invalid"], code="invalid", params={"value": value}
        ) from None
    choices = _choices(name)
    if choices is not None and value not in model_field.empty_values and str(value) not in choices:
        raise ValidationError(
            model_field.error_messages["invalid_choice"],
            code="invalid_choice",
            params={"value": value},
        )
    if value is None and not model_field.null:
        raise ValidationError(model_field.error_messages["null"], code="null")
    if not model_field.blank and value in model_field.empty_values:
        raise ValidationError(model_field.error_messages["blank"], code="blank")
    model_field.run_validators(value)
    return value


def _clean_values(raw: Mapping[str, Any], organisations: Mapping[int, Organisation]) -> Row:
    """A row's values as the model's fields take them, or the field's error: the services'
    normalisation, then the model's own field validation (`Field.clean`: type, length,
    choices, e-mail syntax), no query."""
    row = Row(index=-1, values={})
    given: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in BULK_FIELDS:
            add_error(row.errors, name, _("Unknown field."))
        elif name == "organisation":
            pk = value.pk if isinstance(value, Organisation) else value
            if pk in (None, ""):
                row.values[name] = None
            elif isinstance(pk, int) and pk in organisations:
                row.values[name] = organisations[pk]
            else:
                add_error(row.errors, name, _("No such organisation."))
        elif name in _TEXT_FIELDS and not isinstance(value, str | None):
            add_error(row.errors, name, _("Give text."))
        else:
            given[name] = value
    for name, value in normalise(given).items():
        try:
            value = _clean_field(name, value)
        except ValidationError as exc:
            add_error(row.errors, name, _messages(exc))
            continue
        if isinstance(value, dt.datetime) and timezone.is_naive(value):
            value = timezone.make_aware(value)
        row.values[name] = value
    if "external_id" in row.values:
        row.values["external_id"] = (row.values["external_id"] or "").strip() or None
    return row


def _organisations(rows: Sequence[Mapping[str, Any]]) -> dict[int, Organisation]:
    pks = {
        value
        for raw in rows
        if isinstance(value := raw.get("organisation"), int) and not isinstance(value, bool)
    }
    return Organisation.objects.in_bulk(list(pks)) if pks else {}


def _stored_people(rows: list[Row]) -> tuple[dict[str, DataSubject], dict[str, DataSubject]]:
    """The stored people the rows name, by external id and by e-mail blind index: one query,
    reading only the columns the rows give (each encrypted column read is a decryption)."""
    external = {r.values["external_id"] for r in rows if r.values.get("external_id")}
    indexes = {blind_index(r.values["work_email"]) for r in rows if r.values.get("work_email")}
    if not external and not indexes:
        return {}, {}
    given = {name for r in rows for name in r.values if name in SUBJECT_FIELDS}
    columns = set(_MATCH_FIELDS) | {"erasure_requested_at"} | given | set(_MINIMISED_FIELDS)
    if "photo" not in given:
        columns.discard("photo")  # a photo is read (decrypted) only to compare a new one
    people = (
        DataSubject.objects.filter(Q(external_id__in=external) | Q(work_email_index__in=indexes))
        .only(*columns)
        .annotate(has_photo=Q(photo__isnull=False))
    )
    by_external: dict[str, DataSubject] = {}
    by_email: dict[str, DataSubject] = {}
    for person in people:
        if person.external_id:
            by_external[person.external_id] = person
        # Only people in use, as `work_email_errors` asks `active()`.
        if person.work_email_index and not (person.anonymised_at or person.erasure_requested_at):
            by_email[person.work_email_index] = person
    return by_external, by_email


def _match(
    row: Row,
    by_external: Mapping[str, DataSubject],
    by_email: Mapping[str, DataSubject],
) -> None:
    external_id = row.values.get("external_id")
    index = blind_index(row.values.get("work_email"))
    person = by_external.get(external_id) if external_id else None
    if person is not None and (person.anonymised_at or person.erasure_requested_at):
        add_error(
            row.errors,
            "external_id",
            _("This person's data was erased; an import does not bring them back."),
        )
        return
    owner = by_email.get(index) if index else None
    if person is None and owner is not None:
        if external_id and owner.external_id and owner.external_id != external_id:
            add_error(
                row.errors, "external_id", _("This e-mail belongs to a person with another id.")
            )
            return
        person = owner
    elif owner is not None and person is not None and owner.pk != person.pk:
        add_error(row.errors, "work_email", taken_email_error())
        return
    row.target = person


def _stored(person: DataSubject, name: str) -> Any:
    if name == "organisation":  # compared by id: no query for the organisation
        return person.organisation_id
    return getattr(person, name)


def _changes(row: Row, today: dt.date) -> None:
    """What an update changes, and whether the result meets the guards."""
    person = row.target
    assert person is not None
    row.changed = {
        name: value
        for name, value in row.values.items()
        if _stored(person, name) != (value.pk if isinstance(value, Organisation) else value)
    }
    if person.external_id and "external_id" in row.changed and not row.values["external_id"]:
        del row.changed["external_id"]  # a row without an id does not clear the stored one
    result = {
        "kind": person.kind,
        "date_of_birth": person.date_of_birth,
        "work_address": person.work_address,
        "photo": b"stored" if person.has_photo else None,  # type: ignore[attr-defined]
    } | row.changed
    for name, messages in change_errors(row.changed, result, today=today).items():
        add_error(row.errors, name, messages)
    born = row.changed.get("date_of_birth")
    if born and "date_of_birth" not in row.errors and not guards.is_adult(born, on=today):
        add_error(row.errors, "date_of_birth", minor_error(born))


def _duplicates(rows: Iterable[Row]) -> None:
    """No two rows for one person, one external id or one address in a batch."""
    seen: dict[tuple[str, Any], int] = {}
    for row in rows:
        if row.errors:
            continue
        matched_on = "external_id" if row.values.get("external_id") else "work_email"
        keys = [
            ("work_email", blind_index(row.values.get("work_email"))),
            ("external_id", row.values.get("external_id")),
            (matched_on, None if row.target is None else f"pk:{row.target.pk}"),
        ]
        for name, key in keys:
            if key is None:
                continue
            if (name, key) in seen:
                add_error(
                    row.errors,
                    name,
                    _("An earlier row of this batch (index %(row)d) names this person.")
                    % {"row": seen[(name, key)]},
                )
            else:
                seen[(name, key)] = row.index


def classify(
    rows: Sequence[Mapping[str, Any]],
    *,
    now: dt.datetime,
    defaults: Mapping[str, Any] | None = None,
) -> list[Row]:
    """Every row cleaned, matched and checked: the whole validation, a constant number of
    queries (organisations, stored people, suppression)."""
    today = legal_today(now)
    organisations = _organisations([*rows, defaults or {}])
    fallback = _clean_values(defaults or {}, organisations)
    if fallback.errors:
        raise ValidationError({"defaults": [str(fallback.errors)]})
    cleaned = []
    for index, raw in enumerate(rows):
        row = _clean_values(raw, organisations)
        row.index = index
        cleaned.append(row)
    by_external, by_email = _stored_people([r for r in cleaned if not r.errors])
    for row in cleaned:
        if row.errors:
            continue
        _match(row, by_external, by_email)
        if row.errors:
            continue
        if row.target is None:
            row.values = fallback.values | row.values
            for name, messages in new_subject_errors(row.values, today=today).items():
                add_error(row.errors, name, messages)
        else:
            _changes(row, today)
    _duplicates(cleaned)
    checked = {
        r.values["work_email"]: r
        for r in cleaned
        if not r.errors
        and r.values.get("work_email")
        and (r.target is None or "work_email" in r.changed)
    }
    for email, messages in email_refusals(list(checked)).items():
        add_error(checked[email].errors, "work_email", messages)
    return cleaned
