"""What the consent pages share."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from consent import selectors
from core.audit import record_event
from processing.selectors import purposes_to_withdraw_or_object
from subjects.models import DataSubject

PAGE_SIZE = 25


def add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def subject_or_404(pk: int) -> DataSubject:
    subject = get_object_or_404(DataSubject, pk=pk)
    return subject


def record_viewed(request: HttpRequest, subject: DataSubject, page: str) -> None:
    # Every look at a person's data is logged.
    record_event(
        action="consent.subject_viewed", actor=request.user, target=subject, details={"page": page}
    )


def states_of(subject: DataSubject) -> list[selectors.ConsentState]:
    return selectors.consent_states(subject, purposes_to_withdraw_or_object(subject))
