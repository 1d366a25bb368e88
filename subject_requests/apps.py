from __future__ import annotations

from django.apps import AppConfig


class SubjectRequestsConfig(AppConfig):
    name = "subject_requests"
    verbose_name = "Data-subject requests"
