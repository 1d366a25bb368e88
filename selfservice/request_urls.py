from __future__ import annotations

from django.urls import path

from selfservice import request_pages as public_views

app_name = "requests_public"

urlpatterns = [
    path("request/", public_views.request_form, name="form"),
    path("request/sent/", public_views.request_sent, name="sent"),
    path("request/verify/<str:token>/", public_views.verify, name="verify"),
    path("request/status/<str:token>/", public_views.status, name="status"),
    path("request/status/<str:token>/withdraw/", public_views.withdraw, name="withdraw"),
    path("answers/<str:token>/", public_views.answers, name="answers"),
    path("answers/<str:token>/new-link/", public_views.answers_renew, name="answers_renew"),
    path(
        "answers/<str:token>/<int:answer_id>/",
        public_views.answer_download,
        name="answer_download",
    ),
    # GDPR Art. 20(2): the receiving company's link to the package it was sent.
    path("transfer/<str:token>/", public_views.transfer, name="transfer"),
    path("transfer/<str:token>/new-link/", public_views.transfer_renew, name="transfer_renew"),
    path(
        "transfer/<str:token>/<int:answer_id>/",
        public_views.transfer_download,
        name="transfer_download",
    ),
]
