from __future__ import annotations

from django.urls import path

from selfservice import views, views_inside

app_name = "selfservice"

urlpatterns = [
    path("", views.start, name="start"),
    path("link/<str:token>/", views.open_link, name="open"),
    path("sign-out/", views.sign_out, name="sign_out"),
    path("data/", views.mine, name="mine"),
    path("data/copy/", views.copy_request, name="copy"),
    path("data/copy/<int:copy_id>/progress/", views.copy_progress, name="copy_progress"),
    path("data/copy/<int:copy_id>/<str:which>/", views.copy_download, name="copy_download"),
    path("correct/", views.correct, name="correct"),
    path("preferences/", views_inside.preference_centre, name="preferences"),
    path("receipts/<int:event_id>/", views_inside.receipt, name="receipt"),
    path(
        "receipts/<int:event_id>/download/",
        views_inside.receipt_download,
        name="receipt_download",
    ),
    path("requests/", views_inside.own_requests, name="requests"),
    path(
        "requests/<int:request_id>/withdraw/",
        views_inside.withdraw_request,
        name="withdraw_request",
    ),
]
