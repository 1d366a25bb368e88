"""Writes on data-subject requests. Each service is atomic and audits in its transaction."""

from __future__ import annotations

from subject_requests.services.answers import (
    record_preview,
    renew_answer_link,
    request_answer,
    retry_answer,
    review_answer,
    run_answer_build,
    take_over_answer,
)
from subject_requests.services.common import IllegalTransition, RequestError
from subject_requests.services.identity import (
    ExpiredLink,
    InvalidLink,
    link_subject,
    request_for_status_token,
    resend_verification_link,
    status_token,
    unlink_subject,
    verification_token,
    verify_by_link,
    verify_manually,
)
from subject_requests.services.intake import (
    AgentProof,
    change_received_at,
    enter_request,
    submit_request,
    submit_verified_request,
)
from subject_requests.services.timeline import (
    add_note,
    assign_requests,
    assignable_users,
    attach_document,
    send_message,
)
from subject_requests.services.transmission import (
    Receiver,
    confirm_transmission,
    decline_transmission,
    renew_receiver_link,
)
from subject_requests.services.workflow import (
    close_unverified,
    complete_request,
    extend_deadline,
    pause_request,
    reject_request,
    resume_request,
    start_work,
    withdraw_request,
)

__all__ = [
    "AgentProof",
    "ExpiredLink",
    "IllegalTransition",
    "InvalidLink",
    "Receiver",
    "RequestError",
    "add_note",
    "assign_requests",
    "assignable_users",
    "attach_document",
    "change_received_at",
    "close_unverified",
    "complete_request",
    "confirm_transmission",
    "decline_transmission",
    "enter_request",
    "extend_deadline",
    "link_subject",
    "pause_request",
    "record_preview",
    "reject_request",
    "renew_answer_link",
    "renew_receiver_link",
    "request_answer",
    "request_for_status_token",
    "resend_verification_link",
    "resume_request",
    "retry_answer",
    "review_answer",
    "run_answer_build",
    "send_message",
    "start_work",
    "status_token",
    "submit_request",
    "submit_verified_request",
    "take_over_answer",
    "unlink_subject",
    "verification_token",
    "verify_by_link",
    "verify_manually",
    "withdraw_request",
]
