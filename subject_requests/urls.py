from __future__ import annotations

from django.urls import path

from subject_requests.views import (
    answers,
    changes,
    erasure,
    people,
    requests,
    system_tasks,
    timeline,
    transmission,
)

app_name = "subject_requests"

urlpatterns = [
    path("", requests.queue, name="queue"),
    path("assign/", requests.bulk_assign, name="bulk_assign"),
    path("new/", requests.enter, name="enter"),
    path("register/", requests.register, name="register"),
    path("tasks/", system_tasks.system_tasks, name="system_tasks"),
    path("tasks/<int:pk>/", system_tasks.system_task, name="system_task"),
    path("tasks/<int:pk>/retry/", system_tasks.system_task_retry, name="system_task_retry"),
    path(
        "tasks/<int:pk>/take-over/",
        system_tasks.system_task_take_over,
        name="system_task_take_over",
    ),
    path("<int:pk>/", requests.detail, name="detail"),
    path("<int:pk>/note/", timeline.add_note, name="note"),
    path("<int:pk>/message/", timeline.send_message, name="message"),
    path("<int:pk>/document/", timeline.add_document, name="document_add"),
    path("<int:pk>/documents/<int:entry_id>/", timeline.document, name="document"),
    path("<int:pk>/authorisation/", timeline.agent_proof, name="agent_proof"),
    path("<int:pk>/received/", requests.change_received, name="change_received"),
    path("<int:pk>/answers/build/", answers.build, name="answer_build"),
    path("<int:pk>/answers/<int:answer_id>/progress/", answers.progress, name="answer_progress"),
    path("<int:pk>/answers/<int:answer_id>/file/", answers.open_file, name="answer_file"),
    path("<int:pk>/answers/<int:answer_id>/review/", answers.review, name="answer_review"),
    path("<int:pk>/answers/<int:answer_id>/retry/", answers.retry, name="answer_retry"),
    path(
        "<int:pk>/answers/<int:answer_id>/take-over/",
        answers.take_over,
        name="answer_take_over",
    ),
    path(
        "<int:pk>/letter-preview/<slug:action>/",
        answers.letter_preview,
        name="letter_preview",
    ),
    path("<int:pk>/erasure/", erasure.erasure, name="erasure"),
    path("<int:pk>/erasure/propose/", erasure.erasure_propose, name="erasure_propose"),
    path("<int:pk>/erasure/confirm/", erasure.erasure_confirm, name="erasure_confirm"),
    path("<int:pk>/erasure/withdraw/", erasure.erasure_cancel, name="erasure_cancel"),
    path("<int:pk>/transmission/", transmission.transmission, name="transmission"),
    path(
        "<int:pk>/transmission/confirm/",
        transmission.transmission_confirm,
        name="transmission_confirm",
    ),
    path(
        "<int:pk>/transmission/decline/",
        transmission.transmission_decline,
        name="transmission_decline",
    ),
    path(
        "<int:pk>/transmission/resend/",
        transmission.transmission_resend,
        name="transmission_resend",
    ),
    path("<int:pk>/people/", people.people, name="people"),
    path("<int:pk>/people/<int:subject_pk>/refuse/", people.refuse, name="refuse"),
    path("<int:pk>/people/<int:subject_pk>/rectify/", changes.rectify, name="rectify"),
    path(
        "<int:pk>/people/<int:subject_pk>/restriction/",
        changes.restriction,
        name="restriction",
    ),
    path("<int:pk>/people/<int:subject_pk>/objection/", changes.objection, name="objection"),
    path("<int:pk>/<slug:action>/", requests.decide, name="decide"),
]
