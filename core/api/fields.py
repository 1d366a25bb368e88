"""Fields the API's serializers and filters share.

The request serializers generate the schema, so they must take exactly what it says: a field
declared `type: string` takes a JSON string and nothing else. DRF's own fields are lenient
the other way — `CharField` turns 0 into "0", `IntegerField` reads "12", `DateField` and
`DateTimeField` take any form `fromisoformat` knows ("20260101", a time without an offset) —
so every request field is one of the strict ones below (a test holds every serializer of a
request to it), and each says in the schema what it takes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.core.validators import RegexValidator
from django.db.models import Model, QuerySet
from django_countries import countries
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers

from core.api.errors import REFUSED

# The largest id any of the supported databases stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1
# Longer than any cursor, code or list of ids the API takes in a query string.
MAX_PARAMETER = 4096
# PostgreSQL cannot store a NUL in text; the schema says so of every free text.
NO_NUL = "^[^\\u0000]*$"
# ... and of a text that may not be blank: some character that is neither NUL nor a space.
# The spaces are those the field strips before it checks for a blank (`str.isspace`), named
# one by one: `\s` means fewer of them to a JSON Schema validator (ECMA 262) than to Python.
SPACES = "".join(f"\\u{code:04x}" for code in range(0x3001) if chr(code).isspace())
NOT_BLANK = f"^[^\\u0000]*[^\\u0000{SPACES}][^\\u0000]*$"
# RFC 3339, the `date` and `date-time` formats of the schema (JSON Schema's `format`).
# ASCII digits: Python's `\d` would take any script's.
FULL_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DATE_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)


class Ruled:
    """A field with rules the schema cannot state (a day not in the future, a person under
    18, a state of what is stored): `rules=[...]`, said in the field's description and listed
    under `x-rules`; a request refused by one is 400 with the code `refused`, naming the field.
    A keyword, not an attribute set later: DRF copies a field by calling its class again."""

    def __init__(self, *args: Any, rules: Sequence[str] = (), **kwargs: Any) -> None:
        self.rules = list(rules)
        super().__init__(*args, **kwargs)


class StrictCharField(Ruled, serializers.CharField):
    """A JSON string; no NUL; its length counted as sent (DRF counts after stripping). Spaces
    around it are stripped unless a pattern or format says what it is (" EUR" is no currency
    code)."""

    def __init__(self, **kwargs: Any) -> None:
        patterned = any(isinstance(v, RegexValidator) for v in kwargs.get("validators", ()))
        kwargs.setdefault("trim_whitespace", not patterned)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        value: str = super().to_internal_value(data)
        return value


class StrictEmailField(StrictCharField, serializers.EmailField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)


class CountryField(StrictCharField):
    """An ISO 3166-1 alpha-2 code, blank for none. The schema says its shape rather than list
    the 249 codes (which a generator would then try one by one); a code no country has is
    refused by the rule it states."""

    NO_COUNTRY = "No country has this ISO 3166-1 alpha-2 code."

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "ISO 3166-1 alpha-2, e.g. EE; blank for none.")
        kwargs.setdefault("rules", [self.NO_COUNTRY])
        kwargs.setdefault("validators", [RegexValidator(r"^[A-Z]{2}\Z")])
        super().__init__(allow_blank=True, required=False, **kwargs)

    def run_validation(self, data: Any = serializers.empty) -> Any:
        code = super().run_validation(data)  # the shape first: "ee" breaks the schema
        if code and code not in countries:
            raise serializers.ValidationError(self.NO_COUNTRY, code=REFUSED)
        return code


class StrictChoiceField(Ruled, serializers.ChoiceField):
    # DRF's message repeats the value sent; an error names the field, never what was sent.
    default_error_messages = {"invalid_choice": "Not one of the values the schema lists."}


class StrictIntegerField(Ruled, serializers.IntegerField):
    """A JSON integer (1.0 is one, as JSON Schema says); not "1", not true."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        if isinstance(data, float) and not data.is_integer():
            self.fail("invalid")
        return int(data)


def id_field(**kwargs: Any) -> StrictIntegerField:
    return StrictIntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class StrictDecimalField(Ruled, serializers.DecimalField):
    """An amount as a JSON string of digits ("490.00"), as the schema's pattern says."""

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str) or not re.fullmatch(decimal_pattern(self), data):
            self.fail("invalid")
        value: Decimal = super().to_internal_value(data)
        return value


def decimal_pattern(field: serializers.DecimalField) -> str:
    whole = (field.max_digits or 0) - (field.decimal_places or 0)
    return rf"^-?[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{field.decimal_places}}})?$"


class StrictDateField(Ruled, serializers.DateField):
    """A day as RFC 3339 writes it (2026-11-20), nothing else `fromisoformat` reads."""

    def to_internal_value(self, value: Any) -> dt.date:
        if not isinstance(value, str) or not FULL_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        day: dt.date = super().to_internal_value(value)
        return day


class StrictDateTimeField(Ruled, serializers.DateTimeField):
    """A moment as RFC 3339 writes it, with seconds and an offset (2026-11-20T10:00:00Z)."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        moment = parse_moment(value)
        if moment is None:
            self.fail("invalid", format="YYYY-MM-DDThh:mm:ss[.ffffff](Z|±hh:mm)")
        # In UTC: PostgreSQL refuses an offset beyond ±15:59 that RFC 3339 allows.
        try:
            return moment.astimezone(dt.UTC)
        except OverflowError:
            self.fail("invalid", format="a moment within the years 1 to 9999 in UTC")


def parse_moment(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
        return None
    try:
        return dt.datetime.fromisoformat(value.upper())
    except ValueError:
        return None


class StrictSlugRelatedField(Ruled, serializers.SlugRelatedField[Any]):
    """A record by its code: a JSON string; an unknown one is 404 naming the field."""

    default_error_messages = {"does_not_exist": "No such record has this code."}

    def to_internal_value(self, data: Any) -> Model:
        if not isinstance(data, str):
            self.fail("invalid")
        found: Model = super().to_internal_value(data)
        return found


M = TypeVar("M", bound=Model)


def existing(queryset: QuerySet[M], pk: int, message: str) -> M:
    """The record a request names by id, or a refusal with the code that makes it a 404."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise serializers.ValidationError(message, code="not_found")
    return found


class StrictCharFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictCharField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        patterned = any(isinstance(v, RegexValidator) for v in self.target.validators)
        if direction == "request" and "format" not in schema and not patterned:
            schema.setdefault("pattern", NO_NUL if self.target.allow_blank else NOT_BLANK)
        return schema


class StrictSlugRelatedFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictSlugRelatedField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": NO_NUL} if direction == "request" else schema


class StrictDecimalFieldSchema(OpenApiSerializerFieldExtension):
    target_class = StrictDecimalField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        return {**schema, "pattern": decimal_pattern(self.target)}


def lenient_fields(fields: Iterable[serializers.Field[Any, Any, Any, Any]]) -> list[str]:
    """The lenient DRF fields among these (and their children): what a test refuses."""
    lenient = []
    strict = (
        StrictCharField, StrictIntegerField, StrictDecimalField, StrictDateField,
        StrictDateTimeField, StrictSlugRelatedField, StrictChoiceField,
        serializers.ListField, serializers.Serializer, serializers.ListSerializer,
    )  # fmt: skip
    for field in fields:
        if not isinstance(field, strict):
            lenient.append(f"{field.field_name}: {type(field).__name__}")
        child = getattr(field, "child", None)
        if child is not None:
            lenient += lenient_fields([child])
    return lenient
