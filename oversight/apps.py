from __future__ import annotations

from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "oversight"
    verbose_name = "Oversight"

    def ready(self) -> None:
        from core.home import register_home_page
        from oversight.views import dashboard_home

        # The DPO's home page is the dashboard.
        register_home_page(dashboard_home)
