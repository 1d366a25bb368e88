from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class PrivacyOpsAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.PrivacyOpsAdminSite"


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import checks  # noqa: F401  (registers system checks)
        from core.seeding import seed_after_migrate

        post_migrate.connect(seed_after_migrate, sender=self)
