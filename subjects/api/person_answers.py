"""A person in the API's answers: the serializer that shows a caller the fields its role
or scopes may read (`subjects.field_policy`), the actions a write may tell it, and the filters
it may use. A read, a write's answer and a filter follow the same policy: none tells a caller
a stored value it could not read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import exceptions, serializers
from rest_framework.request import Request

from core.api.auth import api_key
from subjects.field_policy import fields_for_scopes, fields_for_user
from subjects.fields import PERSON_FIELD_NAMES
from subjects.models import DataSubject

# What the API accepts of a person: the platform's id and the person's fields, but the photo
# (a portal upload, not an integration field).
API_FIELDS = ("external_id", *(name for name in PERSON_FIELD_NAMES if name != "photo"))


def readable_fields(request: Request) -> frozenset[str]:
    """The person's fields this caller may read: a key by its scopes, a user by their roles."""
    key = api_key(request)
    return fields_for_scopes(key.scopes) if key is not None else fields_for_user(request.user)


class PersonSerializer(serializers.ModelSerializer[DataSubject]):
    """A person as the caller may read them (`subjects.field_policy`): the id, and of the
    other fields only those the caller's role or scopes show."""

    country = serializers.CharField(read_only=True)
    preferred_language = serializers.CharField(
        read_only=True, help_text="en, et or lv; blank when not known."
    )

    class Meta:
        model = DataSubject
        fields = ["id", *API_FIELDS, "created_at", "updated_at"]
        read_only_fields = fields

    def __init__(
        self, instance: Any = None, *args: Any, visible: frozenset[str] | None = None, **kwargs: Any
    ) -> None:
        # Only the schema describes a person without a reader; a person's data never is.
        if instance is not None and visible is None:
            raise TypeError("A person is shown to a reader: give the fields it may read.")
        super().__init__(instance, *args, **kwargs)
        if visible is not None:
            for name in set(self.fields) - visible - {"id"}:
                self.fields.pop(name)


class PersonSchema(OpenApiSerializerExtension):
    """In the schema every field but the id is optional: each is there only for a caller
    whose role or scopes show it."""

    target_class = PersonSerializer

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        schema["required"] = ["id"]
        return schema


def answered_actions(
    actions: Sequence[str], *, rows: Sequence[Mapping[str, Any]], readable: frozenset[str]
) -> list[str]:
    """What each row did, as the caller may be told: `unchanged` says the stored values are
    the ones sent, so a caller who may not read every field it sent is told `update` (the
    person now holds what was sent) and learns nothing of what was stored before."""
    return [
        "update" if action == "unchanged" and not set(row) <= readable else action
        for action, row in zip(actions, rows, strict=True)
    ]


# Said instead of a refusal that names a stored field the caller neither sent nor may read.
STORED_CONFLICT = "The change conflicts with what is stored of the person, which you may not read."


def refusals_told(
    errors: Mapping[int, Mapping[str, list[str]]],
    *,
    rows: Sequence[Mapping[str, Any]],
    readable: frozenset[str],
) -> dict[str, Any]:
    """Each refused row's messages by field, as the caller may be told them: a message about
    a field it neither sent nor may read (a prospect may hold no date of birth) would tell it
    that the stored person holds one, so such messages become one that names no field."""
    told: dict[str, Any] = {}
    for index, messages in sorted(errors.items()):
        shown = {name: m for name, m in messages.items() if name in rows[index] or name in readable}
        if len(shown) < len(messages):
            shown["non_field_errors"] = [STORED_CONFLICT]
        told[str(index)] = shown
    return told


# The field each filter compares: a caller who may not read the field may not filter on it,
# or the answer would tell whether the hidden value matches.
FILTERED_FIELDS = {
    "kind": "kind",
    "external_id": "external_id",
    "organisation": "organisation",
    "work_email": "work_email",
    "updated_since": "updated_at",
}


def refuse_filters_on_hidden_fields(request: Request) -> None:
    readable = readable_fields(request)
    refused = {
        parameter: ["You may not filter on a field you may not read."]
        for parameter, name in FILTERED_FIELDS.items()
        if parameter in request.query_params and name not in readable
    }
    if refused:
        raise exceptions.ValidationError(refused)
