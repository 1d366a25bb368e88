"""The schema (`/api/schema/`) and its documentation page (`/api/docs/`).

The page is rendered here from the same OpenAPI document the schema endpoint serves: every
operation with its description, parameters, request examples and answers. A server-rendered
page in the portal's own layout rather than Swagger UI: it needs no script under the strict
CSP, and it passes the accessibility run that every staff page passes (Swagger UI's nested
buttons and colours do not)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.views import SpectacularAPIView

import core.api.schema  # noqa: F401  (registers the authentication schemes)
from core.permissions import requires

METHODS = ("get", "post", "put", "patch", "delete")


class SchemaView(SpectacularAPIView):
    permission = "api.docs"
    checks_own_permission = True


@dataclass
class Example:
    title: str
    body: str


@dataclass
class Answer:
    status: str
    description: str
    examples: list[Example] = field(default_factory=list)


@dataclass
class Operation:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    scopes: list[str]
    parameters: list[dict[str, Any]]
    examples: list[Example]
    answers: list[Answer]


@dataclass
class Section:
    tag: str
    operations: list[Operation] = field(default_factory=list)


def _examples(content: dict[str, Any] | None) -> list[Example]:
    media = (content or {}).get("application/json") or {}
    found = [
        Example(str(example.get("summary") or name), json.dumps(example.get("value"), indent=2))
        for name, example in (media.get("examples") or {}).items()
    ]
    if not found and "example" in media:
        found.append(Example("", json.dumps(media["example"], indent=2)))
    return found


def _operation(path: str, method: str, spec: dict[str, Any]) -> Operation:
    # The scope a key needs is the operation's `x-scope` (OpenAPI 3.0 names scopes only for
    # OAuth2 schemes, so `security` lists none for a bearer key).
    scopes = sorted(
        {s for scheme in spec.get("security") or [] for v in scheme.values() for s in v}
        | ({spec["x-scope"]} if spec.get("x-scope") else set())
    )
    parameters = [
        {
            "name": p.get("name", ""),
            "where": p.get("in", ""),
            "required": bool(p.get("required")),
            "type": (p.get("schema") or {}).get("type", ""),
            "description": p.get("description", ""),
        }
        for p in spec.get("parameters") or []
    ]
    answers = [
        Answer(str(status), answer.get("description", ""), _examples(answer.get("content")))
        for status, answer in sorted((spec.get("responses") or {}).items())
    ]
    return Operation(
        anchor=str(spec.get("operationId") or f"{method}-{path}"),
        method=method.upper(),
        path=path,
        summary=spec.get("summary", ""),
        description=spec.get("description", ""),
        scopes=scopes,
        parameters=parameters,
        examples=_examples((spec.get("requestBody") or {}).get("content")),
        answers=answers,
    )


def sections(schema: dict[str, Any]) -> list[Section]:
    """The schema's operations grouped by their first tag, in the schema's order."""
    by_tag: dict[str, Section] = {}
    for path, item in (schema.get("paths") or {}).items():
        for method in METHODS:
            spec = item.get(method)
            if spec is None:
                continue
            tag = (spec.get("tags") or ["api"])[0]
            by_tag.setdefault(tag, Section(tag)).operations.append(_operation(path, method, spec))
    return list(by_tag.values())


@requires("api.docs")
def docs(request: HttpRequest) -> HttpResponse:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    info = schema.get("info") or {}
    return render(
        request,
        "core/api_docs.html",
        {
            "title": info.get("title", "API"),
            "version": info.get("version", ""),
            "description": info.get("description", ""),
            "sections": sections(schema),
        },
    )
