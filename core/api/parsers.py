"""The API's JSON parser: refuses a NUL character anywhere in the body (PostgreSQL cannot
store one in text, so it would surface as a 500 deep in a service)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, parsers


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        data = super().parse(stream, media_type, parser_context)
        if _has_nul(data):
            raise exceptions.ParseError("Text may not contain NUL characters.")
        return data
