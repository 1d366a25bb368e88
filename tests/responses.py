"""Typed views of test-client responses, where django-stubs' response type is too wide."""

from __future__ import annotations

from django.http import HttpResponseBase, StreamingHttpResponse


def streamed(response: HttpResponseBase) -> bytes:
    """The whole body of a streamed response (a CSV export)."""
    assert isinstance(response, StreamingHttpResponse)
    return response.getvalue()
