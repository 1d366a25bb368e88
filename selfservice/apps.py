from __future__ import annotations

from django.apps import AppConfig


class SelfServiceConfig(AppConfig):
    name = "selfservice"
    verbose_name = "Self-service for data subjects"
