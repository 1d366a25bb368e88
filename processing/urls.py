from __future__ import annotations

from django.urls import path

from processing import database_views, views
from processing.record import views as record_views

app_name = "processing"

urlpatterns = [
    path("", views.register, name="register"),
    path("record.pdf", record_views.record_pdf, name="record_pdf"),
    path("record/v<int:number>.pdf", record_views.record_version_pdf, name="record_version"),
    path("measures/", record_views.measures_edit, name="measures"),
    path("processors/", record_views.processor_list, name="processor_list"),
    path(
        "processors/<int:pk>/contract/",
        record_views.processor_contract,
        name="processor_contract",
    ),
    path("systems/", views.system_list, name="system_list"),
    path("systems/new/", views.system_create, name="system_create"),
    path("systems/<int:pk>/", views.system_detail, name="system_detail"),
    path("systems/<int:pk>/edit/", views.system_edit, name="system_edit"),
    path("systems/<int:pk>/secret/", views.system_secret, name="system_secret"),
    path("systems/<int:pk>/deactivate/", views.system_deactivate, name="system_deactivate"),
    path("systems/<int:pk>/reactivate/", views.system_reactivate, name="system_reactivate"),
    path("systems/<int:pk>/database/", database_views.system_database, name="system_database"),
    path(
        "systems/<int:pk>/database/edit/",
        database_views.system_database_edit,
        name="system_database_edit",
    ),
    path(
        "systems/<int:pk>/database/v<int:version>/decide/",
        database_views.system_database_decide,
        name="system_database_decide",
    ),
]
