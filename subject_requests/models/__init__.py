"""Data-subject requests (GDPR Art. 12-22): what arrived, from whom, by when it must be
answered, everything that happened to it, and the documents it is answered with."""

from __future__ import annotations

from subject_requests.choices import (
    ACTIONS_FOR_TYPE,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    TRANSITIONS,
    UNRESOLVED_TASKS,
    ActionKind,
    ActionStatus,
    AnswerKind,
    AnswerStatus,
    Channel,
    DeliveryStatus,
    EntryKind,
    Operation,
    Outcome,
    PauseReason,
    RequestType,
    Status,
    TaskKind,
    TaskStatus,
    VerificationMethod,
)
from subject_requests.models.actions import RightAction, RightActionQuerySet
from subject_requests.models.answers import Answer, AnswerQuerySet
from subject_requests.models.requests import (
    DUE_SOON_DAYS,
    Pause,
    ReminderSent,
    SubjectRequest,
    SubjectRequestQuerySet,
    TimelineEntry,
    due_soon_q,
    overdue_q,
)
from subject_requests.models.systems import SystemTask, SystemTaskQuerySet

__all__ = [
    "ACTIONS_FOR_TYPE",
    "CLOSED_STATUSES",
    "DUE_SOON_DAYS",
    "OPEN_STATUSES",
    "TRANSITIONS",
    "UNRESOLVED_TASKS",
    "ActionKind",
    "ActionStatus",
    "Answer",
    "AnswerKind",
    "AnswerQuerySet",
    "AnswerStatus",
    "Channel",
    "DeliveryStatus",
    "EntryKind",
    "Operation",
    "Outcome",
    "Pause",
    "PauseReason",
    "ReminderSent",
    "RequestType",
    "RightAction",
    "RightActionQuerySet",
    "Status",
    "SubjectRequest",
    "SubjectRequestQuerySet",
    "SystemTask",
    "SystemTaskQuerySet",
    "TaskKind",
    "TaskStatus",
    "TimelineEntry",
    "VerificationMethod",
    "due_soon_q",
    "overdue_q",
]
