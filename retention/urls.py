from __future__ import annotations

from django.urls import path

from retention import list_views, pause_views, views

app_name = "retention"

urlpatterns = [
    path("", views.preview, name="preview"),
    path("findings/", views.uncovered, name="uncovered"),
    path("pause/", pause_views.purge_pause, name="purge_pause"),
    path("resume/", pause_views.purge_resume, name="purge_resume"),
    path("runs/", views.history, name="history"),
    path("runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<int:pk>/", views.rule_detail, name="rule_detail"),
    path("rules/<int:pk>/due/", list_views.rule_due, name="rule_due"),
    path("rules/<int:pk>/due.csv", list_views.rule_due_csv, name="rule_due_csv"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/confirm/", views.rule_confirm, name="rule_confirm"),
    path("changes/<int:pk>/decide/", views.change_decide, name="change_decide"),
    path("changes/<int:pk>/extra/", list_views.change_extra, name="change_extra"),
    path("changes/<int:pk>/extra.csv", list_views.change_extra_csv, name="change_extra_csv"),
]
