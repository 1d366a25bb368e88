"""The filters of the API's lists, as strict as their schema.

django-filter reads a value it cannot use as no filter at all: `active=null` or `active=yes`
lists everything, `kind=` and `organisation=` too. The schema says a boolean is `true` or
`false`, an id an integer, a time RFC 3339: anything else is refused by name (400), as the
page size and the cursor are.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.rest_framework import FilterSet as RestFilterSet
from drf_spectacular.utils import extend_schema_field

from core.api.fields import MAX_ID, parse_moment


class StrictBooleanField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> bool | None:
        if value in self.empty_values:
            return None
        if value not in ("true", "false"):
            raise ValidationError("Give true or false.", code="invalid")
        return bool(value == "true")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class MomentField(forms.Field):
    widget = forms.TextInput

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        moment = parse_moment(value)
        if moment is None:
            raise ValidationError(
                "Give a time as RFC 3339 writes it: 2026-11-20T10:00:00Z.", code="invalid"
            )
        return moment


class MomentFilter(django_filters.IsoDateTimeFilter):
    field_class = MomentField


@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)


class ApiFilterSet(django_filters.FilterSet):
    """The base of every list's filters: a value the schema refuses is refused, an empty one
    included (only a text filter takes an empty text)."""

    FILTER_DEFAULTS = {
        **RestFilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
        models.DateTimeField: {"filter_class": MomentFilter},
    }

    def is_valid(self) -> bool:
        valid: bool = super().is_valid()
        for name, field in self.form.fields.items():
            if self.data.get(name) == "" and not isinstance(field, forms.CharField):
                self.form.add_error(name, "Give a value.")
                valid = False
        return valid


class ApiFilterBackend(DjangoFilterBackend):
    filterset_base = ApiFilterSet

    def get_filterset_class(self, view: Any, queryset: Any = None) -> Any:
        filterset_class = super().get_filterset_class(view, queryset)
        assert filterset_class is None or issubclass(filterset_class, ApiFilterSet), (
            f"{view.__class__.__name__}'s filters are not an ApiFilterSet"
        )
        return filterset_class
