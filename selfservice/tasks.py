"""Self-service jobs: the person's copy and the sign-in link."""

from __future__ import annotations

from celery import shared_task


# The person's own copy from the self-service pages: the same reports as the DPO's, on the
# same queue and with the same limits (privacyops.queues).
# The names they were queued under before self-service had its own app: messages already in
# the queue still find their task.
@shared_task(name="subject_requests.tasks.build_selfservice_copy")
def build_selfservice_copy(copy_id: int) -> bool:
    from selfservice.copies import run_copy_build

    return run_copy_build(copy_id=copy_id)


# Asking for a sign-in link: the lookup, the link and its audit event, queued by the form so
# that its answer takes the same time whether or not the address is known.
@shared_task
def issue_sign_in_link(email_index: str, language: str) -> bool:
    from selfservice.links import issue_sign_in_link as issue

    return issue(email_index=email_index, language=language) is not None


# The sign-in link's e-mail, sent after the link's commit.
@shared_task(name="subject_requests.tasks.send_sign_in_link")
def send_sign_in_link(link_id: int) -> bool:
    from selfservice.links import send_link_email

    return send_link_email(link_id=link_id)
