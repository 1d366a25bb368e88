from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class PrivacyOpsAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "core.admin_site.PrivacyOpsAdminSite"


class CoreConfig(AppConfig):
    default = True
    name = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from core import checks, login  # noqa: F401  (system checks, login signal receivers)
        from core.aggregates import install_sqlite_aggregates
        from core.alarms import audit_chain_alarm
        from core.audit_words import register_detail_words, usernames
        from core.chain import install_sqlite_functions
        from core.home import register_alarm
        from core.lockout import LOCK_WORDS, name_locked_everywhere_alarm
        from core.seeding import seed_after_migrate

        post_migrate.connect(seed_after_migrate, sender=self)
        connection_created.connect(install_sqlite_functions)
        connection_created.connect(install_sqlite_aggregates)
        register_alarm(audit_chain_alarm)
        register_alarm(name_locked_everywhere_alarm)
        register_detail_words(
            "", assignee=usernames, owner=usernames, owner_id=usernames, user=usernames
        )
        register_detail_words("auth.locked_out", lock=LOCK_WORDS)
