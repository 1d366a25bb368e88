"""The access report's sections on the person's own requests: what they asked, what was
written about it, the documents sent, what was done to their data and what the systems
outside the portal were asked (see `sections` for the allow-list rules)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from reports.platform import FOUND_LABEL, describe_found
from reports.section_types import Column, ReportSection, not_provided
from subject_requests.models import (
    Answer,
    RightAction,
    SubjectRequest,
    SystemTask,
    TimelineEntry,
)
from subject_requests.words import describe_action, describe_task

REQUEST_SECTIONS: tuple[ReportSection, ...] = (
    ReportSection(
        code="requests",
        model_label="subject_requests.SubjectRequest",
        title=_("Your requests about your data"),
        category="communication",
        source=_("Given by you (or your agent)"),
        columns=(
            Column("reference", _("reference")),
            Column("type", _("right"), "choice"),
            Column("received_at", _("received"), "datetime"),
            Column("status", _("status"), "choice"),
            Column("requester_name", _("name given")),
            Column("requester_email", _("e-mail given")),
            Column("description", _("what you wrote")),
            Column("agent_name", _("agent")),
            Column("agent_proof_name", _("agent's authorisation")),
            Column("agent_proof", _("authorisation file"), "file", name_field="agent_proof_name"),
            Column("receiver_name", _("company you asked us to send your data to")),
            Column("receiver_email", _("that company's address")),
            Column("transmission_reason", _("why we did not send it there")),
            Column("verification_note", _("identity check")),
            Column("extension_reason", _("reason for the extension")),
            Column("refused_part", _("what was refused, and why")),
            Column("closure_reason", _("reason or outcome")),
            Column("systems_override", _("why we answered before every system confirmed")),
        ),
        rows=lambda s: SubjectRequest.objects.filter(subjects=s).order_by("received_at", "id"),
        portable=not_provided,
        layout="cards",
    ),
    ReportSection(
        code="request_timeline",
        model_label="subject_requests.TimelineEntry",
        title=_("Messages, notes and documents about your requests"),
        category="communication",
        source=_("Written by you or by us while handling your requests"),
        columns=(
            Column("request.reference", _("request")),
            Column("occurred_at", _("when"), "datetime"),
            Column("kind", _("what"), "choice"),
            Column("body", _("text")),
            Column("document_name", _("document")),
            Column("document", _("file"), "file", name_field="document_name"),
        ),
        rows=lambda s: (
            TimelineEntry.objects.filter(request__subjects=s)
            .exclude(body__isnull=True, document__isnull=True)
            .select_related("request")
            .order_by("occurred_at", "id")
        ),
        portable=not_provided,
        note=_("Status changes and assignments are left out: they hold no data about you."),
    ),
    ReportSection(
        code="answers",
        model_label="subject_requests.Answer",
        title=_("Documents we prepared for you"),
        category="communication",
        source=_("Written by us"),
        columns=(
            Column("request.reference", _("request")),
            Column("kind", _("document"), "choice"),
            Column("built_at", _("made"), "datetime"),
            Column("sent_at", _("sent"), "datetime"),
            Column("content", _("file"), "described"),
        ),
        rows=lambda s: (
            Answer.objects.filter(subject=s, status="ready")
            .select_related("request")
            .order_by("built_at", "id")
        ),
        portable=not_provided,
    ),
    ReportSection(
        code="actions",
        model_label="subject_requests.RightAction",
        title=_("What we did to your data on your requests"),
        category="communication",
        source=_("Recorded by us"),
        columns=(
            Column("request.reference", _("request")),
            Column("kind", _("action"), "choice"),
            Column("done_at", _("carried out"), "datetime"),
            Column("details", _("what was done"), "words", words=describe_action),
            Column("note", _("note")),
        ),
        rows=lambda s: (
            RightAction.objects.filter(subject=s, status="done")
            .select_related("request")
            .order_by("done_at", "id")
        ),
        portable=not_provided,
        layout="cards",
    ),
    ReportSection(
        code="system_tasks",
        model_label="subject_requests.SystemTask",
        title=_("What our systems and recipients were asked to do"),
        category="communication",
        source=_("Recorded by us"),
        columns=(
            Column("request.reference", _("request")),
            Column("system.name", _("system")),
            Column("operation", _("what"), "choice"),
            Column("status", _("status"), "choice"),
            Column("completed_at", _("done"), "datetime"),
            Column("evidence", _("their answer")),
            Column("found", FOUND_LABEL, "words", words=describe_found),
            Column("payload", _("what we gave them"), "words", words=describe_task),
        ),
        rows=lambda s: (
            SystemTask.objects.filter(subject=s)
            .select_related("request", "system")
            .order_by("created_at", "id")
        ),
        portable=not_provided,
        layout="cards",
    ),
)
