from __future__ import annotations

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Documents for data subjects"

    def ready(self) -> None:
        from reports.answers import register

        register()
