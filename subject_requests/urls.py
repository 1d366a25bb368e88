from __future__ import annotations

from django.urls import path

from subject_requests import (
    answer_views,
    change_views,
    people_views,
    rights_views,
    task_views,
    timeline_views,
    transmission_views,
    views,
)

app_name = "subject_requests"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("new/", views.enter, name="enter"),
    path("register/", views.register, name="register"),
    path("tasks/", task_views.system_tasks, name="system_tasks"),
    path("tasks/<int:pk>/", task_views.system_task, name="system_task"),
    path("tasks/<int:pk>/retry/", task_views.system_task_retry, name="system_task_retry"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/note/", timeline_views.add_note, name="note"),
    path("<int:pk>/message/", timeline_views.send_message, name="message"),
    path("<int:pk>/document/", timeline_views.add_document, name="document_add"),
    path("<int:pk>/documents/<int:entry_id>/", timeline_views.document, name="document"),
    path("<int:pk>/authorisation/", timeline_views.agent_proof, name="agent_proof"),
    path("<int:pk>/received/", views.change_received, name="change_received"),
    path("<int:pk>/answers/build/", answer_views.build, name="answer_build"),
    path(
        "<int:pk>/answers/<int:answer_id>/progress/", answer_views.progress, name="answer_progress"
    ),
    path("<int:pk>/answers/<int:answer_id>/file/", answer_views.open_file, name="answer_file"),
    path("<int:pk>/answers/<int:answer_id>/review/", answer_views.review, name="answer_review"),
    path("<int:pk>/answers/<int:answer_id>/retry/", answer_views.retry, name="answer_retry"),
    path(
        "<int:pk>/letter-preview/<slug:action>/",
        answer_views.letter_preview,
        name="letter_preview",
    ),
    path("<int:pk>/erasure/", rights_views.erasure, name="erasure"),
    path("<int:pk>/erasure/propose/", rights_views.erasure_propose, name="erasure_propose"),
    path("<int:pk>/erasure/confirm/", rights_views.erasure_confirm, name="erasure_confirm"),
    path("<int:pk>/erasure/withdraw/", rights_views.erasure_cancel, name="erasure_cancel"),
    path("<int:pk>/transmission/", transmission_views.transmission, name="transmission"),
    path(
        "<int:pk>/transmission/confirm/",
        transmission_views.transmission_confirm,
        name="transmission_confirm",
    ),
    path(
        "<int:pk>/transmission/decline/",
        transmission_views.transmission_decline,
        name="transmission_decline",
    ),
    path(
        "<int:pk>/transmission/resend/",
        transmission_views.transmission_resend,
        name="transmission_resend",
    ),
    path("<int:pk>/people/", people_views.people, name="people"),
    path("<int:pk>/people/<int:subject_pk>/refuse/", people_views.refuse, name="refuse"),
    path("<int:pk>/people/<int:subject_pk>/rectify/", change_views.rectify, name="rectify"),
    path(
        "<int:pk>/people/<int:subject_pk>/restriction/",
        change_views.restriction,
        name="restriction",
    ),
    path("<int:pk>/people/<int:subject_pk>/objection/", change_views.objection, name="objection"),
    path("<int:pk>/<slug:action>/", views.decide, name="decide"),
]
