from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from oversight.views import dashboard_page
from subject_requests.views import system_tasks

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("privacyops.api_urls")),
    path("", include("core.urls")),
    path("subjects/", include("subjects.urls")),
    path("processing/", include("processing.urls")),
    path("consent/", include("consent.urls")),
    path("retention/", include("retention.urls")),
    path("requests/", include("subject_requests.urls")),
    path("dashboard/", dashboard_page, name="dashboard"),
    path("breaches/", include("breaches.urls")),
    path("privacy/", include("selfservice.request_urls")),
    path("p/me/", include("selfservice.urls")),
    path("p/", include("consent.public_urls")),
    path(
        "hooks/system-tasks/<str:token>/",
        system_tasks.system_task_callback,
        name="system_task_callback",
    ),
]

handler403 = "core.views.error_403"
handler404 = "core.api.errors.not_found"
handler500 = "core.api.errors.server_error"
