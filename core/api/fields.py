"""Fields the API's serializers and filters share."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from rest_framework import serializers

# The largest id any of the supported databases stores (a signed 64-bit integer).
MAX_ID = 2**63 - 1


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class IdFilter(django_filters.Filter):
    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
