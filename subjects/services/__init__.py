"""Writes of the subjects app. Each service validates, writes and audits in one transaction;
forms, the admin, commands, the API and other apps call these and nothing else."""

from __future__ import annotations

from subjects.services.erasure import (
    ErasureOutcome,
    SubjectsOnLegalHold,
    anonymise_subjects,
    defer_erasure,
    erase_subjects,
)
from subjects.services.holds import (
    lift_organisation_legal_hold,
    lift_subject_legal_hold,
    set_organisation_legal_hold,
    set_subject_legal_hold,
)
from subjects.services.organisations import (
    ORGANISATION_FIELDS,
    change_organisation_status,
    create_organisation,
    update_organisation,
)
from subjects.services.people import (
    SUBJECT_FIELDS,
    create_subject,
    update_subject,
    work_email_errors,
)
from subjects.services.restriction import (
    announce_restriction_lift,
    lift_restriction,
    restrict_processing,
)

__all__ = [
    "ORGANISATION_FIELDS",
    "SUBJECT_FIELDS",
    "ErasureOutcome",
    "SubjectsOnLegalHold",
    "announce_restriction_lift",
    "anonymise_subjects",
    "change_organisation_status",
    "create_organisation",
    "create_subject",
    "defer_erasure",
    "erase_subjects",
    "lift_organisation_legal_hold",
    "lift_restriction",
    "lift_subject_legal_hold",
    "restrict_processing",
    "set_organisation_legal_hold",
    "set_subject_legal_hold",
    "update_organisation",
    "update_subject",
    "work_email_errors",
]
