"""The base of every request body the API takes: it refuses what its schema refuses.

The schema of a request is this serializer's, with `additionalProperties: false`: a field the
schema does not name is refused by name (a misspelt `evidence_txt` is not silently dropped).
`required_any` names fields of which at least one must be given (a person by the portal's
id or the platform's): the schema says it with `anyOf`. `rules` are the refusals of the whole
request that the schema cannot state (a person anonymised since): said in its description and
under `x-rules`, as a field's own rules are (`core.api.fields.Ruled`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field."


class ApiInput(serializers.Serializer[Any]):
    required_any: ClassVar[tuple[str, ...]] = ()
    rules: ClassVar[tuple[str, ...]] = ()

    def to_internal_value(self, data: Any) -> Any:
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as refused:
            if unknown and isinstance(refused.detail, dict):
                refused.detail.update({name: [UNKNOWN_FIELD] for name in unknown})
            raise
        if unknown:
            raise serializers.ValidationError({name: [UNKNOWN_FIELD] for name in unknown})
        if self.required_any and not any(name in data for name in self.required_any):
            raise serializers.ValidationError(
                {self.required_any[0]: [f"Give one of {', '.join(self.required_any)}."]}
            )
        return value


class ApiInputSchema(OpenApiSerializerExtension):
    target_class = ApiInput
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        schema["additionalProperties"] = False
        if self.target.required_any:
            schema["anyOf"] = [{"required": [name]} for name in self.target.required_any]
        if self.target.rules:
            schema["x-rules"] = list(self.target.rules)
            schema["description"] = " ".join(
                [schema.get("description", ""), "Refused when:", *self.target.rules]
            ).strip()
        return schema
