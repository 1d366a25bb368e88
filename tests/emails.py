"""Typed views of sent e-mail: django-stubs allow any attachment type as an alternative."""

from __future__ import annotations

from django.core.mail import EmailMessage, EmailMultiAlternatives


def html_part(message: EmailMessage) -> str:
    """The HTML alternative of a message sent with a text and an HTML body."""
    assert isinstance(message, EmailMultiAlternatives)
    content = message.alternatives[0][0]
    assert isinstance(content, str)
    return content
