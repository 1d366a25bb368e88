from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("core.urls")),
    path("subjects/", include("subjects.urls")),
    path("processing/", include("processing.urls")),
    path("consent/", include("consent.urls")),
    path("retention/", include("retention.urls")),
    path("requests/", include("subject_requests.urls")),
    path("privacy/", include("subject_requests.public_urls")),
    path("p/", include("consent.public_urls")),
]

handler403 = "core.views.error_403"
