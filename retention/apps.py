from __future__ import annotations

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class RetentionConfig(AppConfig):
    name = "retention"
    verbose_name = "Retention"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from core.audit_browser import TargetKind, register_target
        from core.home import register_alarm, register_panel
        from retention import lookups
        from retention.alarms import ledger_copy_alarm, purge_alarm, purge_panel

        lookups.register()
        register_target(
            "retention.retentionrule",
            TargetKind(_("Retention rule"), "retention:rule_detail", "retention.rules"),
        )
        register_target(
            "retention.purgerun",
            TargetKind(_("Purge run"), "retention:run_detail", "retention.preview"),
        )
        register_panel(purge_panel, position=30)
        register_alarm(purge_alarm)
        register_alarm(ledger_copy_alarm)
        # The pause's cached answer goes whenever the beat entry changes, in the Django admin
        # too, or a pause is written.
        from django.db.models.signals import post_delete, post_save
        from django_celery_beat.models import PeriodicTask

        from retention.models import PurgePause
        from retention.pause import forget_pause

        for model in (PeriodicTask, PurgePause):
            post_save.connect(forget_pause, sender=model, dispatch_uid=f"forget-pause-{model}")
            post_delete.connect(forget_pause, sender=model, dispatch_uid=f"forget-pause-d-{model}")
        # Every app's `<app>/retention.py`, where a model with personal data declares its
        # record type or its exemption: the registry is the only door, for every app.
        autodiscover_modules("retention")
