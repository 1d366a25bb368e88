from __future__ import annotations

from django.urls import path

from subjects import views

app_name = "subjects"

urlpatterns = [
    path("", views.subject_list, name="list"),
    path("new/", views.subject_create, name="create"),
    path("<int:pk>/", views.subject_detail, name="detail"),
    path("<int:pk>/retention/", views.subject_retention, name="retention"),
    path("<int:pk>/edit/", views.subject_edit, name="edit"),
    path("<int:pk>/legal-hold/", views.subject_legal_hold, name="legal_hold"),
    path("organisations/", views.organisation_list, name="organisation_list"),
    path("organisations/new/", views.organisation_create, name="organisation_create"),
    path("organisations/<int:pk>/", views.organisation_detail, name="organisation"),
    path("organisations/<int:pk>/status/", views.organisation_status, name="organisation_status"),
    path(
        "organisations/<int:pk>/legal-hold/",
        views.organisation_legal_hold,
        name="organisation_legal_hold",
    ),
]
